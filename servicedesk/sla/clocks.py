"""SLA clocks: started, paused, resumed, re-targeted and stopped by the services that change records.

A process app's services call `sla_sync(record=...)` inside their transaction after every change that can
matter (filing, a transition, a first response, a new priority or service). `sla_sync` reads the record's
facts through its kind's adapter and brings each clock in line: it never guesses from signals.

Every change of a clock closes the open ledger segment and opens the next one, so the business time a
clock consumed is the sum of its closed running segments plus the open one's time so far; `ledger_consumed`
recomputes it from the ledger alone.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from servicedesk.kinds import kind_of
from servicedesk.models import Metric, SLAClock, SLAPolicy, SLASegment

from .calendar import Schedule, add, between
from .policies import (
    Schedules,
    Threshold,
    clock_time_zone,
    policies_by_id,
    policies_with_rules,
    policy_match,
    policy_target,
    policy_thresholds,
)

State = SLAClock.State
Kind = SLASegment.Kind
OPEN_STATES = (State.RUNNING, State.PAUSED)
# Floating-point slack when comparing consumption with a threshold (business seconds).
EPSILON = 0.001


@dataclass
class Context:
    """What one sync or sweep shares: the time, the schedules read so far, the policies by id."""

    now: datetime
    schedules: Schedules
    policies: dict[int, SLAPolicy]

    @classmethod
    def create(cls, now: datetime | None = None) -> "Context":
        return cls(now=now or timezone.now(), schedules=Schedules(), policies={})

    def policy(self, pk: int) -> SLAPolicy:
        if pk not in self.policies:
            policy = policies_by_id().get(pk)
            self.policies[pk] = policy if policy is not None else policies_with_rules().get(pk=pk)
        return self.policies[pk]

    def schedule(self, clock: SLAClock) -> Schedule:
        return self.schedules.get(self.policy(clock.policy_id).calendar, clock.time_zone)


@dataclass
class _Writes:
    """What one `sla_sync` changes, written at its end in as few statements as the changes allow: the
    new clocks in one insert, the changed ones in one update, the ledger's new segments in one insert."""

    clocks: dict = field(default_factory=dict)  # id(clock) -> clock, in the order they changed
    segments: list = field(default_factory=list)
    closed: set = field(default_factory=set)  # clocks whose stored open segment is closed already

    def flush(self) -> None:
        new = [clock for clock in self.clocks.values() if clock.pk is None]
        changed = [clock for clock in self.clocks.values() if clock.pk is not None]
        if new:
            SLAClock.objects.bulk_create(new)
        if changed:
            now = timezone.now()
            for clock in changed:
                clock.updated_at = now  # auto_now, which bulk_update does not fill
            names = [f.name for f in SLAClock._meta.concrete_fields if not f.primary_key]
            SLAClock.objects.bulk_update(changed, names)
        if self.segments:
            for segment in self.segments:
                segment.clock_id = segment.clock.pk
            SLASegment.objects.bulk_create(self.segments)


# The writes of the `sla_sync` under way; None elsewhere (the sweep and the edits write as they go).
_writes: ContextVar[_Writes | None] = ContextVar("sla_writes", default=None)


@contextmanager
def _deferred_writes():
    writes = _Writes()
    token = _writes.set(writes)
    try:
        yield writes
    finally:
        _writes.reset(token)
    writes.flush()


# Reading a clock ---------------------------------------------------------------------------------------


def consumed_at(clock: SLAClock, schedule: Schedule, moment: datetime) -> float:
    """Business seconds the clock has consumed by `moment` (not before its banked time)."""
    if clock.state == State.RUNNING and clock.running_since is not None:
        return clock.consumed_seconds + between(schedule, clock.running_since, moment)
    return clock.consumed_seconds


def _wall_time(clock: SLAClock, schedule: Schedule, seconds: float) -> datetime | None:
    """When a running clock reaches `seconds` of consumption (its banked time onwards); None if never."""
    remaining = max(seconds - clock.consumed_seconds, 0)
    try:
        return add(schedule, clock.running_since, remaining)
    except ValueError:  # a calendar without working time: the clock never gets there
        return None


def _crossing(clock: SLAClock, schedule: Schedule, now: datetime) -> datetime | None:
    """When the clock reached its target, if it has by `now` and no breach is stamped; else None.

    A running clock crossed it where its running time since it last banked made up the rest (never after
    `now`); a clock whose banked time already covers the target (a target lowered below it, which
    `_retarget` stamps at once) crossed it when it last banked, or now when it is paused.
    """
    if clock.breached_at is not None:
        return None
    if consumed_at(clock, schedule, now) < clock.target_seconds - EPSILON:
        return None
    if clock.state != State.RUNNING or clock.running_since is None:
        return now
    if clock.consumed_seconds >= clock.target_seconds - EPSILON:
        return clock.running_since
    crossed = _wall_time(clock, schedule, clock.target_seconds)
    return now if crossed is None else min(crossed, now)


