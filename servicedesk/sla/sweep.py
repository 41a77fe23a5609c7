"""The sweep: fire the warnings, breaches and escalation rules of the clocks that crossed a threshold.

It reads only clocks whose `next_check_at` has passed (a partial index), in batches locked with
`FOR UPDATE SKIP LOCKED`, so its cost follows the clocks due, and several workers can sweep at once. Each
batch is one transaction: a worker killed mid-batch leaves the clocks due, and the next sweep takes them.
A batch is checked in bulk (`batch.py`: a constant number of statements whatever its size), falling back
to one clock at a time when that fails; a clock that crossed an escalation rule is always checked alone.
A threshold fires by inserting its `SLAFiring` row, unique per clock, cycle and threshold, before acting:
whatever happens, it acts once per cycle. That claim decides only announcing and escalating: a clock past
its target without a breach stamp is stamped at the crossing every time (a target lowered then raised
again may breach twice in one cycle; it is announced once).

Lock order: a service changing a record locks the record, then its clocks. The sweep locks clocks, then
their records with SKIP LOCKED: a record someone is changing is left for the next sweep, never waited on.
"""

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from servicedesk.kinds import kind_of
from servicedesk.models import SLAClock, SLAFiring

from .batch import check_batch, claim_many, load_policies
from .clocks import EPSILON, OPEN_STATES, Context, consumed_at, refresh, stamp_breach
from .policies import Threshold, policy_thresholds

logger = logging.getLogger(__name__)

RETRY_AFTER = timedelta(minutes=5)  # a clock whose check failed is looked at again after this
RETARGET_ROUNDS = 5  # re-checks of a clock an escalation re-targeted (a priority rises four times at most)


def sla_sweep(
    *, now: datetime | None = None, batch_size: int | None = None, time_budget: float | None = None
):
    """Check every clock due at `now` (default: the current time), batch after batch, until none is left
    or `time_budget` seconds have passed. Returns the number of clocks checked."""
    now = now or timezone.now()
    batch_size = batch_size or settings.ITSM_SLA_SWEEP_BATCH
    budget = settings.ITSM_SLA_SWEEP_TIME_BUDGET if time_budget is None else time_budget
    deadline = time.monotonic() + budget
    skipped: set[int] = set()
    checked = 0
    ctx = Context.create(now)  # the policies and calendars, read once for the whole sweep
    while True:
        with transaction.atomic():
            done, taken = sla_sweep_batch(now=now, batch_size=batch_size, exclude=skipped, ctx=ctx)
        checked += done
        if taken < batch_size or time.monotonic() > deadline:
            return checked


def sla_sweep_batch(
    *, now: datetime, batch_size: int, exclude: set[int] | None = None, ctx: Context | None = None
) -> tuple[int, int]:
    """Check one batch of due clocks in the caller's transaction: (clocks checked, clocks taken).

    The batch is checked in bulk (`batch.check_batch`), in a constant number of statements; if that
    fails (one record an adapter cannot announce), it is rolled back and its clocks are checked one by
    one, each in its own savepoint, so the others still fire and the broken one is retried later.
    Clocks whose record is locked by someone else are added to `exclude` and left due. `ctx` (the
    sweep's, shared by its batches) holds the policies and calendars read so far.
    """
    exclude = exclude if exclude is not None else set()
    clocks = list(
        SLAClock.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(next_check_at__lte=now)
        .exclude(pk__in=exclude)
        .order_by("next_check_at", "pk")[:batch_size]
    )
    if not clocks:
        return 0, 0
    ctx = ctx or Context.create(now)
    load_policies(ctx, clocks)
    records = _lock_records(clocks)
    _leave_missing([clock for clock in clocks if _key(clock) not in records], exclude)
    pairs = [(clock, records[_key(clock)]) for clock in clocks if _key(clock) in records]
    try:
        with transaction.atomic():
            one_by_one = check_batch(pairs, ctx)
    except Exception:  # one broken record must not stop the others: check them one by one
        logger.exception("sla: checking a batch of %s clocks failed; checking them one by one", len(pairs))
        fresh = SLAClock.objects.in_bulk([clock.pk for clock, _record in pairs])
        one_by_one = [(fresh[clock.pk], record) for clock, record in pairs]
    checked = len(pairs) - len(one_by_one)
    seen: set[tuple[int, int]] = set()
    for clock, record in one_by_one:
        if _key(clock) in seen:
            clock.refresh_from_db()  # an escalation of its record's other clock may have re-targeted it
        seen.add(_key(clock))
        try:
            with transaction.atomic():
                check_clock(clock, record, ctx)
            checked += 1
        except Exception:  # one broken clock must not stop the others; it is retried later
            logger.exception("sla: checking clock %s failed", clock.pk)
            SLAClock.objects.filter(pk=clock.pk).update(next_check_at=now + RETRY_AFTER)
    return checked, len(clocks)


def _key(clock: SLAClock) -> tuple[int, int]:
    return clock.content_type_id, clock.object_id


