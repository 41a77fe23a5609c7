"""The sweep: warnings, breaches and escalations, each fired exactly once however many workers sweep."""

import contextlib
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.models import Incident
from incidents.services import escalation
from incidents.sla import IncidentSLA
from servicedesk import roles
from servicedesk.models import (
    EscalationRule,
    OutboxMessage,
    SLAClock,
    SLAFiring,
    SLAPolicy,
    SLASegment,
    SLATarget,
    TimelineEntry,
)
from servicedesk.sla import sweep as sweep_module
from servicedesk.sla.sweep import RETRY_AFTER, sla_sweep

from ..factories import SupportGroupFactory, UserFactory
from .conftest import HOURS, at, clocks_of, firings, make_policy, sweep_at

MINUTES = timedelta(minutes=1)
T = at(2026, 1, 5, 10)  # a Monday


def file_at(moment, requester, service, **fields):
    with time_machine.travel(moment, tick=False):
        return services.incident_create(actor=requester, title="Mail is down", service=service, **fields)


def mails(record=None, event=None) -> list[tuple[str, str]]:
    """(event, recipient) of the e-mails in the outbox, in order."""
    queryset = OutboxMessage.objects.filter(channel=OutboxMessage.Channel.EMAIL)
    if record is not None:
        queryset = queryset.filter(object_id=record.pk)
    if event is not None:
        queryset = queryset.filter(event=f"notification.{event}")
    return list(queryset.order_by("id").values_list("event", "recipient"))


def system_events(record, event, metric=None) -> list[dict]:
    return [
        entry.data
        for entry in TimelineEntry.objects.filter(
            object_id=record.pk, kind=TimelineEntry.Kind.SYSTEM
        ).order_by("id")
        if entry.data.get("event") == event and metric in (None, entry.data.get("metric"))
    ]


# Warnings and breaches -------------------------------------------------------------------------------


def test_warnings_fire_once_each_at_their_percentage(policy, requester, service):
    record = file_at(T, requester, service)

    assert sweep_at(T + 29 * MINUTES) == 0
    assert firings(record) == []

    sweep_at(T + 30 * MINUTES)
    assert firings(record) == [("response", "warning:50", 1)]
    response = clocks_of(record)["response"]
    assert response.warned_at == T + 30 * MINUTES
    assert response.next_check_at == T + 45 * MINUTES
    warned = mails(record, "sla_warning")
    assert warned
    assert {recipient for _e, recipient in warned} == {"agent@example.com", "manager@example.com"}

    assert sweep_at(T + 31 * MINUTES) == 0
    sweep_at(T + 45 * MINUTES)
    assert firings(record) == [("response", "warning:50", 1), ("response", "warning:75", 1)]
    assert len(mails(record, "sla_warning")) == 2 * len(warned)
    assert [data["percent"] for data in system_events(record, "sla_warning")] == [50, 75]


def test_only_the_highest_warning_is_told_when_several_are_crossed_at_once(policy, requester, service):
    record = file_at(T, requester, service)

    sweep_at(T + 50 * MINUTES)

    assert firings(record) == [("response", "warning:50", 1), ("response", "warning:75", 1)]
    [warning] = system_events(record, "sla_warning")
    assert warning["percent"] == 75
    assert len(mails(record, "sla_warning")) == 2  # the group's two members, once each


def test_a_minutes_before_breach_warning_fires_at_its_time(always, requester, service):
    make_policy(always, warning_minutes=10)
    record = file_at(T, requester, service)

    assert clocks_of(record)["response"].next_check_at == T + 50 * MINUTES
    sweep_at(T + 50 * MINUTES)

    assert firings(record) == [("response", "warning:-10m", 1)]


def test_the_breach_is_dated_at_the_due_time_and_told_once(policy, requester, service, group_manager):
    record = file_at(T, requester, service)

    sweep_at(T + 90 * MINUTES)

    assert firings(record) == [
        ("response", "warning:50", 1),
        ("response", "warning:75", 1),
        ("response", "breach", 1),
    ]
    response = clocks_of(record)["response"]
    assert response.breached_at == T + HOURS
    assert response.state == SLAClock.State.RUNNING  # breached, still waiting for the response
    assert response.next_check_at is None  # nothing left to check
    breach = response.ledger.get(kind=SLASegment.Kind.BREACHED)
    assert breach.started_at == T + HOURS
    assert system_events(record, "sla_warning") == []  # the breach says it all
    assert len(system_events(record, "sla_breached")) == 1
    assert "manager@example.com" in {recipient for _e, recipient in mails(record, "sla_breached")}

    assert sweep_at(T + 2 * HOURS) == 0
    assert len(firings(record)) == 3