def stamp_breach(clock: SLAClock, schedule: Schedule, now: datetime) -> bool:
    """Stamp `breached_at` where the clock crossed its target, if it has by `now` and has no stamp, and
    write the ledger's breached point there. Whatever sees a clock past its target stamps it (banking,
    re-targeting, stopping, the sweep), so the stamp never waits for, nor depends on, an announcement.
    Returns whether it stamped."""
    crossed = _crossing(clock, schedule, now)
    if crossed is None:
        return False
    clock.breached_at = crossed
    _point(clock, Kind.BREACHED, crossed)
    return True


def _due(clock: SLAClock, schedule: Schedule) -> datetime | None:
    if clock.state != State.RUNNING:
        return None
    if clock.consumed_seconds >= clock.target_seconds:
        return clock.breached_at or clock.running_since
    return _wall_time(clock, schedule, clock.target_seconds)


def next_check(clock: SLAClock, thresholds: list[Threshold], schedule: Schedule, now: datetime):
    """When the sweep must look at the clock next: the wall time of the first threshold beyond what it
    checked (running), now for a paused clock that crossed one unchecked, else None."""
    if clock.state == State.RUNNING:
        for threshold in thresholds:
            if threshold.seconds > clock.checked_seconds + EPSILON:
                return _wall_time(clock, schedule, threshold.seconds)
        return None
    if clock.state == State.PAUSED:
        crossed = any(
            clock.checked_seconds + EPSILON < t.seconds <= clock.consumed_seconds + EPSILON
            for t in thresholds
        )
        return now if crossed else None
    return None


def ledger_consumed(clock: SLAClock, schedule: Schedule, moment: datetime) -> float:
    """The clock's consumption recomputed from its ledger (this cycle): closed running segments as they
    were banked, the open one through `schedule` up to `moment`."""
    total = 0.0
    for segment in clock.ledger.filter(cycle=clock.cycle, kind=Kind.RUNNING):
        if segment.ended_at is None:
            total += between(schedule, segment.started_at, moment)
        else:
            total += segment.business_seconds
    return total


# Changing a clock --------------------------------------------------------------------------------------


def _add_segment(segment: SLASegment) -> None:
    writes = _writes.get()
    if writes is None:
        segment.save()
    else:
        writes.segments.append(segment)


def _open(clock: SLAClock, kind: str, at: datetime, reason: str = "", data: dict | None = None) -> None:
    _add_segment(
        SLASegment(clock=clock, cycle=clock.cycle, kind=kind, started_at=at, reason=reason, data=data or {})
    )


def _point(clock: SLAClock, kind: str, at: datetime, reason: str = "", data: dict | None = None) -> None:
    _add_segment(
        SLASegment(
            clock=clock,
            cycle=clock.cycle,
            kind=kind,
            started_at=at,
            ended_at=at,
            reason=reason,
            data=data or {},
        )
    )


def _close(clock: SLAClock, at: datetime, business_seconds: float = 0) -> None:
    """Close the clock's open segment: one not written yet (this sync opened it), else the stored one."""
    writes = _writes.get()
    if writes is not None:
        for segment in writes.segments:
            if segment.clock is clock and segment.ended_at is None:
                segment.ended_at, segment.business_seconds = at, business_seconds
                return
        if clock.pk is None or clock.pk in writes.closed:
            return
        writes.closed.add(clock.pk)
    SLASegment.objects.filter(clock=clock, ended_at__isnull=True).update(
        ended_at=at, business_seconds=business_seconds
    )


def _bank(clock: SLAClock, schedule: Schedule, now: datetime) -> None:
    """Close the open segment at `now`; a running clock banks the business time since it last banked,
    stamping the breach where that time crossed the target (before it is folded into the bank and the
    crossing can no longer be told)."""
    stamp_breach(clock, schedule, now)
    if clock.state == State.RUNNING:
        elapsed = between(schedule, clock.running_since, now)
        clock.consumed_seconds += elapsed
        clock.running_since = now
        _close(clock, now, elapsed)
    else:
        _close(clock, now)


def _pause(clock: SLAClock, schedule: Schedule, now: datetime, reason: str) -> None:
    _bank(clock, schedule, now)
    clock.state, clock.running_since, clock.due_at, clock.pause_reason = State.PAUSED, None, None, reason
    _open(clock, Kind.PAUSED, now, reason)


