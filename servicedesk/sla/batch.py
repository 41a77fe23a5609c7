"""Checking a batch of due clocks at once: a constant number of statements whatever the batch's size.

The sweep (`sweep.py`) locks a batch of clocks and their records, then hands them here. Each clock's
crossings are computed in memory; then one insert stamps the breaches in the ledgers, one claims every
threshold crossed (`SLAFiring`, `ON CONFLICT DO NOTHING`: its unique constraint still decides what fires,
so it fires once whatever else runs), each kind's adapter announces its warnings and breaches together
(`announce_all`: its timeline entries and outbox rows in bulk), and one update writes every clock's due
time and next check. The result is what `sweep.check_clock` gives one clock at a time.

A clock that crossed an escalation rule is left to `check_clock`: an escalation changes its record
through the kind's services (reassign, raise the priority and re-target the clock), one record at a time
like a person's change, and those are few.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from servicedesk.kinds import kind_of
from servicedesk.models import SLAClock, SLAFiring, SLASegment

from .adapters import Announcement, announce_all
from .calendar import Schedule
from .clocks import EPSILON, OPEN_STATES, Context, consumed_at, next_check
from .clocks import _crossing as breach_crossing
from .clocks import _due as due_time
from .policies import Threshold, policies_with_rules, policy_thresholds

State = SLAClock.State
# What a check changes on a clock (its state and ledger segments are the services' to change).
CHECKED_FIELDS = ("warned_at", "breached_at", "checked_seconds", "due_at", "next_check_at", "updated_at")
CLAIM_ROWS = 1000  # firings per INSERT (6 parameters each: well inside PostgreSQL's 65,535)


@dataclass
class _Check:
    clock: SLAClock
    record: object
    schedule: Schedule
    thresholds: list[Threshold]
    consumed: float
    crossed: list[Threshold]


def load_policies(ctx: Context, clocks) -> None:
    """Read the batch's policies with their rules in one go, for `ctx.policy`."""
    wanted = {clock.policy_id for clock in clocks} - set(ctx.policies)
    if wanted:
        ctx.policies.update({policy.pk: policy for policy in policies_with_rules().filter(pk__in=wanted)})


def check_batch(pairs: list[tuple[SLAClock, object]], ctx: Context) -> list[tuple[SLAClock, object]]:
    """Check every (clock, locked record) of `pairs` in bulk, in the caller's transaction; return those
    that crossed an escalation rule, untouched, for `check_clock`. Raises whatever an adapter raises:
    the caller rolls the batch back and checks its clocks one by one."""
    now = ctx.now
    slow, closed, checks, breaches = [], [], [], []
    schedules: dict[tuple[int, str], Schedule] = {}
    targets: dict[tuple[int, str, int], list[Threshold]] = {}
    for clock, record in pairs:
        policy = ctx.policy(clock.policy_id)
        if not policy.is_active or clock.state not in OPEN_STATES:
            # A retired policy escalates nothing (its clocks move to another policy when it is retired).
            clock.next_check_at = None
            closed.append(clock)
            continue
        key = (clock.policy_id, clock.time_zone)
        if key not in schedules:
            schedules[key] = ctx.schedule(clock)
        schedule = schedules[key]
        target = (clock.policy_id, clock.metric, clock.target_seconds)
        if target not in targets:
            targets[target] = policy_thresholds(policy, clock.metric, clock.target_seconds)
        thresholds = targets[target]
        consumed = consumed_at(clock, schedule, now)
        crossed = [t for t in thresholds if clock.checked_seconds + EPSILON < t.seconds <= consumed + EPSILON]
        if any(t.kind == "rule" for t in crossed):
            slow.append((clock, record))
            continue
        # Stamp first: a breach is a fact of the clock, even when this cycle announced one already.
        crossing = breach_crossing(clock, schedule, now)
        if crossing is not None:
            clock.breached_at = crossing
            breaches.append(
                SLASegment(
                    clock=clock,
                    cycle=clock.cycle,
                    kind=SLASegment.Kind.BREACHED,
                    started_at=crossing,
                    ended_at=crossing,
                    data={},
                )
            )
        checks.append(_Check(clock, record, schedule, thresholds, consumed, crossed))
    if breaches:
        SLASegment.objects.bulk_create(breaches)
    claimed = claim_many([(check.clock, check.crossed) for check in checks], now)
    by_kind: dict[str, tuple[object, list[Announcement]]] = {}
    for check in checks:
        fired = [t for t in check.crossed if (check.clock.pk, t.key) in claimed]
        announcement = _announcement(check.clock, check.record, fired, now)
        if announcement is not None:
            kind = kind_of(check.record)
            by_kind.setdefault(kind.code, (kind.sla, []))[1].append(announcement)
        check.clock.checked_seconds = max(check.clock.checked_seconds, check.consumed)
    for adapter, announcements in by_kind.values():
        announce_all(adapter, announcements)
    for check in checks:
        _schedule(check, now)
    _save([*closed, *(check.clock for check in checks)])
    return slow


