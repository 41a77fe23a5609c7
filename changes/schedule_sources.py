"""Other sources of the forward schedule: what higher apps put on it beside changes (releases and their
waves), registered in their `AppConfig.ready()` so this app never imports them (DESIGN.md §3).

A source is a function `(*, user, start, end, service=None, ci=None, group=None) -> list[ScheduleEntry]`:
the entries over [start, end) that `user` may see, narrowed by the filters it understands (it ignores none
silently: a filter it cannot apply leaves it out of a narrowed schedule, see `schedule_entries`). Each
source runs a constant number of queries, whatever the span holds.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise


@dataclass(frozen=True)
class ScheduleEntry:
    """One slot on the schedule that is not a change: a release, or one of its waves (`parent` the number
    of the entry it belongs to; `number` then names the parent's record and `title` the wave)."""

    kind: str  # the source's code: "release"
    kind_label: str | Promise  # what the schedule calls it: "Release", "Wave"
    number: str
    title: str
    url: str
    start: datetime
    end: datetime
    status: str
    status_label: str | Promise
    uid: str  # unique and stable over time: the calendar event's UID
    parent: str = ""
    tentative: bool = False
    updated_at: datetime | None = None
    sequence: int = 0

    # `changes.schedule.day_spans` places anything with a planned start and end on its days.
    @property
    def planned_start(self) -> datetime:
        return self.start

    @property
    def planned_end(self) -> datetime:
        return self.end


ScheduleSource = Callable[..., list[ScheduleEntry]]

_SOURCES: dict[str, ScheduleSource] = {}


def register_schedule_source(code: str, source: ScheduleSource) -> None:
    """Add `source` under `code` (call from `AppConfig.ready()`); registering it again is a no-op."""
    existing = _SOURCES.get(code)
    if existing is not None and existing is not source:
        raise ValueError(f"A schedule source {code!r} is already registered.")
    _SOURCES[code] = source


def unregister_schedule_source(code: str) -> None:
    """Remove a source (for tests)."""
    _SOURCES.pop(code, None)


def schedule_sources() -> dict[str, ScheduleSource]:
    return dict(_SOURCES)


def schedule_entries(
    *, user, start: datetime, end: datetime, service=None, ci=None, group=None, risk: str = "", limit: int
) -> tuple[list[ScheduleEntry], bool]:
    """Every other source's entries over [start, end) that `user` may see, earliest first, at most
    `limit` (and whether there were more). A risk is a change's: filtering by it shows no other entry."""
    if risk:
        return [], False
    entries: list[ScheduleEntry] = []
    for source in _SOURCES.values():
        entries += source(user=user, start=start, end=end, service=service, ci=ci, group=group)
    entries.sort(key=lambda entry: (entry.start, entry.number, entry.parent != "", entry.uid))
    return entries[:limit], len(entries) > limit
