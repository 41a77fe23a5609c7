from django.db import connection, transaction

from servicedesk.kinds import format_number
from servicedesk.models import NumberSequence


def number_allocate(*, prefix: str, count: int = 1) -> list[str]:
    """The next `count` numbers for `prefix`, without gaps or doubles under concurrent callers.

    The counter row stays locked until the caller's transaction ends, so a rolled-back create gives its
    number back and concurrent creates queue on the row. Must run inside `transaction.atomic`.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_allocate must run inside a transaction")
    # One statement creates the counter on first use or moves it on (PostgreSQL and SQLite 3.35+ alike).
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (prefix, last_value) VALUES (%s, %s) "  # noqa: S608
            f"ON CONFLICT (prefix) DO UPDATE SET last_value = {table}.last_value + excluded.last_value "
            "RETURNING last_value",
            [prefix, count],
        )
        last = cursor.fetchone()[0]
    return [format_number(prefix, value) for value in range(last - count + 1, last + 1)]
