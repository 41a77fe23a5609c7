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
    NumberSequence.objects.bulk_create([NumberSequence(prefix=prefix)], ignore_conflicts=True)
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_value = last_value + %s WHERE prefix = %s RETURNING last_value",  # noqa: S608
            [count, prefix],
        )
        last = cursor.fetchone()[0]
    return [format_number(prefix, value) for value in range(last - count + 1, last + 1)]