def test_the_breach_of_a_clock_on_office_hours_is_dated_in_working_time(office, requester, service):
    make_policy(office)
    record = file_at(at(2026, 1, 9, 16, 30), requester, service)  # Friday

    sweep_at(at(2026, 1, 12, 12))

    assert clocks_of(record)["response"].breached_at == at(2026, 1, 12, 9, 30)


def test_the_sweep_walks_every_batch(policy, requester, service):
    records = [file_at(T, requester, service) for _ in range(7)]

    assert sweep_at(T + 30 * MINUTES, batch_size=2) == 7

    assert SLAFiring.objects.count() == 7
    assert all(firings(record) == [("response", "warning:50", 1)] for record in records)


# Escalation ------------------------------------------------------------------------------------------


@pytest.fixture
def second_line(support_group):
    expert = UserFactory(username="expert", roles=[roles.AGENT])
    group = SupportGroupFactory(name="Second line", members=[expert])
    support_group.escalation_group = group
    support_group.save(update_fields=["escalation_group"])
    return group


def test_the_group_manager_is_told_of_an_escalation_once(escalating, requester, service):
    record = file_at(T, requester, service)

    sweep_at(T + HOURS)
    sweep_at(T + HOURS + MINUTES)
    sweep_at(T + 2 * HOURS)

    assert mails(record, "escalated") == [("notification.escalated", "manager@example.com")]
    [firing] = SLAFiring.objects.filter(threshold__startswith="rule:")
    assert firing.rule.metric == "response"
    assert firing.data["actions"] == ["notify"]
    assert len(system_events(record, "sla_escalated")) == 1


def test_a_functional_escalation_moves_the_record_to_the_next_tier_once(
    escalating, requester, agent, service, second_line
):
    record = file_at(T, requester, service)
    with time_machine.travel(T + 5 * MINUTES, tick=False):
        services.incident_transition(record=record, actor=agent, to="assigned", assignee=agent)

    sweep_at(T + 8 * HOURS)

    record.refresh_from_db()
    assert record.support_group == second_line
    assert record.assignee is None  # not a member of the second line
    assert record.status == "new"  # back in a queue: the second line's
    assert len(system_events(record, "sla_escalated", "resolution")) == 1
    changes = TimelineEntry.objects.filter(object_id=record.pk, kind=TimelineEntry.Kind.FIELD_CHANGE)
    assert changes.count() == 1
    assert changes.get().data["changes"]["support_group"]["to_label"] == "Second line"
    assert mails(record, "assigned")[-1] == ("notification.assigned", "expert@example.com")

    sweep_at(T + 9 * HOURS)
    record.refresh_from_db()
    assert record.support_group == second_line
    assert len(system_events(record, "sla_escalated", "resolution")) == 1
    assert changes.count() == 1


@pytest.fixture
def tiered(always):
    """24x7; resolution 2 h per priority step (P4 8 h, P3 6 h); no response target."""
    policy = SLAPolicy.objects.create(name="Tiered", calendar=always)
    for priority in range(1, 6):
        SLATarget.objects.create(
            policy=policy, metric="resolution", priority=priority, target=2 * priority * HOURS
        )
    return policy


def test_raising_the_priority_re_targets_the_clock(tiered, requester, service):
    EscalationRule.objects.create(policy=tiered, metric="resolution", percent=50, raise_priority=True)
    record = file_at(T, requester, service)
    assert record.priority == 4

    sweep_at(T + 4 * HOURS)

    record.refresh_from_db()
    assert record.priority == 3
    resolution = clocks_of(record)["resolution"]
    assert (resolution.priority, resolution.target_seconds) == (3, 6 * 3600)
    assert resolution.consumed_seconds == pytest.approx(4 * 3600)
    assert resolution.due_at == T + 6 * HOURS
    assert resolution.next_check_at == T + 6 * HOURS
    assert resolution.ledger.get(kind=SLASegment.Kind.RETARGETED).reason == "priority"

    sweep_at(T + 5 * HOURS)
    record.refresh_from_db()
    assert record.priority == 3  # the rule fired once: not raised again at 50 % of the new target
    sweep_at(T + 6 * HOURS)
    assert firings(record) == [
        ("resolution", f"rule:{tiered.escalations.get().pk}", 1),
        ("resolution", "breach", 1),
    ]
    resolution.refresh_from_db()
    assert resolution.breached_at == T + 6 * HOURS


