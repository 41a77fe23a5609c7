"""The facts added up, and the one way measures count them: `tally`.

Every additive figure a desk measure reads is defined once here (`EVENTS`: by which time a record counts,
and what is counted then). `tally(query, kinds, event)` answers them per row of the query's breakdown,
from `FactRollup` when the question is the whole desk's (the reader sees everything, no filter) on
PostgreSQL, from the facts otherwise. The two give the same numbers:

- by period: the hourly rows of the whole desk, grouped by the period they fall in in the reader's time
  zone; exact for every zone whose offset is a whole number of hours over the period (any other zone, rare,
  reads the facts);
- by a dimension: the daily rows (UTC days) wholly inside the period, plus the facts of the hours before
  the first whole day and after the last, whatever the reader's time zone.

`rollup_refresh(cells)` recomputes the (event, kind, UTC day) cells a refresh of facts touched: the days
each record was in before and is in now, so a late change moves a record out of one day and into another.
Deleting and re-adding a day's rows is idempotent; `rollup_rebuild` recomputes a range.
"""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Trunc

from servicedesk.models import FactRollup, RecordFact

from .aggregate import buckets, facts, grouped, in_period, period_of
from .dimensions import dimension
from .measures import FILTERS, Query

# The dimensions kept per day (a report by one of these reads the rollup); the others read the facts.
DIMENSIONS = ("group", "agent", "service", "category", "priority", "channel", "organisation", "kind")

_RESOLVED_SLA = {
    "response_met": Count("id", filter=Q(response_sla="met")),
    "response_breached": Count("id", filter=Q(response_sla="breached")),
    "resolution_met": Count("id", filter=Q(resolution_sla="met")),
    "resolution_breached": Count("id", filter=Q(resolution_sla="breached")),
}
# event -> (the fact's time field, {figure: how the facts count it})
EVENTS = {
    "opened": (
        "opened_at",
        {
            "n": Count("id"),
            "escalated": Count(
                "id", filter=Q(escalations_functional__gt=0) | Q(escalations_hierarchical__gt=0)
            ),
            "esc_functional": Sum("escalations_functional"),
            "esc_hierarchical": Sum("escalations_hierarchical"),
            "training_need": Count("id", filter=Q(training_need=True)),
        },
    ),
    "resolved": (
        "resolved_at",
        {
            "n": Count("id"),
            "first_contact": Count("id", filter=Q(first_contact=True)),
            "reopened": Count("id", filter=Q(reopen_count__gt=0)),
            **_RESOLVED_SLA,
            "business_sum": Sum("resolution_business"),
            "business_n": Count("resolution_business"),
            "wall_sum": Sum("resolution_wall"),
            "wall_n": Count("resolution_wall"),
        },
    ),
    "responded": (
        "responded_at",
        {
            "n": Count("id"),
            "business_sum": Sum("response_business"),
            "business_n": Count("response_business"),
            "wall_sum": Sum("response_wall"),
            "wall_n": Count("response_wall"),
        },
    ),
    "rated": (
        "rated_at",
        {
            "n": Count("id"),
            "csat_sum": Sum("csat_score"),
            "commented": Count("id", filter=Q(csat_commented=True)),
            "low": Count("id", filter=Q(csat_score__lte=2)),
        },
    ),
    "ended": ("ended_at", {"n": Count("id")}),
}


def _figures(event: str) -> dict:
    return EVENTS[event][1]


def _zeros(found: dict) -> dict:
    """None (a sum over no record) read as 0: every figure here is a count or a sum."""
    return {key: {name: value or 0 for name, value in values.items()} for key, values in found.items()}


# Reading ----------------------------------------------------------------------------------------------


def _whole_hours(zone: ZoneInfo, start: datetime, end: datetime) -> bool:
    """Whether the zone's offset is a whole number of hours throughout [start, end) (checked at each end
    and at every day's start: offsets change at most at a transition, which falls on a day)."""
    moment = start
    while moment <= end:
        offset = zone.utcoffset(moment.astimezone(zone).replace(tzinfo=None))
        if offset is None or offset.total_seconds() % 3600:
            return False
        moment += timedelta(days=1)
    return True


def uses_rollup(query: Query) -> bool:
    """The whole desk's question (everything in scope, no filter but kinds) on PostgreSQL, broken down
    by period (in a whole-hour zone) or by a dimension kept per day."""
    if connection.vendor != "postgresql" or not query.scope.everything:
        return False
    if any(getattr(query, attribute) for name, attribute in FILTERS.items() if name != "kind"):
        return False
    if query.by == "period":
        return _whole_hours(ZoneInfo(query.time_zone), query.start, query.end)
    return query.by in DIMENSIONS


