"""The database cache used when no Redis is configured (settings: CACHES)."""

from django.core.cache.backends import db
from django.db import connections, router, transaction


class DatabaseCache(db.DatabaseCache):
    """Django's database cache with an atomic `incr`.

    Django's reads the value and writes it back, so two requests counting at once both write the same
    number: the API throttles would let parallel requests through. Here the read and the write happen in
    one transaction holding the row: `SELECT … FOR UPDATE` on PostgreSQL; on SQLite the transaction is
    IMMEDIATE (settings) and so holds the database's write lock from its start.
    """

    def incr(self, key, delta=1, version=None):
        alias = router.db_for_write(self.cache_model_class)
        connection = connections[alias]
        with transaction.atomic(using=alias):
            if connection.features.has_select_for_update:
                # The table name comes from settings and is quoted by the backend; the key is a parameter.
                table = connection.ops.quote_name(self._table)
                sql = f"SELECT cache_key FROM {table} WHERE cache_key = %s FOR UPDATE"  # noqa: S608
                with connection.cursor() as cursor:
                    cursor.execute(sql, [self.make_and_validate_key(key, version=version)])
            return super().incr(key, delta, version)
