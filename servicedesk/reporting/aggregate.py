"""Database-side helpers the measures share: the facts a query reads, periods in the reader's time zone,
breakdowns with their labels, and percentiles (PostgreSQL's `percentile_cont`; computed from the values
on SQLite, the single-machine default)."""

import math
from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Aggregate, DateTimeField, F, FloatField, Q, QuerySet
from django.db.models.functions import Trunc

from servicedesk.models import RecordFact

from .dimensions import dimension
from .measures import FILTERS, Query, Row


def facts(query: Query, kinds: tuple[str, ...]) -> QuerySet:
    """The facts the query may read: its kinds, its filters, and only what the reader's scope allows."""
    wanted = [kind for kind in (query.kinds or kinds) if kind in kinds or not kinds]
    rows = RecordFact.objects.filter(kind__in=wanted, merged=False)
    for name, attribute in FILTERS.items():
        values = getattr(query, attribute)
        if values:
            rows = rows.filter(**{f"{dimension(name).column}__in": list(values)})
    return rows.filter(scope_q(query))


def scope_q(query: Query) -> Q:
    scope = query.scope
    if scope.everything:
        return Q()
    allowed = Q(pk__in=[])
    if scope.groups:
        allowed |= Q(support_group_id__in=list(scope.groups))
    if scope.services:
        allowed |= Q(service_id__in=list(scope.services))
    if scope.agent:
        allowed |= Q(assignee_id=scope.agent)
    if scope.organisation:
        allowed |= Q(organisation_id=scope.organisation)
    return allowed


def in_period(field: str, query: Query) -> Q:
    return Q(**{f"{field}__gte": query.start, f"{field}__lt": query.end})


def period_of(field: str, query: Query):
    """The period a timestamp falls in, truncated in the reader's time zone."""
    return Trunc(field, query.bucket, output_field=DateTimeField(), tzinfo=ZoneInfo(query.time_zone))


def buckets(query: Query) -> list[date]:
    """Every period start from the query's start to its end, in the reader's time zone."""
    zone = ZoneInfo(query.time_zone)
    first = query.start.astimezone(zone).date()
    last = (query.end - timedelta(microseconds=1)).astimezone(zone).date()
    day = _truncate(first, query.bucket)
    out = []
    while day <= last:
        out.append(day)
        day = _next(day, query.bucket)
    return out


def bucket_end(day: date, query: Query) -> datetime:
    """The first instant after the period starting `day` in the reader's time zone, at most the end."""
    following = _next(day, query.bucket)
    moment = datetime(following.year, following.month, following.day, tzinfo=ZoneInfo(query.time_zone))
    return min(moment, query.end)


def _truncate(day: date, bucket: str) -> date:
    if bucket == "month":
        return day.replace(day=1)
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    return day


def _next(day: date, bucket: str) -> date:
    if bucket == "month":
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return day + timedelta(days=7 if bucket == "week" else 1)


def bucket_label(day: date, bucket: str) -> str:
    from django.utils.formats import date_format

    if bucket == "month":
        return date_format(day, "YEAR_MONTH_FORMAT")
    return date_format(day, "SHORT_DATE_FORMAT")


def key_of(value, query: Query):
    """A grouped value as a row key: periods as local dates."""
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo(query.time_zone)).date() if value.tzinfo else value.date()
    return value


def grouped(rows: QuerySet, query: Query, time_field: str | None, **aggregates) -> dict:
    """{row key: {name: value}} of `aggregates` over `rows`, grouped by the query's breakdown (the period
    of `time_field`, or a dimension's column).

    On PostgreSQL a period is found by `width_bucket` among the periods' first instants, a binary search
    per row, rather than by converting every row's time to the reader's zone and truncating it."""
    starts = None
    if query.by == "period" and connection.vendor == "postgresql":
        starts = buckets(query)
        rows = rows.annotate(_key=_period_index(time_field, query, starts))
    elif query.by == "period":
        rows = rows.annotate(_key=period_of(time_field, query))
    else:
        rows = rows.annotate(_key=_column(query.by))
    out = {}
    for item in rows.values("_key").annotate(**aggregates).order_by():
        key = item.pop("_key")
        if starts is not None:
            if not 1 <= key <= len(starts):
                continue  # outside the periods (the rows are filtered to them: never)
            out[starts[key - 1]] = item
        else:
            out[key_of(key, query)] = item
    return out


def _period_index(time_field: str, query: Query, starts: list[date]):
    """1 for a time in the first period, 2 in the second…: `width_bucket(t, ARRAY[first instants…])`."""
    from django.contrib.postgres.fields import ArrayField
    from django.db.models import F, Func, IntegerField, Value

    zone = ZoneInfo(query.time_zone)
    edges = [max(datetime(d.year, d.month, d.day, tzinfo=zone), query.start) for d in starts]
    edges.append(query.end)
    return Func(
        F(time_field),
        Value(edges, output_field=ArrayField(DateTimeField())),
        function="width_bucket",
        output_field=IntegerField(),
    )


def _column(name: str):
    from django.db.models import F

    return F(dimension(name).column)


def rows_for(query: Query, found: dict, columns: list[str], records=None) -> list[Row]:
    """Result rows: every period of the query (zeros where nothing happened), or the dimension's values
    found, labelled and ordered by label. `records(key)` -> the drill filter of a row."""
    empty = dict.fromkeys(columns, 0)
    if query.by == "period":
        keys = buckets(query)
        labels = {key: bucket_label(key, query.bucket) for key in keys}
    else:
        keys = list(found)
        labels = dimension(query.by).labels(keys)
        labels = {
            key: labels.get(key, _none_label(query.by)) if key is not None else _none_label(query.by)
            for key in keys
        }
        keys.sort(key=lambda k: str(labels[k]).lower())
    return [
        Row(
            key=key,
            label=labels[key],
            values={**empty, **found.get(key, {})},
            records=records(key) if records else None,
        )
        for key in keys
    ]