def _resume(clock: SLAClock, now: datetime, reason: str = "") -> None:
    _close(clock, now)
    clock.state, clock.running_since, clock.pause_reason, clock.stopped_at = State.RUNNING, now, "", None
    _open(clock, Kind.RUNNING, now, reason)


def _stop(clock: SLAClock, schedule: Schedule, now: datetime, reason: str, *, cancel: bool = False) -> None:
    _bank(clock, schedule, now)  # stamps a breach the sweep has not seen yet, when it happened
    if cancel:
        state = State.CANCELLED
    elif clock.consumed_seconds >= clock.target_seconds - EPSILON:
        state = State.BREACHED
    else:
        state = State.MET
    clock.state, clock.running_since, clock.pause_reason = state, None, ""
    clock.stopped_at, clock.next_check_at = now, None
    _point(clock, Kind.STOPPED, now, reason, {"state": state, "consumed_seconds": clock.consumed_seconds})


def _retarget(clock, schedule, now, *, policy, priority, target, time_zone, reason) -> None:
    before = {
        "policy": clock.policy.name,
        "priority": clock.priority,
        "target_seconds": clock.target_seconds,
        "time_zone": clock.time_zone,
    }
    running = clock.state == State.RUNNING
    _bank(clock, schedule, now)
    clock.policy, clock.priority, clock.target_seconds, clock.time_zone = policy, priority, target, time_zone
    clock.checked_seconds = 0  # look again: a shorter target may have put thresholds behind the clock
    if clock.consumed_seconds < target - EPSILON:
        clock.breached_at = None  # a longer target: not breached (yet) in this cycle
    after = {"policy": policy.name, "priority": priority, "target_seconds": target, "time_zone": time_zone}
    _point(clock, Kind.RETARGETED, now, reason, {"from": before, "to": after})
    stamp_breach(clock, schedule, now)  # a shorter target already behind the clock is breached now
    _open(clock, Kind.RUNNING if running else Kind.PAUSED, now, "" if running else clock.pause_reason)


def _new_cycle(clock: SLAClock, now: datetime) -> None:
    clock.cycle += 1
    clock.consumed_seconds = clock.checked_seconds = 0
    clock.warned_at = clock.breached_at = clock.stopped_at = None
    clock.started_at = now
    clock.state, clock.running_since, clock.pause_reason = State.RUNNING, now, ""
    _open(clock, Kind.RUNNING, now, "reopened")


def refresh(clock: SLAClock, ctx: Context, thresholds: list[Threshold] | None = None) -> None:
    """Recompute the due time and the next check of a changed clock, and save it."""
    schedule = ctx.schedule(clock)
    if thresholds is None:
        thresholds = policy_thresholds(ctx.policy(clock.policy_id), clock.metric, clock.target_seconds)
    if clock.state == State.RUNNING:
        clock.due_at = _due(clock, schedule)
    elif clock.state == State.PAUSED:
        clock.due_at = None  # unknown until it resumes; a stopped clock keeps the due time it had
    check = next_check(clock, thresholds, schedule, ctx.now)
    if check is not None and clock.state in OPEN_STATES and ctx.policy(clock.policy_id).is_active:
        clock.next_check_at = check
    else:
        clock.next_check_at = None
    writes = _writes.get()
    if writes is None:
        clock.save()
    else:
        writes.clocks[id(clock)] = clock


# The service -------------------------------------------------------------------------------------------


# No savepoint of its own: nobody recovers from a failed sync inside the caller's transaction, and
# SAVEPOINT and RELEASE are two round trips on every write.
@transaction.atomic(savepoint=False)
def sla_sync(
    *,
    record,
    rematch: bool = False,
    now: datetime | None = None,
    ctx: Context | None = None,
    filed: bool = False,
):
    """Bring `record`'s clocks in line with its state; return them by metric.

    Starts the clocks of a record that has none, for the metrics its kind runs (`RecordKind.sla_metrics`)
    that a policy and a target cover; pauses and resumes
    them as the policy says, stops the response clock at the first response and the resolution clock at
    the resolution, cancels both for a cancelled record, resumes the resolution clock of a reopened record
    (or starts a new cycle, as its policy says). With `rematch` (filing; a new priority, service or
    classification) the policy is chosen again, and a running clock whose policy, priority or target
    changed is re-targeted, keeping the time it consumed. A retired policy's clocks are always re-matched.
    The caller holds the record's row lock. Its writes wait until the end, then take one statement each
    (new clocks, changed clocks, new ledger segments), whatever a clock went through. `filed`: the record
    was created in this transaction, so it has no clocks to read yet.
    """
    with _deferred_writes():
        return _sync(record=record, rematch=rematch, now=now, ctx=ctx, filed=filed)