def tally(query: Query, kinds: tuple[str, ...], event: str) -> dict:
    """{row key: {figure: value}} of the event's figures over the records whose event falls in the
    query's period, by its breakdown; rows with no record are absent."""
    if not uses_rollup(query):
        field, figures = EVENTS[event]
        rows = facts(query, kinds).filter(in_period(field, query))
        return _zeros(grouped(rows, query, field, **figures))
    wanted = [kind for kind in (query.kinds or kinds) if kind in kinds or not kinds]
    if query.by == "period":
        return _zeros(_by_period(query, wanted, event))
    return _zeros(_by_dimension(query, wanted, event))


def _rollup_sums(event: str) -> dict:
    return {name: Sum(name) for name in _figures(event)}


def _by_period(query: Query, kinds: list[str], event: str) -> dict:
    rows = FactRollup.objects.filter(
        grain="hour", event=event, dim="", kind__in=kinds, start__gte=query.start, start__lt=query.end
    )
    out = {}
    for item in rows.annotate(_key=period_of("start", query)).values("_key").annotate(**_rollup_sums(event)):
        key = item.pop("_key").astimezone(ZoneInfo(query.time_zone)).date()
        out[key] = item
    known = set(buckets(query))
    return {key: values for key, values in out.items() if key in known}


def _day_floor(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _by_dimension(query: Query, kinds: list[str], event: str) -> dict:
    """Whole UTC days from the rollup, the hours around them from the facts."""
    first = _day_floor(query.start)
    if first < query.start:
        first += timedelta(days=1)
    last = _day_floor(query.end)
    found = defaultdict(lambda: defaultdict(float))
    dim = dimension(query.by)
    if first < last:
        rows = FactRollup.objects.filter(
            grain="day", event=event, dim=query.by, kind__in=kinds, start__gte=first, start__lt=last
        )
        for item in rows.values("value").annotate(**_rollup_sums(event)):
            key = _value_of(item.pop("value"), dim)
            for name, value in item.items():
                found[key][name] += value or 0
        edges = [(query.start, first), (last, query.end)]
    else:
        edges = [(query.start, query.end)]
    field, figures = EVENTS[event]
    for start, end in edges:
        if start >= end:
            continue
        part = query.but(start=start, end=end)
        rows = facts(part, tuple(kinds)).filter(in_period(field, part))
        for key, values in grouped(rows, part, field, **figures).items():
            for name, value in values.items():
                found[key][name] += value or 0
    return {key: {name: _number(value) for name, value in values.items()} for key, values in found.items()}


def _number(value):
    return int(value) if float(value).is_integer() else value


def _value_of(text: str, dim):
    if text == "":
        return None
    return int(text) if dim.integer else text


def totals(found: dict) -> dict:
    """The figures of every row added up: the rows split the records, one row each."""
    out = defaultdict(int)
    for values in found.values():
        for name, value in values.items():
            out[name] += value or 0
    return dict(out)


# Keeping ----------------------------------------------------------------------------------------------

# What one fact adds to each figure of an event's row: the same figures as EVENTS, record by record.
_PYTHON = {
    "opened": lambda f: {
        "n": 1,
        "escalated": int(f["escalations_functional"] > 0 or f["escalations_hierarchical"] > 0),
        "esc_functional": f["escalations_functional"],
        "esc_hierarchical": f["escalations_hierarchical"],
        "training_need": int(f["training_need"]),
    },
    "resolved": lambda f: {
        "n": 1,
        "first_contact": int(f["first_contact"]),
        "reopened": int(f["reopen_count"] > 0),
        "response_met": int(f["response_sla"] == "met"),
        "response_breached": int(f["response_sla"] == "breached"),
        "resolution_met": int(f["resolution_sla"] == "met"),
        "resolution_breached": int(f["resolution_sla"] == "breached"),
        **_times(f["resolution_business"], f["resolution_wall"]),
    },
    "responded": lambda f: {"n": 1, **_times(f["response_business"], f["response_wall"])},
    "rated": lambda f: {
        "n": 1,
        "csat_sum": f["csat_score"] or 0,
        "commented": int(f["csat_commented"]),
        "low": int(f["csat_score"] is not None and f["csat_score"] <= 2),
    },
    "ended": lambda f: {"n": 1},
}
_FACT_FIELDS = frozenset(
    {
        "kind",
        "merged",
        "escalations_functional",
        "escalations_hierarchical",
        "training_need",
        "first_contact",
        "reopen_count",
        "response_sla",
        "resolution_sla",
        "resolution_business",
        "resolution_wall",
        "response_business",
        "response_wall",
        "csat_score",
        "csat_commented",
        *(field for field, _figures in EVENTS.values()),
    }
)


def fact_fields() -> list[str]:
    """The facts' columns the rollup reads: the figures' and the kept dimensions'."""
    return sorted(_FACT_FIELDS | set(rollup_columns().values()))


def _times(business, wall) -> dict:
    return {
        "business_sum": business or 0.0,
        "business_n": int(business is not None),
        "wall_sum": wall or 0.0,
        "wall_n": int(wall is not None),
    }


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def contributions(fact: dict, columns: dict[str, str], sign: int = 1) -> dict:
    """{rollup key: {figure: amount}} one fact adds (sign 1) or takes away (-1); `columns` maps each kept
    dimension to the fact's column."""
    out = {}
    if fact["merged"]:
        return out
    for event, (field, _figures) in EVENTS.items():
        moment = fact[field]
        if moment is None:
            continue
        amounts = {name: sign * value for name, value in _PYTHON[event](fact).items()}
        out[("hour", _hour(moment), event, fact["kind"], "", "")] = amounts
        day = _day_floor(moment)
        for name, column in columns.items():
            value = fact[column]
            out[("day", day, event, fact["kind"], name, "" if value is None else str(value))] = amounts
    return out


def rollup_columns() -> dict[str, str]:
    return {name: dimension(name).column for name in DIMENSIONS}


def rollup_apply(before: list[dict], after: list[dict]) -> int:
    """Move the rollup from what `before` (the facts as they were) counted to what `after` counts: one
    upsert adding the differences; returns the rows touched. PostgreSQL only (SQLite reads the facts).
    The caller holds the refresh lock (`facts_lock`), so no two refreshes take the same record's old
    values for theirs."""
    if connection.vendor != "postgresql":
        return 0
    columns = rollup_columns()
    deltas = defaultdict(lambda: defaultdict(float))
    for rows, sign in ((before, -1), (after, 1)):
        for fact in rows:
            for key, amounts in contributions(fact, columns, sign).items():
                for name, amount in amounts.items():
                    deltas[key][name] += amount
    changed = {key: values for key, values in deltas.items() if any(values.values())}
    if not changed:
        return 0
    names = [f.name for f in FactRollup._meta.concrete_fields if f.name not in KEY_FIELDS and f.name != "id"]
    values = []
    for (grain, start, event, kind, dim, value), amounts in changed.items():
        values.append([grain, start, event, kind, dim, value, *(amounts.get(name, 0) for name in names)])
    table = FactRollup._meta.db_table
    columns_sql = ", ".join(KEY_FIELDS + names)
    updates = ", ".join(f"{name} = {table}.{name} + EXCLUDED.{name}" for name in names)
    row_sql = "(" + ", ".join(["%s"] * (len(KEY_FIELDS) + len(names))) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            # Names from the model, every value a parameter.
            sql = (
                f"INSERT INTO {table} ({columns_sql}) VALUES {', '.join([row_sql] * len(chunk))} "  # noqa: S608
                f"ON CONFLICT (grain, event, dim, kind, start, value) DO UPDATE SET {updates}"
            )
            cursor.execute(sql, [item for row in chunk for item in row])
    return len(values)


KEY_FIELDS = ["grain", "start", "event", "kind", "dim", "value"]


def rollup_rebuild(*, since: datetime | None = None, until: datetime | None = None) -> int:
    """Recompute the rollup from the facts: every row, or those of the UTC days from `since`'s to before
    `until`'s (whole days). Idempotent; for after a restore, or a change of what a figure counts."""
    rows = FactRollup.objects.all()
    first = _day_floor(since) if since is not None else None
    last = _day_floor(until) if until is not None else None
    if first is not None:
        rows = rows.filter(start__gte=first)
    if last is not None:
        rows = rows.filter(start__lt=last)
    written = 0
    with transaction.atomic():
        rows.delete()
        for event, (field, figures) in EVENTS.items():
            facts_in = RecordFact.objects.filter(merged=False, **{f"{field}__isnull": False})
            if first is not None:
                facts_in = facts_in.filter(**{f"{field}__gte": first})
            if last is not None:
                facts_in = facts_in.filter(**{f"{field}__lt": last})
            new = []
            hourly = facts_in.annotate(_at=Trunc(field, "hour", tzinfo=UTC)).values("kind", "_at")
            for item in hourly.annotate(**figures).order_by():
                kind, start = item.pop("kind"), item.pop("_at")
                new.append(FactRollup(grain="hour", start=start, event=event, kind=kind, **_clean(item)))
            for name, column in rollup_columns().items():
                daily = facts_in.annotate(_at=Trunc(field, "day", tzinfo=UTC)).values("kind", "_at", column)
                for item in daily.annotate(**figures).order_by():
                    kind, start = item.pop("kind"), item.pop("_at")
                    value = kind if column == "kind" else item.pop(column)
                    new.append(
                        FactRollup(
                            grain="day",
                            start=start,
                            event=event,
                            kind=kind,
                            dim=name,
                            value="" if value is None else str(value),
                            **_clean(item),
                        )
                    )
            FactRollup.objects.bulk_create(new, batch_size=2000)
            written += len(new)
    return written


def _clean(item: dict) -> dict:
    return {name: value or 0 for name, value in item.items()}