def _lock_records(clocks) -> dict[tuple[int, int], object]:
    """The clocks' records, locked with SKIP LOCKED (one query per kind of record)."""
    by_type: dict[int, set[int]] = {}
    for clock in clocks:
        by_type.setdefault(clock.content_type_id, set()).add(clock.object_id)
    records = {}
    for type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        for record in model.objects.select_for_update(skip_locked=True, of=("self",)).filter(pk__in=ids):
            records[type_id, record.pk] = record
    return records


def _leave_missing(clocks: list[SLAClock], exclude: set[int]) -> None:
    """Clocks whose record was not locked: being changed right now (left for the next sweep), or gone
    (never checked again). One query per kind of record, one update."""
    by_type: dict[int, set[int]] = {}
    for clock in clocks:
        by_type.setdefault(clock.content_type_id, set()).add(clock.object_id)
    existing = set()
    for type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        existing.update((type_id, pk) for pk in model.objects.filter(pk__in=ids).values_list("pk", flat=True))
    gone = [clock.pk for clock in clocks if _key(clock) not in existing]
    exclude.update(clock.pk for clock in clocks if _key(clock) in existing)
    if gone:
        SLAClock.objects.filter(pk__in=gone).update(next_check_at=None)


def check_clock(clock: SLAClock, record, ctx: Context) -> list[str]:
    """Fire what `clock` crossed since it was last checked; schedule its next check. Returns the keys
    of the thresholds that fired now.

    An escalation that re-targets the clock (a raised priority) may put thresholds of the new target
    behind it: they are checked in the same call (those this cycle already fired are refused by their
    unique constraint), a few rounds at most.
    """
    fired_keys: list[str] = []
    for _round in range(RETARGET_ROUNDS):
        policy = ctx.policy(clock.policy_id)
        if not policy.is_active or clock.state not in OPEN_STATES:
            # A retired policy escalates nothing (its clocks move to another policy when it is retired).
            clock.next_check_at = None
            clock.save(update_fields=["next_check_at", "updated_at"])
            return fired_keys
        schedule = ctx.schedule(clock)
        thresholds = policy_thresholds(policy, clock.metric, clock.target_seconds)
        consumed = consumed_at(clock, schedule, ctx.now)
        # Stamp first: a breach is a fact of the clock, even when this cycle announced one already.
        stamp_breach(clock, schedule, ctx.now)
        crossed = [t for t in thresholds if clock.checked_seconds + EPSILON < t.seconds <= consumed + EPSILON]
        claimed = _claim(clock, crossed, ctx.now)
        fired = [t for t in crossed if t.key in claimed]
        fired_keys += [t.key for t in fired]
        _act(clock, record, kind_of(record).sla, fired, ctx)
        if not any(t.kind == "rule" for t in fired):
            clock.checked_seconds = max(clock.checked_seconds, consumed)
            break
        before = (clock.policy_id, clock.target_seconds, clock.time_zone, clock.cycle)
        clock.refresh_from_db()  # an escalation may have re-targeted it (a raised priority)
        if (clock.policy_id, clock.target_seconds, clock.time_zone, clock.cycle) == before:
            clock.checked_seconds = max(clock.checked_seconds, consumed)
            break
    refresh(clock, ctx)
    if clock.next_check_at is not None and clock.next_check_at <= ctx.now:
        # Rounding left a threshold a hair ahead (or the rounds ran out): look again at the next sweep.
        clock.next_check_at = ctx.now + timedelta(seconds=1)
        clock.save(update_fields=["next_check_at", "updated_at"])
    return fired_keys


def _claim(clock: SLAClock, thresholds: list[Threshold], now: datetime) -> set[str]:
    """Record that the thresholds fired in this cycle; return the keys that had not fired before."""
    if not thresholds:
        return set()
    return {key for _pk, key in claim_many([(clock, thresholds)], now)}


def _act(clock, record, adapter, fired: list[Threshold], ctx: Context) -> None:
    """Announce the breach, or else the highest warning that fired (not every warning crossed at once),
    then run the escalation rules in order. The claim decides only this: the breach itself is stamped
    (`stamp_breach`) whether or not this cycle announced one before."""
    breach = next((t for t in fired if t.kind == "breach"), None)
    warnings = [t for t in fired if t.kind == "warning"]
    data = {"metric": clock.metric, "target_seconds": clock.target_seconds, "cycle": clock.cycle}
    if warnings and clock.warned_at is None:
        clock.warned_at = ctx.now
    if any(t.kind == "rule" for t in fired):
        # An escalation may sync the clock from the database: it must see this first. Otherwise the
        # caller's `refresh` saves the clock once, with everything.
        clock.save(update_fields=["warned_at", "breached_at", "updated_at"])
    if breach is not None:
        adapter.announce(
            record, event="sla_breached", clock=clock, data={**data, "due_at": clock.breached_at}
        )
    elif warnings:
        warning = warnings[-1]
        adapter.announce(
            record,
            event="sla_warning",
            clock=clock,
            data={**data, "percent": warning.percent, "due_at": clock.due_at},
        )
    for threshold in fired:
        if threshold.kind == "rule" and threshold.rule is not None:
            done = adapter.escalate(record, clock=clock, rule=threshold.rule)
            SLAFiring.objects.filter(clock=clock, cycle=clock.cycle, threshold=threshold.key).update(
                data=done
            )
