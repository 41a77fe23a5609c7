"""Writing many rows of one model at once, each with its own values: one UPDATE per batch joined from
arrays on PostgreSQL. Django's `bulk_update` builds a CASE per row and field, seconds of Python per
thousand rows (a release's wave reports 10,000 tasks and updates 10,000 CIs); SQLite (`make run`) binds no
arrays, so `bulk_update` serves there."""

import json

from django.db import connection, models

BATCH = 2000


def _array_type(field) -> str:
    """The SQL type the field's values are sent as (JSON as text, cast back per row)."""
    if isinstance(field, models.JSONField):
        return "text"
    return field.db_type(connection)


def _value(field, value):
    if isinstance(field, models.JSONField):
        return None if value is None else json.dumps(value, cls=field.encoder)
    return field.get_db_prep_value(value, connection, prepared=False)


def bulk_write(model, objs, fields, *, batch_size: int = BATCH) -> None:
    """Save `fields` (names of concrete, non-relational or foreign-key columns) of every object of `objs`,
    each its own values, in one UPDATE per `batch_size` rows. No signals, no `auto_now`: the caller sets
    what it means to write."""
    objs = list(objs)
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, list(fields), batch_size=batch_size)
        return
    meta = model._meta
    quote = connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    names = [quote(field.column) for field in columns]
    pk = meta.pk
    selected = ", ".join(
        f"v.{name}::jsonb AS {name}" if isinstance(field, models.JSONField) else f"v.{name}"
        for field, name in zip(columns, names, strict=True)
    )
    key = quote(pk.column)
    assignments = ", ".join(f"{name} = v.{name}" for name in names)
    arrays = ", ".join(f"%s::{_array_type(field)}[]" for field in columns)
    sql = (  # names and types from the model's fields, values bound
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608
        f"FROM (SELECT v.{key}, {selected} FROM unnest(%s::{pk.db_type(connection)}[], {arrays}) "
        f"AS v({key}, {', '.join(names)})) AS v WHERE t.{key} = v.{key}"
    )
    for start in range(0, len(objs), batch_size):
        batch = objs[start : start + batch_size]
        values = [[_value(field, getattr(obj, field.attname)) for obj in batch] for field in columns]
        with connection.cursor() as cursor:
            cursor.execute(sql, [[obj.pk for obj in batch], *values])
