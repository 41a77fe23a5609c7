"""Edits to policies and calendars, applied to the open clocks they govern, and previewed before saving.

A policy edit (targets, calendar, pause states, thresholds) re-targets the open clocks under it, keeping
the time they consumed; retiring a policy moves its open clocks to the next policy that matches their
record (or cancels them when none does), so a retired policy escalates nothing more. A calendar edit
re-computes the due times of the open clocks counted through it. In both cases the business time consumed
so far is banked through the hours it ran under (`before`) and only the time to come follows the new ones.
Criteria (kinds, priorities, organisations) apply to records as they are filed or re-classified.

`sla_preview` runs an edit in a transaction it rolls back and reports what it would move.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from servicedesk.configmemo import config_changed
from servicedesk.models import BusinessCalendar, SLAClock, SLAPolicy, SLASegment

from .calendar import Schedule
from .clocks import EPSILON, OPEN_STATES, Context, State, _bank, _open, consumed_at, sla_sync


@transaction.atomic
def sla_policy_changed(
    *, policy: SLAPolicy, before: Schedule | None = None, now: datetime | None = None
) -> int:
    """Apply an edited (or retired) policy to its open clocks; `before` is its calendar's schedule before
    the edit when the calendar changed. Returns the number of records synced."""
    config_changed()
    clocks = SLAClock.objects.filter(policy=policy, state__in=OPEN_STATES)
    banks = {policy.pk: before} if before is not None else {}
    return _resync(clocks, Context.create(now), banks=banks, rematch=not policy.is_active)


@transaction.atomic
def sla_calendar_changed(*, calendar: BusinessCalendar, before: Schedule, now: datetime | None = None) -> int:
    """Apply an edited calendar (hours, holidays, time zone) to the open clocks counted through it."""
    config_changed()
    policies = list(SLAPolicy.objects.filter(calendar=calendar).values_list("pk", flat=True))
    clocks = SLAClock.objects.filter(policy__in=policies, state__in=OPEN_STATES)
    return _resync(clocks, Context.create(now), banks=dict.fromkeys(policies, before), rematch=False)


def _resync(clocks, ctx: Context, *, banks: dict[int, Schedule], rematch: bool) -> int:
    """Lock the clocks' records (as the services do: record, then clocks), bank their running time through
    the schedule they ran under, then sync them."""
    by_type: dict[int, set[int]] = {}
    for type_id, object_id in clocks.values_list("content_type_id", "object_id"):
        by_type.setdefault(type_id, set()).add(object_id)
    count = 0
    for type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        for record in model.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"):
            if banks:
                _bank_before(type_id, record.pk, ctx.now, banks)
            sla_sync(record=record, rematch=rematch, ctx=ctx)
            count += 1
    return count


def _bank_before(type_id: int, object_id: int, now: datetime, banks: dict[int, Schedule]) -> None:
    running = SLAClock.objects.select_for_update(of=("self",)).filter(
        content_type_id=type_id, object_id=object_id, state=State.RUNNING, policy__in=list(banks)
    )
    for clock in running:
        schedule = banks[clock.policy_id]
        _bank(clock, replace(schedule, time_zone=clock.time_zone), now)
        _open(clock, SLASegment.Kind.RUNNING, now, "calendar")
        clock.save(update_fields=["consumed_seconds", "running_since", "breached_at", "updated_at"])


# Preview ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    due_at: datetime | None
    state: str
    breached: bool
    policy: str
    target_seconds: int


@dataclass(frozen=True)
class PreviewRow:
    """An open clock an edit would move: its record, due time and breach state before and after."""

    clock_id: int
    record: object
    metric: str
    before: Snapshot
    after: Snapshot

    @property
    def shift_seconds(self) -> float | None:
        """How far the due time moves (positive: later); None when either side has none."""
        if self.before.due_at is None or self.after.due_at is None:
            return None
        return (self.after.due_at - self.before.due_at).total_seconds()

    @property
    def breach_changed(self) -> bool:
        return self.before.breached != self.after.breached


def _snapshots(clock_ids, now: datetime) -> dict[int, Snapshot]:
    ctx = Context.create(now)
    clocks = SLAClock.objects.filter(pk__in=clock_ids).select_related("policy__calendar")
    ctx.schedules.load({clock.policy.calendar for clock in clocks})
    return {
        clock.pk: Snapshot(
            due_at=clock.due_at if clock.state in OPEN_STATES else None,
            state=clock.state,
            breached=clock.state == State.BREACHED
            or consumed_at(clock, ctx.schedules.get(clock.policy.calendar, clock.time_zone), now)
            >= clock.target_seconds - EPSILON,
            policy=clock.policy.name,
            target_seconds=clock.target_seconds,
        )
        for clock in clocks
    }


def sla_preview(apply: Callable[[], object], clocks, *, now: datetime | None = None):
    """Run `apply` (an edit and what saving it does to the clocks) and roll it all back; return
    (its result, the `PreviewRow`s of the open clocks in `clocks` whose due time or breach state it moves).

    The rows come from the very code a save runs, so the preview is what saving does, at `now`.
    """
    now = now or timezone.now()
    ids = list(clocks.filter(state__in=OPEN_STATES).values_list("pk", flat=True))
    before = _snapshots(ids, now)
    with transaction.atomic():
        result = apply()
        after = _snapshots(ids, now)
        transaction.set_rollback(True)
    moved = [pk for pk in ids if pk in after and _moved(before[pk], after[pk])]
    records = _records(SLAClock.objects.filter(pk__in=moved))
    rows = [
        PreviewRow(clock_id=pk, record=records.get(pk), metric=metric, before=before[pk], after=after[pk])
        for pk, metric in SLAClock.objects.filter(pk__in=moved)
        .order_by("due_at", "pk")
        .values_list("pk", "metric")
    ]
    return result, rows


def _moved(before: Snapshot, after: Snapshot) -> bool:
    return before.due_at != after.due_at or before.breached != after.breached or before.state != after.state


def _records(clocks) -> dict[int, object]:
    """Each clock's record, one query per kind."""
    by_type: dict[int, dict[int, list[int]]] = {}
    for pk, type_id, object_id in clocks.values_list("pk", "content_type_id", "object_id"):
        by_type.setdefault(type_id, {}).setdefault(object_id, []).append(pk)
    records = {}
    for type_id, objects in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        for record in model.objects.filter(pk__in=list(objects)):
            for pk in objects[record.pk]:
                records[pk] = record
    return records
