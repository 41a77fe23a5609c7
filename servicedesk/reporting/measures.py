"""The registry of measures: each defined once, with its definition in words and how it is computed.

A process app registers its measures in `AppConfig.ready()` (`register_measure`); the kernel registers
the desk's own, which read `RecordFact`. A report asks a measure a `Query` (period, filters, the reader's
scope, the rows it wants) and gets a `Result`: columns, rows and the chart that suits them. The `reports`
app shows, exports and serves results; it never imports a process app.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

# What a report can be filtered by (and broken down by): the `Query` field holding the chosen values.
FILTERS = {
    "organisation": "organisations",
    "department": "departments",
    "service": "services",
    "category": "categories",
    "group": "groups",
    "agent": "agents",
    "priority": "priorities",
    "kind": "kinds",
    "channel": "channels",
    "policy": "policies",
}
BUCKETS = ("day", "week", "month")


@dataclass(frozen=True)
class Scope:
    """What the reader may see; None: no limit of that sort. Set by the reports app, never by a form.

    Several limits widen each other: a group manager who also owns a service sees both.
    """

    everything: bool = False
    groups: tuple[int, ...] = ()
    services: tuple[int, ...] = ()
    agent: int | None = None
    organisation: int | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.groups or self.services or self.agent or self.organisation)


@dataclass(frozen=True)
class Query:
    """One question to a measure: the period [start, end) in the reader's time zone, the filters, the
    breakdown of the rows (`by`: "period" with its `bucket`, or a filter's name) and the reader's scope."""

    start: datetime
    end: datetime
    time_zone: str
    scope: Scope
    by: str = "period"
    bucket: str = "day"
    now: datetime | None = None
    organisations: tuple[int, ...] = ()
    departments: tuple[str, ...] = ()
    services: tuple[int, ...] = ()
    categories: tuple[int, ...] = ()
    groups: tuple[int, ...] = ()
    agents: tuple[int, ...] = ()
    priorities: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    policies: tuple[int, ...] = ()

    def but(self, **changes) -> "Query":
        return replace(self, **changes)


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    # how a value reads: "count", "percent" (0-100), "seconds" (a duration), "number", "rating" (1-5)
    type: str = "count"


@dataclass
class Row:
    key: Any  # the breakdown's value: a period start (date), an id, a code
    label: Any
    values: dict[str, Any]
    # the records behind the row, for the drill-down: {name: value} of `servicedesk.reporting.drill`
    records: dict[str, Any] | None = None


@dataclass
class Result:
    columns: list[Column]
    rows: list[Row]
    chart: str = "bar"  # "line", "bar", "stacked", "pie", "none"
    # the whole result's records (a dashboard tile's link)
    records: dict[str, Any] | None = None
    totals: dict[str, Any] = field(default_factory=dict)
    # what people wrote behind the figures, newest first (satisfaction comments): each a Note
    notes: list = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON-ready: what the API answers and the chart script reads."""
        return {
            "chart": self.chart,
            "columns": [{"key": c.key, "label": str(c.label), "type": c.type} for c in self.columns],
            "rows": [
                {"key": _plain(row.key), "label": str(row.label), "values": row.values} for row in self.rows
            ],
            "totals": self.totals,
            "notes": [
                {"number": n.number, "url": n.url, "text": n.text, "at": n.at.isoformat(), "rating": n.rating}
                for n in self.notes
            ],
        }


@dataclass
class Note:
    """One record's words behind a figure: a requester's satisfaction comment with its rating."""

    number: str
    url: str | None
    text: str
    at: datetime
    rating: int | None = None


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


@dataclass(frozen=True)
class Measure:
    key: str  # "sla_compliance": the report's address and the API's
    label: Any
    definition: Any  # in words, for the report page and the API documentation
    section: Any  # "Service desk", "Problems", ...: how the report index groups them
    compute: Callable[[Query], Result]
    # the filters it honours (keys of FILTERS) and the breakdowns it offers ("period" and filter names)
    filters: tuple[str, ...] = ()
    breakdowns: tuple[str, ...] = ("period",)
    # the kinds it reads by default (the kind filter narrows them)
    kinds: tuple[str, ...] = ()
    # who reads it: "desk" (managers, agents for their own figures, service owners, administrators) or
    # "managers" (everyone but agents limited to themselves)
    audience: str = "desk"
    # a point in time rather than a period (backlog now, at risk now): the period fields are ignored
    snapshot: bool = False
    order: int = 100


_MEASURES: dict[str, Measure] = {}


def register_measure(measure: Measure) -> None:
    existing = _MEASURES.get(measure.key)
    if existing is not None and existing != measure:
        raise ValueError(f"Measure {measure.key} is already registered.")
    _MEASURES[measure.key] = measure


def measures() -> list[Measure]:
    return sorted(_MEASURES.values(), key=lambda m: (m.order, m.key))


def measure(key: str) -> Measure:
    try:
        return _MEASURES[key]
    except KeyError:
        raise LookupError(key) from None
