"""What the report pages and the API read: the measures a reader may open, a result with its rows'
drill-down addresses, and the dashboards' tiles."""

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.errors import NotFound
from servicedesk.reporting.dimensions import drill_url, scope_limits
from servicedesk.reporting.measures import Measure, Query, Result, Scope, measure, measures

from .periods import period_instants
from .scope import is_manager, is_service_owner


def readable_measures(scope: Scope) -> list[Measure]:
    """The measures the reader may open: every one but the managers' for a reader limited to their work."""
    if scope is None:
        return []
    return [m for m in measures() if m.audience == "desk" or is_manager(scope) or is_service_owner(scope)]


def measure_for(scope: Scope, key: str) -> Measure:
    """The measure `key` if the reader may open it; NotFound otherwise (a 404, as for a record)."""
    try:
        found = measure(key)
    except LookupError:
        raise NotFound(_("No such report.")) from None
    if found not in readable_measures(scope):
        raise NotFound(_("No such report."))
    return found


def result_for(found: Measure, query: Query) -> Result:
    """The measure's result, each row (and the whole) with the address of its records where there is one:
    the queue filtered to the same records, the reader's scope included (the kernel's `drill_url`)."""
    result = found.compute(query)
    kinds = tuple(query.kinds or found.kinds)
    limits = scope_limits(query.scope)
    for row in result.rows:
        row.url = drill_url(kinds, row.records, limits=limits)
    result.url = drill_url(kinds, result.records, limits=limits)
    return result


# Count columns that hold the whole of the others (all open records, all opened): stacked with their parts
# they would count the same records twice, so a stacked chart leaves them to the table.
WHOLE_COLUMNS = frozenset({"open", "opened", "escalated"})
# What a chart draws first when a result mixes kinds of figure: the rate, rating or duration it is about.
HEADLINE_TYPES = ("percent", "rating", "seconds", "number")


def chart_payload(result: Result) -> dict:
    """The result as the chart script reads it (`Result.as_dict`), with `plot`: the columns the chart
    draws, all of one type so they share an axis. The table shows every column."""
    data = result.as_dict()
    columns = result.columns
    counts = [c.key for c in columns if c.type == "count"]
    if result.chart == "stacked":
        parts = [key for key in counts if key not in WHOLE_COLUMNS]
        plot = parts if len(parts) > 1 else counts
    elif result.chart == "pie":
        plot = [columns[0].key] if columns else []
    else:
        headline = next((t for t in HEADLINE_TYPES if any(c.type == t for c in columns)), "count")
        plot = [c.key for c in columns if c.type == headline]
    data["plot"] = plot
    return data


@dataclass
class Tile:
    key: str
    title: Any
    value: Any = None
    type: str = "count"
    detail: Any = ""
    url: str | None = None
    report: str | None = None  # the measure's report page
    result: Result | None = None
    chart: dict | None = field(default=None)


def _query(scope: Scope, zone: str, now, period: str, **kwargs) -> Query:
    start, end = period_instants(period, now, zone)
    return Query(start=start, end=end, time_zone=zone, scope=scope, now=now, **kwargs)


def _try(key: str):
    try:
        return measure(key)
    except LookupError:
        return None


def _tile(key, title, found, query, *, value_of, type="count", detail="", chart=False, open_records=False):
    """One tile; `open_records`: it counts the open records in scope, and links to them in the queue."""
    if found is None:
        return None
    result = result_for(found, query)
    tile = Tile(key=key, title=title, value=value_of(result), type=type, detail=detail, report=found.key)
    tile.url = getattr(result, "url", None)
    if tile.url is None and open_records:
        kinds = tuple(query.kinds or found.kinds)
        tile.url = drill_url(kinds, {"open": True}, limits=scope_limits(query.scope))
    if chart:
        tile.result = result
        tile.chart = chart_payload(result)
    return tile


