"""Clocks as people and the API see them: time left or overdue, percentage, a colour level, the ledger.

Reads only. `records_sla` serves a whole page of records in a constant number of queries (the clocks,
their policies and calendars, the calendars' hours and exceptions), whatever the page size.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from servicedesk.kinds import record_kinds
from servicedesk.models import SLAClock, SLASegment

from .clocks import EPSILON, State, consumed_at
from .policies import Schedules


class Level:
    """The colour of a clock: how a list shows it."""

    OK = "ok"  # running, no warning yet
    WARNING = "warning"  # running past its first warning
    BREACHED = "breached"  # past its target (running, paused or stopped)
    PAUSED = "paused"
    MET = "met"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class ClockStatus:
    clock: SLAClock
    consumed_seconds: float
    remaining_seconds: float  # business seconds; negative when overdue
    percent: float
    level: str

    @property
    def metric(self) -> str:
        return self.clock.metric

    @property
    def state(self) -> str:
        return self.clock.state

    @property
    def is_breached(self) -> bool:
        return self.level == Level.BREACHED

    @property
    def pause_label(self) -> str:
        return pause_label(self.clock.pause_reason)


def pause_label(reason: str) -> str:
    """What a pause reason code means, in words (the adapters' labels)."""
    for kind in record_kinds():
        for code, label in getattr(kind.sla, "pause_choices", None) or []:
            if code == reason:
                return str(label)
    return reason


def clock_status(clock: SLAClock, schedules: Schedules, now: datetime) -> ClockStatus:
    schedule = schedules.get(clock.policy.calendar, clock.time_zone)
    consumed = consumed_at(clock, schedule, now)
    target = clock.target_seconds or 1
    percent = 100 * consumed / target
    breached = clock.breached_at is not None or consumed >= clock.target_seconds - EPSILON
    if clock.state == State.CANCELLED:
        level = Level.CANCELLED
    elif breached:
        level = Level.BREACHED
    elif clock.state == State.MET:
        level = Level.MET
    elif clock.state == State.PAUSED:
        level = Level.PAUSED
    elif clock.warned_at is not None or _past_first_warning(clock, consumed):
        level = Level.WARNING
    else:
        level = Level.OK
    return ClockStatus(
        clock=clock,
        consumed_seconds=consumed,
        remaining_seconds=clock.target_seconds - consumed,
        percent=round(percent, 1),
        level=level,
    )


def _past_first_warning(clock: SLAClock, consumed: float) -> bool:
    """Between sweeps the list still turns amber on time: the policy's first warning point is passed."""
    policy = clock.policy
    points = [clock.target_seconds * int(p) / 100 for p in policy.warning_percents or [] if 0 < int(p) < 100]
    if policy.warning_minutes and policy.warning_minutes * 60 < clock.target_seconds:
        points.append(clock.target_seconds - policy.warning_minutes * 60)
    return bool(points) and consumed >= min(points) - EPSILON


def _clocks():
    return SLAClock.objects.select_related("policy__calendar").order_by("-metric")


def record_sla(
    record, *, now: datetime | None = None, schedules: Schedules | None = None
) -> list[ClockStatus]:
    """The record's clocks, response first."""
    return records_sla([record], now=now, schedules=schedules).get(record.pk, [])


def records_sla(
    records, *, now: datetime | None = None, schedules: Schedules | None = None
) -> dict[int, list[ClockStatus]]:
    """The clocks of several records of one model, by record id, response first (3 queries)."""
    records = list(records)
    if not records:
        return {}
    now = now or timezone.now()
    content_type = ContentType.objects.get_for_model(records[0])
    clocks = list(_clocks().filter(content_type=content_type, object_id__in=[r.pk for r in records]))
    schedules = schedules if schedules is not None else Schedules()
    schedules.load({clock.policy.calendar for clock in clocks})
    result: dict[int, list[ClockStatus]] = {}
    for clock in clocks:
        result.setdefault(clock.object_id, []).append(clock_status(clock, schedules, now))
    return result


def ledgers_prefetch(clocks) -> None:
    """Read the ledgers of `clocks` at once (one query), oldest segment first, for `clock_ledger`."""
    prefetch_related_objects(list(clocks), Prefetch("ledger", queryset=SLASegment.objects.order_by("id")))


@dataclass(frozen=True)
class LedgerLine:
    segment: SLASegment
    wall_seconds: float | None  # how long it lasted on the wall clock (so far, for the open one)
    business_seconds: float  # business time it consumed (running segments)

    @property
    def kind(self) -> str:
        return self.segment.kind

    @property
    def reason_label(self) -> str:
        return pause_label(self.segment.reason) if self.segment.kind == SLASegment.Kind.PAUSED else ""


def clock_ledger(clock: SLAClock, *, now: datetime | None = None, schedules: Schedules | None = None):
    """The clock's ledger, every cycle, oldest first, with durations ("paused 2 h 10 min"); from the
    segments prefetched with `ledgers_prefetch` when they were."""
    now = now or timezone.now()
    schedules = schedules or Schedules()
    schedule = schedules.get(clock.policy.calendar, clock.time_zone)
    lines = []
    prefetched = "ledger" in getattr(clock, "_prefetched_objects_cache", {})
    for segment in clock.ledger.all() if prefetched else clock.ledger.order_by("id"):
        end = segment.ended_at or now
        business = segment.business_seconds
        if segment.kind == SLASegment.Kind.RUNNING and segment.ended_at is None:
            business = (
                consumed_at(clock, schedule, now) - clock.consumed_seconds
                if clock.state == State.RUNNING
                else 0
            )
        wall = (end - segment.started_at).total_seconds() if segment.kind in ("running", "paused") else None
        lines.append(LedgerLine(segment=segment, wall_seconds=wall, business_seconds=business))
    return lines