def _none_label(name: str) -> str:
    from django.utils.translation import gettext

    return gettext("(none)")


def row_records(query: Query, key, **extra) -> dict:
    """The drill filter of one row: the query's filters, the row's period or dimension value, and `extra`."""
    records = {
        attribute: list(getattr(query, attribute))
        for attribute in FILTERS.values()
        if getattr(query, attribute)
    }
    if query.scope and not query.scope.everything:
        records["scope"] = query.scope
    if query.by == "period" and key is not None:
        start = datetime(key.year, key.month, key.day, tzinfo=ZoneInfo(query.time_zone))
        records["from"], records["before"] = max(start, query.start), bucket_end(key, query)
    else:
        records["from"], records["before"] = query.start, query.end
        if query.by != "period":
            records[FILTERS[query.by]] = [key]
    records.update(extra)
    return records


SORT_MEMORY = "64MB"


def percent(part, whole) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


class PercentileCont(Aggregate):
    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def percentiles(
    rows: QuerySet, query: Query, time_field: str, value: str, fractions: dict[str, float]
) -> dict:
    """{row key: {name: percentile}} of `value` per breakdown row; in the database on PostgreSQL."""
    if connection.vendor == "postgresql":
        return grouped(
            rows.filter(**{f"{value}__isnull": False}),
            query,
            time_field,
            **{name: PercentileCont(value, fraction) for name, fraction in fractions.items()},
        )
    if query.by == "period":
        keyed = rows.annotate(_key=period_of(time_field, query))
    else:
        keyed = rows.annotate(_key=_column(query.by))
    values = defaultdict(list)
    for key, number in keyed.filter(**{f"{value}__isnull": False}).values_list("_key", value):
        values[key_of(key, query)].append(number)
    return {
        key: {name: percentile_of(sorted(numbers), fraction) for name, fraction in fractions.items()}
        for key, numbers in values.items()
    }


def grouped_percentiles(
    rows: QuerySet, query: Query, time_field: str | None, aggregates: dict, values: dict[str, tuple]
) -> dict:
    """`grouped(rows, ..., **aggregates)` with percentiles as well (`values`: {name: (field, fraction)}).
    On PostgreSQL in one query: one pass over the rows rather than one per field (at a million facts each
    pass is most of the time), `percentile_cont` leaving out empty values as `percentiles` does."""
    if connection.vendor == "postgresql":
        wanted = {name: PercentileCont(field, fraction) for name, (field, fraction) in values.items()}
        with transaction.atomic(), connection.cursor() as cursor:
            # A year of a million records' times sorted in memory rather than in files on disk.
            cursor.execute("SET LOCAL work_mem = %s", [SORT_MEMORY])
            return grouped(rows, query, time_field, **aggregates, **wanted)
    found = grouped(rows, query, time_field, **aggregates)
    by_field = defaultdict(dict)
    for name, (field, fraction) in values.items():
        by_field[field][name] = fraction
    for field, fractions in by_field.items():
        for key, numbers in percentiles(rows, query, time_field, field, fractions).items():
            found.setdefault(key, {}).update(numbers)
    return found


def percentile_of(ordered: list[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks, as PostgreSQL's `percentile_cont`."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def process_rows(rows: QuerySet, query: Query, *, through: str = "", services=None) -> QuerySet:
    """A process app's own rows (its records, or rows hanging off them `through` a relation such as
    "known_error__problem__") narrowed as the facts are: the query's groups, agents, priorities and
    services, and the reader's scope (groups: the record's support group; agent: its assignee; services:
    `services(ids)` -> Q, the app's own way to say "on these services").

    The record's group, assignee and priority are annotated under the facts' column names, so `grouped`
    breaks the rows down by "group", "agent" and "priority" as it does the facts.
    """
    if through:
        rows = rows.annotate(
            support_group_id=F(f"{through}support_group_id"),
            assignee_id=F(f"{through}assignee_id"),
            priority=F(f"{through}priority"),
        )
    if query.groups:
        rows = rows.filter(support_group_id__in=list(query.groups))
    if query.agents:
        rows = rows.filter(assignee_id__in=list(query.agents))
    if query.priorities:
        rows = rows.filter(priority__in=list(query.priorities))
    if query.services and services is not None:
        rows = rows.filter(services(list(query.services)))
    scope = query.scope
    if scope.everything:
        return rows
    allowed = Q(pk__in=[])
    if scope.groups:
        allowed |= Q(support_group_id__in=list(scope.groups))
    if scope.agent:
        allowed |= Q(assignee_id=scope.agent)
    if scope.services and services is not None:
        allowed |= services(list(scope.services))
    return rows.filter(allowed)


def open_at(day_ends: dict, opened: str, ended: tuple[str, ...]) -> dict:
    """{name: Count} of rows opened (`opened`) before each end and not ended by then (every field of
    `ended` empty or later): one filtered count per period, in one query."""
    from django.db.models import Count

    out = {}
    for name, end in day_ends.items():
        still = Q(**{f"{opened}__lt": end})
        for field in ended:
            still &= Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": end})
        out[name] = Count("id", filter=still)
    return out
