"""SLA clocks by registration alone: the test-only chore kind (`tests/kernelkind`) registers an adapter and
its metrics (resolution only), and the kernel starts, pauses, stops, sweeps and escalates its clocks."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction

from servicedesk.errors import NotFound
from servicedesk.kinds import RecordKind, kind_of
from servicedesk.models import EscalationRule, OutboxMessage, SLAClock, SLASegment
from servicedesk.records.services import record_lock, record_save
from servicedesk.records.transitions import record_transition
from servicedesk.sla.clocks import sla_sync
from servicedesk.sla.status import pause_label
from tests.kernelkind import workflow as wf
from tests.kernelkind.records import PUBLISHED
from tests.kernelkind.services import chore_create
from tests.kernelkind.sla import BEING_DONE

from .conftest import HOURS, at, clocks_of, firings, make_policy, sweep_at

T0 = at(2026, 3, 2, 9)


@pytest.fixture
def chore_policy(always):
    """24x7: respond in 1 h, resolve in 8 h; warn at 50 %; paused while the chore is being done."""
    return make_policy(always, name="Chores", warning_percents=[50], pause_on=[BEING_DONE])


def file_chore(requester, moment=T0, title="Water the plants"):
    PUBLISHED.clear()
    with time_machine.travel(moment, tick=False):
        return chore_create(actor=requester, title=title)


def fire(chore, actor, to, moment, **inputs):
    with time_machine.travel(moment, tick=False):
        return record_transition(record=chore, actor=actor, to=to, **inputs)


def reset(chore, moment):
    """What a service of the kind does with its internal transition: move, save, sync the clocks."""
    with time_machine.travel(moment, tick=False), transaction.atomic():
        chore = record_lock(chore)
        wf.WORKFLOW.move(chore, "reset")
        record_save(chore, ["status"])
        sla_sync(record=chore)
    return chore


def check(chore):
    chore.checked = True
    record_save(chore, ["checked"])


def sent(chore):
    """(notification event, recipient) of the e-mails about the chore, in order."""
    return list(
        OutboxMessage.objects.filter(channel=OutboxMessage.Channel.EMAIL, object_id=chore.pk)
        .order_by("pk")
        .values_list("event", "recipient")
    )


def test_a_kind_with_an_adapter_names_its_metrics_and_one_without_runs_none():
    def nothing(*, user, number):
        raise NotFound()

    plain = {"code": "gadget", "prefix": "GAD", "label": "Gadget", "model": "kernelkind.Chore"}
    with pytest.raises(ValueError, match="an SLA adapter and its metrics go together"):
        RecordKind(**plain, get_for_user=nothing, sla=object())
    with pytest.raises(ValueError, match="an SLA adapter and its metrics go together"):
        RecordKind(**plain, get_for_user=nothing, sla_metrics=("resolution",))
    assert RecordKind(**plain, get_for_user=nothing).sla_metrics == ()


def test_a_chore_filed_under_a_policy_starts_only_its_kinds_clocks_and_keeps_its_due_time(
    chore_policy, requester
):
    chore = file_chore(requester)

    clocks = clocks_of(chore)
    assert list(clocks) == ["resolution"]  # the policy has response targets: the kind does not run them
    clock = clocks["resolution"]
    assert (clock.state, clock.policy, clock.target_seconds) == (
        SLAClock.State.RUNNING,
        chore_policy,
        8 * 3600,
    )
    assert clock.due_at == T0 + 8 * HOURS
    chore.refresh_from_db()
    assert chore.sla_due_at == T0 + 8 * HOURS


def test_a_policy_for_other_kinds_starts_no_clock_for_a_chore(always, requester):
    make_policy(always, kinds=["incident", "request"])

    chore = file_chore(requester)

    assert clocks_of(chore) == {}
    chore.refresh_from_db()
    assert chore.sla_due_at is None


def test_a_policy_for_chores_covers_them_by_the_kinds_code(always, requester):
    make_policy(always, kinds=["chore"])

    assert list(clocks_of(file_chore(requester))) == ["resolution"]


def test_the_clock_pauses_resumes_and_stops_as_the_adapters_facts_say(chore_policy, requester, worker):
    chore = file_chore(requester)

    chore = fire(chore, worker, wf.DOING, T0 + HOURS)  # being done: the policy pauses on it
    clock = clocks_of(chore)["resolution"]
    assert (clock.state, clock.pause_reason, clock.due_at) == (SLAClock.State.PAUSED, BEING_DONE, None)
    assert clock.consumed_seconds == 3600
    assert pause_label(clock.pause_reason) == "Being done"
    chore.refresh_from_db()
    assert chore.sla_due_at is None

    chore = reset(chore, T0 + 3 * HOURS)
    clock = clocks_of(chore)["resolution"]
    assert clock.state == SLAClock.State.RUNNING
    assert clock.due_at == T0 + 10 * HOURS  # 7 h left from 12:00
    chore.refresh_from_db()
    assert chore.sla_due_at == T0 + 10 * HOURS

    check(chore)
    chore = fire(chore, worker, wf.DONE, T0 + 4 * HOURS, outcome="Watered.")
    clock = clocks_of(chore)["resolution"]
    assert (clock.state, clock.consumed_seconds) == (SLAClock.State.MET, 2 * 3600)
    assert [s.kind for s in clock.ledger.order_by("id")] == [
        SLASegment.Kind.RUNNING,
        SLASegment.Kind.PAUSED,
        SLASegment.Kind.RUNNING,
        SLASegment.Kind.STOPPED,
    ]
    chore.refresh_from_db()
    assert chore.sla_due_at is None


def test_a_policy_that_does_not_pause_on_it_keeps_the_clock_running(always, requester, worker):
    make_policy(always)
    chore = fire(file_chore(requester), worker, wf.DOING, T0 + HOURS)

    assert clocks_of(chore)["resolution"].state == SLAClock.State.RUNNING


def test_a_dropped_chore_cancels_its_clock(chore_policy, requester):
    chore = fire(file_chore(requester), requester, wf.DROPPED, T0 + HOURS, reason="Not needed.")

    clock = clocks_of(chore)["resolution"]
    assert clock.state == SLAClock.State.CANCELLED
    assert clock.next_check_at is None


@pytest.fixture
def escalating_chores(always):
    """24x7, resolve in 8 h (P3: 4 h); warn at 50 %; at 100 % raise the priority and tell the assignee."""
    policy = make_policy(always, name="Chores", warning_percents=[50])
    policy.targets.filter(metric="resolution", priority=3).update(target=4 * HOURS)
    EscalationRule.objects.create(
        policy=policy, metric="resolution", percent=100, raise_priority=True, notify_assignee=True
    )
    return policy


def test_the_sweep_announces_and_escalates_a_chore_through_its_adapter(escalating_chores, requester, worker):
    chore = fire(file_chore(requester), worker, wf.DOING, T0 + timedelta(minutes=5))  # worker has it
    assert chore.priority == 4
    rule = escalating_chores.escalations.get()

    sweep_at(T0 + 4 * HOURS + timedelta(minutes=1))
    assert [(number, event) for number, event, _data in PUBLISHED] == [
        (chore.number, "created"),
        (chore.number, "started"),
        (chore.number, "sla_warning"),
    ]
    assert PUBLISHED[-1][2]["target"] == "Resolution"

    sweep_at(T0 + 8 * HOURS + timedelta(minutes=1))

    assert firings(chore) == [
        ("resolution", "warning:50", 1),
        ("resolution", "breach", 1),
        ("resolution", f"rule:{rule.pk}", 1),
    ]
    assert [event for _n, event, _d in PUBLISHED][-1] == "sla_breached"
    chore.refresh_from_db()
    assert chore.priority == 3  # raised by the adapter, and the clock re-targeted to P3's 4 h
    clock = clocks_of(chore)["resolution"]
    assert (clock.priority, clock.target_seconds) == (3, 4 * 3600)
    assert clock.ledger.filter(kind=SLASegment.Kind.RETARGETED, reason="priority").exists()
    assert sent(chore)[-3:] == [
        ("notification.sla_warning", worker.email),
        ("notification.sla_breached", worker.email),
        ("notification.escalated", worker.email),
    ]
    assert kind_of(chore).code == "chore"