def test_a_rule_left_behind_by_a_raised_priority_still_fires(tiered, requester, service, group_manager):
    raise_rule = EscalationRule.objects.create(
        policy=tiered, metric="resolution", percent=100, raise_priority=True
    )
    tell_rule = EscalationRule.objects.create(
        policy=tiered, metric="resolution", percent=120, notify_group_manager=True
    )
    record = file_at(T, requester, service)

    sweep_at(T + 8 * HOURS)  # 100 % of P4's 8 h: P3's 6 h target; 120 % of it (7.2 h) is behind

    thresholds = {threshold for _m, threshold, _c in firings(record)}
    assert {f"rule:{raise_rule.pk}", f"rule:{tell_rule.pk}", "breach"} <= thresholds
    assert mails(record, "escalated") == [("notification.escalated", "manager@example.com")]
    record.refresh_from_db()
    assert record.priority == 3
    resolution = clocks_of(record)["resolution"]
    assert resolution.breached_at == T + 8 * HOURS  # when it breached, at the priority it had then
    assert resolution.next_check_at is None
    assert sweep_at(T + 9 * HOURS) == 0


# Exactly once, whatever happens -------------------------------------------------------------------------


def test_a_clock_not_yet_due_is_not_read(policy, requester, service):
    early = file_at(T, requester, service)
    late = file_at(T + 20 * MINUTES, requester, service)
    untouched = clocks_of(late)["response"]

    with CaptureQueriesContext(connection) as queries:
        assert sweep_at(T + 35 * MINUTES) == 1

    assert firings(early) == [("response", "warning:50", 1)]
    assert firings(late) == []
    assert clocks_of(late)["response"].updated_at == untouched.updated_at
    [select] = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT")
        and 'FROM "servicedesk_slaclock"' in q["sql"]
        and "next_check_at" in q["sql"]
    ][:1]
    assert '"next_check_at" <=' in select
    if connection.vendor == "postgresql":  # SQLite has no row locks
        assert "FOR UPDATE" in select
        assert "SKIP LOCKED" in select


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_sweep_reads_the_partial_index(policy, requester, service):
    for _ in range(3):
        file_at(T, requester, service)
    query = (
        SLAClock.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(next_check_at__lte=T)
        .order_by("next_check_at", "pk")[:200]
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()

    assert "sla_clock_due_idx" in plan


class WorkerKilled(BaseException):
    """What a killed worker looks like from inside: nothing after it runs, nothing is committed."""


@pytest.mark.django_db(transaction=True)
def test_a_sweep_killed_mid_batch_loses_nothing(escalating, requester, service, monkeypatch):
    records = [file_at(T, requester, service) for _ in range(5)]
    announced = []
    original = IncidentSLA.announce

    def dies_on_the_third(self, record, **kwargs):
        announced.append(record.pk)
        if len(announced) == 3:
            raise WorkerKilled
        return original(self, record, **kwargs)

    monkeypatch.setattr(IncidentSLA, "announce", dies_on_the_third)
    before = mails()
    with pytest.raises(WorkerKilled):
        sweep_at(T + 90 * MINUTES, batch_size=10)

    assert len(announced) == 3
    assert SLAFiring.objects.count() == 0
    assert mails() == before
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.SYSTEM).exists()
    assert SLAClock.objects.filter(metric="response", next_check_at=T + 30 * MINUTES).count() == 5

    monkeypatch.setattr(IncidentSLA, "announce", original)
    assert sweep_at(T + 90 * MINUTES, batch_size=10) == 5
    assert sweep_at(T + 91 * MINUTES, batch_size=10) == 0

    for record in records:
        assert [threshold for _m, threshold, _c in firings(record)] == [
            "warning:50",
            "warning:75",
            "breach",
            f"rule:{escalating.escalations.get(metric='response').pk}",
        ]
        assert len(system_events(record, "sla_breached")) == 1
        assert mails(record, "escalated") == [("notification.escalated", "manager@example.com")]


def _breaks_announcing(monkeypatch, broken):
    """Announcing fails for the clocks of `broken` (alone or in a batch), as a broken template would."""
    original = escalation._public_data

    def fails_for_one(clock, data):
        if clock.object_id == broken.pk:
            raise RuntimeError("the mail template is broken")
        return original(clock, data)

    monkeypatch.setattr(escalation, "_public_data", fails_for_one)
    return original


def test_a_clock_whose_check_fails_is_retried_and_the_others_go_on(policy, requester, service, monkeypatch):
    broken, healthy = file_at(T, requester, service), file_at(T, requester, service)
    original = _breaks_announcing(monkeypatch, broken)

    sweep_at(T + 30 * MINUTES)

    assert firings(healthy) == [("response", "warning:50", 1)]
    assert firings(broken) == []
    assert clocks_of(broken)["response"].next_check_at == T + 30 * MINUTES + RETRY_AFTER

    monkeypatch.setattr(escalation, "_public_data", original)
    sweep_at(T + 30 * MINUTES + RETRY_AFTER)
    assert firings(broken) == [("response", "warning:50", 1)]