def dashboard_tiles(board: str, scope: Scope, *, zone: str, now=None) -> list[Tile]:
    """The tiles of a dashboard: "manager" (the reader's groups), "agent" (their own work) or "services"
    (the services they own)."""
    now = now or timezone.now()
    if board == "agent":
        scope = Scope(agent=scope.agent)
    elif board == "services":
        scope = Scope(everything=True) if scope.everything else Scope(services=scope.services)
    elif not scope.everything:
        scope = Scope(groups=scope.groups)
    month = _query(scope, zone, now, "this_month", by="period", bucket="day")
    recent = _query(scope, zone, now, "last_30_days", by="period", bucket="day")
    week = _query(scope, zone, now, "last_7_days", by="period", bucket="day")
    tiles = []
    if board in ("manager", "agent"):
        tiles += [
            _tile(
                "backlog",
                _("Open now") if board == "manager" else _("My open records"),
                _try("backlog_ageing"),
                recent,
                value_of=lambda r: sum(row.values.get("open", 0) for row in r.rows),
                chart=True,
                open_records=True,
            ),
            _tile(
                "at_risk",
                _("Breached or due within 4 hours"),
                _try("sla_at_risk"),
                recent.but(by="group" if board == "manager" else "priority"),
                value_of=lambda r: (r.totals.get("breached") or 0) + (r.totals.get("within_4h") or 0),
                chart=board == "manager",
            ),
            _tile(
                "sla",
                _("Resolution SLA met this month"),
                _try("sla_compliance"),
                month,
                value_of=lambda r: r.totals.get("resolution_percent"),
                type="percent",
            ),
        ]
    if board == "manager":
        tiles += [
            _tile(
                "workload",
                _("Open records per agent"),
                _try("backlog"),
                _query(scope, zone, now, "last_7_days", by="agent"),
                # the unassigned records' row is no agent
                value_of=lambda r: sum(1 for row in r.rows if row.key is not None),
                detail=_("agents with open work"),
                chart=True,
            ),
            _tile(
                "csat",
                _("Satisfaction, last 30 days"),
                _try("csat"),
                recent,
                value_of=lambda r: r.totals.get("average"),
                type="rating",
            ),
            _tile(
                "trend",
                _("Opened and resolved, last 30 days"),
                _try("volumes"),
                recent,
                value_of=lambda r: r.totals.get("opened"),
                detail=_("opened"),
                chart=True,
            ),
            _tile(
                "mttr",
                _("Time to resolve, last 30 days"),
                _try("mttr"),
                recent.but(bucket="week"),
                value_of=lambda r: _whole_median(r),
                type="seconds",
                chart=True,
            ),
        ]
    if board == "agent":
        tiles += [
            _tile(
                "week",
                _("My week: resolved"),
                _try("volumes"),
                week,
                value_of=lambda r: r.totals.get("resolved"),
                chart=True,
            ),
            _tile(
                "my_csat",
                _("My satisfaction, last 30 days"),
                _try("csat"),
                recent,
                value_of=lambda r: r.totals.get("average"),
                type="rating",
            ),
        ]
    if board == "services":
        tiles += [
            _tile(
                "service_volumes",
                _("Incidents and requests by service, last 30 days"),
                _try("volumes"),
                recent.but(by="service"),
                value_of=lambda r: r.totals.get("opened"),
                detail=_("opened"),
                chart=True,
            ),
            _tile(
                "service_sla",
                _("Resolution SLA met this month"),
                _try("sla_compliance"),
                month.but(by="service"),
                value_of=lambda r: r.totals.get("resolution_percent"),
                type="percent",
                chart=True,
            ),
        ]
        for key, title in (
            ("problems_open", _("Problems")),
            ("change_success", _("Changes")),
            ("release_outcomes", _("Releases")),
        ):
            tiles.append(
                _tile(
                    key,
                    title,
                    _try(key),
                    recent.but(bucket="week"),
                    value_of=lambda r: next(iter(r.totals.values()), None),
                    chart=True,
                )
            )
    return [tile for tile in tiles if tile is not None]


def _whole_median(result: Result):
    values = [
        row.values.get("p50_business") for row in result.rows if row.values.get("p50_business") is not None
    ]
    return sorted(values)[len(values) // 2] if values else None


def dashboards_for(scope: Scope) -> list[tuple[str, Any]]:
    """The dashboards the reader has, in order: theirs first."""
    boards = []
    if is_manager(scope):
        boards.append(("manager", _("My groups") if not scope.everything else _("All groups")))
    if is_service_owner(scope):
        boards.append(("services", _("My services") if not scope.everything else _("All services")))
    if scope.agent:
        boards.append(("agent", _("My work")))
    return boards


def saved_report_list_for_user(user):
    """The reader's own saved reports, by name, with their schedules."""
    from .models import SavedReport

    return SavedReport.objects.filter(owner=user).prefetch_related("schedules").order_by("name", "id")


def saved_report_get_for_user(*, user, pk):
    """The reader's own saved report `pk`; NotFound for anyone else's (a 404, as for a record)."""
    found = saved_report_list_for_user(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No such report."))
    return found


def schedule_get_for_user(*, user, report, pk):
    """A schedule of the reader's own report; NotFound otherwise."""
    found = report.schedules.filter(pk=pk, report__owner=user).prefetch_related("recipients").first()
    if found is None:
        raise NotFound(_("No such schedule."))
    return found