def _sync(*, record, rematch: bool, now: datetime | None, ctx: Context | None, filed: bool = False):
    kind = kind_of(record)
    adapter = kind.sla
    if adapter is None:
        return {}
    ctx = ctx or Context.create(now)
    now = ctx.now
    facts = adapter.facts(record)
    content_type = ContentType.objects.get_for_model(record)
    clocks = {}
    if not filed:
        for clock in SLAClock.objects.select_for_update(of=("self",)).filter(
            content_type=content_type, object_id=record.pk
        ):
            clock.policy = ctx.policy(clock.policy_id)
            clocks[clock.metric] = clock
    had_clocks = bool(clocks)
    ordered = sorted(clocks.values(), key=lambda clock: clock.state not in OPEN_STATES)
    current = ordered[0].policy if ordered else None
    if rematch or current is None or not current.is_active:
        policy = policy_match(facts)
        if policy is not None:
            ctx.policies[policy.pk] = policy
    else:
        policy = ctx.policy(current.pk)
    time_zone = clock_time_zone(policy, adapter, record) if policy is not None else ""

    # The kind's metrics, and those of clocks it already has (kept in line until they stop).
    for metric in dict.fromkeys([*kind.sla_metrics, *clocks]):
        clock = clocks.get(metric)
        target = policy_target(policy, metric, facts.priority) if policy is not None else None
        stops = facts.resolved or (metric == Metric.RESPONSE and facts.responded)
        if clock is None:
            if target is None or stops or facts.cancelled or (had_clocks and not rematch):
                continue
            clocks[metric] = _start(
                record, content_type, metric, policy, facts.priority, target, time_zone, ctx
            )
            clock = clocks[metric]
        elif clock.state not in OPEN_STATES:
            if (
                metric == Metric.RESOLUTION
                and clock.state != State.CANCELLED
                and not (stops or facts.cancelled)
            ):
                _reopen(clock, ctx)
            else:
                continue
        if clock.state in OPEN_STATES:
            _sync_open(clock, ctx, facts, policy, target, time_zone, stops)
    _set_due(record, adapter, clocks.values())
    return clocks


def _start(record, content_type, metric, policy, priority, target, time_zone, ctx) -> SLAClock:
    clock = SLAClock(
        content_type=content_type,
        object_id=record.pk,
        metric=metric,
        policy=policy,
        priority=priority,
        time_zone=time_zone,
        target_seconds=target,
        started_at=ctx.now,
        running_since=ctx.now,
        state=State.RUNNING,
    )
    _open(clock, Kind.RUNNING, ctx.now, "started")
    refresh(clock, ctx)
    return clock


def _reopen(clock: SLAClock, ctx: Context) -> None:
    policy = ctx.policy(clock.policy_id)
    if policy.reopen_new_cycle:
        _new_cycle(clock, ctx.now)
    else:
        _resume(clock, ctx.now, "reopened")
    refresh(clock, ctx)


def _sync_open(clock, ctx, facts, policy, target, time_zone, stops) -> None:
    now = ctx.now
    schedule = ctx.schedule(clock)
    if not stops and not facts.cancelled:
        if policy is None or target is None:
            _stop(clock, schedule, now, "no_policy" if policy is None else "no_target", cancel=True)
            refresh(clock, ctx)
            return
        changed = (
            clock.policy_id != policy.pk
            or clock.priority != facts.priority
            or clock.target_seconds != target
            or clock.time_zone != time_zone
        )
        if changed:
            reason = (
                "priority" if clock.policy_id == policy.pk and clock.priority != facts.priority else "policy"
            )
            _retarget(
                clock, schedule, now, policy=policy, priority=facts.priority, target=target,
                time_zone=time_zone, reason=reason,
            )  # fmt: skip
            schedule = ctx.schedule(clock)
    if stops or facts.cancelled:
        reason = "cancelled" if facts.cancelled else ("resolved" if facts.resolved else "responded")
        _stop(clock, schedule, now, reason, cancel=facts.cancelled and not stops)
    elif facts.pause_reason and facts.pause_reason in (ctx.policy(clock.policy_id).pause_on or []):
        if clock.state == State.RUNNING or clock.pause_reason != facts.pause_reason:
            _pause(clock, schedule, now, facts.pause_reason)
    elif clock.state == State.PAUSED:
        _resume(clock, now)
    refresh(clock, ctx)


def _set_due(record, adapter, clocks) -> None:
    """The record's earliest running due time, where its queue sorts by it."""
    dues = [clock.due_at for clock in clocks if clock.state == State.RUNNING and clock.due_at is not None]
    due = min(dues) if dues else None
    if getattr(record, adapter.due_field) != due:
        setattr(record, adapter.due_field, due)
        type(record).objects.filter(pk=record.pk).update(**{adapter.due_field: due})