def _in_thread(target, errors):
    def run():
        try:
            target()
        except BaseException as exc:  # reported to the test, which fails on it
            errors.append(exc)
        finally:
            connection.close()

    return threading.Thread(target=run)


@pytest.mark.django_db(transaction=True)
def test_a_record_being_changed_is_skipped_and_taken_by_the_next_sweep(policy, requester, service):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    record = file_at(T, requester, service)
    locked, release, errors = threading.Event(), threading.Event(), []

    def hold_the_record():
        with transaction.atomic():
            Incident.objects.select_for_update().get(pk=record.pk)
            locked.set()
            release.wait(timeout=30)

    holder = _in_thread(hold_the_record, errors)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        assert sweep_at(T + 30 * MINUTES) == 0
        assert firings(record) == []
        assert clocks_of(record)["response"].next_check_at == T + 30 * MINUTES
    finally:
        release.set()
        holder.join(timeout=30)
    assert not errors

    assert sweep_at(T + 30 * MINUTES) == 1
    assert firings(record) == [("response", "warning:50", 1)]


def _concurrent_sweeps(moment, *, batch_size, hold_first_check=False, hold="check_clock"):
    """Two workers, each on its own connection, starting together; returns what each checked. With
    `hold_first_check`, each waits for the other inside its first call of `hold` (`check_clock`, or
    `check_batch` for the bulk check)."""
    start = threading.Barrier(2, timeout=30)
    inside = threading.Barrier(2, timeout=10)
    checked = {}
    errors = []
    original = getattr(sweep_module, hold)
    first = threading.local()

    def check(*args):
        if hold_first_check and not getattr(first, "done", False):
            # Both workers hold a batch at the same time: neither may take the other's clocks.
            first.done = True
            with contextlib.suppress(threading.BrokenBarrierError):
                inside.wait()
        return original(*args)

    def worker(name):
        def run():
            start.wait()
            checked[name] = sla_sweep(now=moment, batch_size=batch_size)

        return run

    setattr(sweep_module, hold, check)
    try:
        with time_machine.travel(moment, tick=False):
            threads = [_in_thread(worker(name), errors) for name in ("a", "b")]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
    finally:
        setattr(sweep_module, hold, original)
    assert not errors, errors
    return checked


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_fire_each_threshold_exactly_once(escalating, requester, service):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL")
    records = [file_at(T, requester, service) for _ in range(30)]

    checked = _concurrent_sweeps(T + 90 * MINUTES, batch_size=4, hold_first_check=True)

    assert checked["a"] > 0
    assert checked["b"] > 0
    assert checked["a"] + checked["b"] == 30
    rule = escalating.escalations.get(metric="response")
    for record in records:
        assert firings(record) == [
            ("response", "warning:50", 1),
            ("response", "warning:75", 1),
            ("response", "breach", 1),
            ("response", f"rule:{rule.pk}", 1),
        ]
        assert len(system_events(record, "sla_breached")) == 1
        assert len(system_events(record, "sla_escalated")) == 1
        assert mails(record, "escalated") == [("notification.escalated", "manager@example.com")]
        assert len(mails(record, "sla_breached")) == 2
    assert not SLAClock.objects.filter(next_check_at__lte=T + 90 * MINUTES).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_over_both_clocks_of_each_record_fire_everything_once(
    escalating, requester, service, second_line
):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL")
    records = [file_at(T, requester, service) for _ in range(20)]

    _concurrent_sweeps(T + 9 * HOURS, batch_size=3)
    sweep_at(T + 9 * HOURS)  # whatever a worker left because the other held its record

    for record in records:
        thresholds = [(metric, threshold) for metric, threshold, _c in firings(record)]
        assert len(thresholds) == len(set(thresholds)) == 8  # 2 warnings, breach, rule, per metric
        assert len(system_events(record, "sla_breached")) == 2
        assert len(system_events(record, "sla_escalated")) == 2
        record.refresh_from_db()
        assert record.support_group == second_line
    assert not SLAClock.objects.filter(next_check_at__lte=T + 9 * HOURS).exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_celery_task_run_by_a_worker_fires_a_warning(policy, requester, service, celery_worker):
    from servicedesk.tasks import sla_sweep_task

    filed = timezone_now() - 40 * MINUTES
    record = file_at(filed, requester, service)

    sla_sweep_task.delay()

    assert _wait_for(lambda: firings(record)), "the worker did not sweep within 30 s"
    assert firings(record) == [("response", "warning:50", 1)]
    assert _wait_for(lambda: system_events(record, "sla_warning"))


def _wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def timezone_now():
    from django.utils import timezone

    return timezone.now().replace(microsecond=0)