def _announcement(clock, record, fired: list[Threshold], now: datetime) -> Announcement | None:
    """The breach, or else the highest warning that fired (not every warning crossed at once), as
    `sweep._act` announces it."""
    breach = next((t for t in fired if t.kind == "breach"), None)
    warnings = [t for t in fired if t.kind == "warning"]
    data = {"metric": clock.metric, "target_seconds": clock.target_seconds, "cycle": clock.cycle}
    if warnings and clock.warned_at is None:
        clock.warned_at = now
    if breach is not None:
        return Announcement(record, "sla_breached", clock, {**data, "due_at": clock.breached_at})
    if warnings:
        data = {**data, "percent": warnings[-1].percent, "due_at": clock.due_at}
        return Announcement(record, "sla_warning", clock, data)
    return None


def _schedule(check: _Check, now: datetime) -> None:
    """The due time and next check, as `clocks.refresh` computes them (the policy is active here)."""
    clock = check.clock
    if clock.state == State.RUNNING:
        clock.due_at = due_time(clock, check.schedule)
    elif clock.state == State.PAUSED:
        clock.due_at = None
    clock.next_check_at = next_check(clock, check.thresholds, check.schedule, now)
    if clock.next_check_at is not None and clock.next_check_at <= now:
        # Rounding left a threshold a hair ahead: look again at the next sweep.
        clock.next_check_at = now + timedelta(seconds=1)


def _save(clocks: list[SLAClock]) -> None:
    """Write what the checks changed, one statement for the batch."""
    if not clocks:
        return
    stamp = timezone.now()
    for clock in clocks:
        clock.updated_at = stamp
    if connection.vendor != "postgresql":
        SLAClock.objects.bulk_update(clocks, CHECKED_FIELDS)
        return
    table = connection.ops.quote_name(SLAClock._meta.db_table)
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(clocks))
    params = []
    for clock in clocks:
        params += [clock.pk, *(getattr(clock, field) for field in CHECKED_FIELDS)]
    # Only the table name (from the model) and placeholders are formatted in; every value is a parameter.
    sql = (
        f"UPDATE {table} AS c SET warned_at = v.warned_at::timestamptz, "  # noqa: S608
        "breached_at = v.breached_at::timestamptz, checked_seconds = v.checked_seconds::double precision, "
        "due_at = v.due_at::timestamptz, next_check_at = v.next_check_at::timestamptz, "
        "updated_at = v.updated_at::timestamptz "
        f"FROM (VALUES {rows}) AS v(id, warned_at, breached_at, checked_seconds, due_at, next_check_at, "
        "updated_at) WHERE c.id = v.id::bigint"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def claim_many(crossings: list[tuple[SLAClock, list[Threshold]]], now: datetime) -> set[tuple[int, str]]:
    """Record that the clocks crossed the thresholds in their current cycles; return the (clock id, key)
    that had not fired before (any worker, any time): the unique constraint decides,
    `ON CONFLICT DO NOTHING` skips. One statement per `CLAIM_ROWS` firings."""
    table = connection.ops.quote_name(SLAFiring._meta.db_table)
    fired_at = connection.ops.adapt_datetimefield_value(now)
    rows = []
    for clock, thresholds in crossings:
        for threshold in thresholds:
            data = json.dumps({"percent": threshold.percent, "seconds": threshold.seconds})
            rule_id = getattr(threshold.rule, "pk", None)
            rows.append([clock.pk, clock.cycle, threshold.key, rule_id, fired_at, data])
    claimed: set[tuple[int, str]] = set()
    for start in range(0, len(rows), CLAIM_ROWS):
        chunk = rows[start : start + CLAIM_ROWS]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
        sql = (
            f"INSERT INTO {table} (clock_id, cycle, threshold, rule_id, fired_at, data) "  # noqa: S608
            f"VALUES {values} ON CONFLICT (clock_id, cycle, threshold) DO NOTHING "
            "RETURNING clock_id, threshold"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for row in chunk for value in row])
            claimed.update((row[0], row[1]) for row in cursor.fetchall())
    return claimed
