"""SLA clocks while a service request awaits approval: a policy that pauses on "awaiting approval" holds
them from the filing until the approval settles (approved, rejected, expired or cancelled)."""

from datetime import timedelta

import pytest
import time_machine

from incidents import services
from incidents.models import Incident, RequestType
from servicedesk import roles
from servicedesk.approvals.services import approval_cancel, approval_decide
from servicedesk.approvals.sweep import approvals_sweep
from servicedesk.models import ApprovalRequest, SLAClock, SLASegment
from servicedesk.sla.status import record_sla

from ..factories import UserFactory
from .conftest import HOURS, at, clocks_of, make_policy

MINUTES = timedelta(minutes=1)
T = at(2026, 1, 5, 10)
State = SLAClock.State
Kind = SLASegment.Kind


@pytest.fixture
def pausing(always):
    return make_policy(always, pause_on=["on_hold:requester", "awaiting_approval"])


@pytest.fixture
def boss(db, requester):
    boss = UserFactory(username="boss", full_name="Barbara Boss", roles=[roles.REQUESTER])
    requester.manager = boss
    requester.save(update_fields=["manager"])
    return boss


@pytest.fixture
def laptop(db, service):
    return RequestType.objects.create(
        name="New laptop", service=service, approval=RequestType.Approval.MANAGER
    )


def _at(moment, function, /, **kwargs):
    with time_machine.travel(moment, tick=False):
        return function(**kwargs)


def _file(requester, request_type):
    create = services.incident_create
    return _at(T, create, actor=requester, kind="request", title="Laptop", request_type=request_type)


def _approval(record):
    return ApprovalRequest.objects.get(object_id=record.pk)


def _ledger(clock):
    return list(clock.ledger.order_by("id").values_list("kind", "reason"))


def test_the_clocks_pause_while_the_request_awaits_approval_and_resume_once_approved(
    pausing, requester, boss, laptop
):
    record = _file(requester, laptop)

    clocks = clocks_of(record)
    assert set(clocks) == {"response", "resolution"}
    for clock in clocks.values():
        assert (clock.state, clock.pause_reason) == (State.PAUSED, "awaiting_approval")
        assert clock.due_at is None
    record.refresh_from_db()
    assert record.sla_due_at is None
    assert {str(status.pause_label) for status in record_sla(record)} == {"Awaiting approval"}

    _at(T + 2 * HOURS, approval_decide, approval=_approval(record), actor=boss, decision="approve")

    clocks = clocks_of(record)
    response, resolution = clocks["response"], clocks["resolution"]
    assert (response.state, resolution.state) == (State.RUNNING, State.RUNNING)
    assert response.due_at == T + 2 * HOURS + HOURS
    assert resolution.due_at == T + 2 * HOURS + 8 * HOURS
    assert resolution.consumed_seconds == pytest.approx(0)
    assert _ledger(resolution) == [
        (Kind.RUNNING, "started"),
        (Kind.PAUSED, "awaiting_approval"),
        (Kind.RUNNING, ""),
    ]
    paused = resolution.ledger.get(kind=Kind.PAUSED)
    assert (paused.started_at, paused.ended_at) == (T, T + 2 * HOURS)
    record.refresh_from_db()
    assert record.sla_due_at == response.due_at


def test_a_policy_that_does_not_pause_on_it_keeps_the_clocks_running(policy, requester, boss, laptop):
    record = _file(requester, laptop)

    for clock in clocks_of(record).values():
        assert clock.state == State.RUNNING
    assert clocks_of(record)["resolution"].due_at == T + 8 * HOURS


def test_a_rejection_withdraws_the_request_and_cancels_its_paused_clocks(pausing, requester, boss, laptop):
    record = _file(requester, laptop)

    _at(T + HOURS, approval_decide, approval=_approval(record), actor=boss, decision="reject", comment="No.")

    assert Incident.objects.get(pk=record.pk).status == "cancelled"
    assert {clock.state for clock in clocks_of(record).values()} == {State.CANCELLED}


def test_an_expired_approval_cancels_the_request_and_its_clocks(pausing, requester, boss, laptop):
    record = _file(requester, laptop)
    ApprovalRequest.objects.filter(pk=_approval(record).pk).update(next_check_at=T + HOURS, due_at=T + HOURS)

    with time_machine.travel(T + 2 * HOURS, tick=False):
        assert approvals_sweep(now=T + 2 * HOURS) == 1

    assert _approval(record).status == "expired"
    assert {clock.state for clock in clocks_of(record).values()} == {State.CANCELLED}


def test_a_cancelled_approval_resumes_the_clocks(pausing, requester, boss, laptop, group_manager):
    record = _file(requester, laptop)

    _at(T + 3 * HOURS, approval_cancel, approval=_approval(record), actor=group_manager, reason="Not needed.")

    resolution = clocks_of(record)["resolution"]
    assert resolution.state == State.RUNNING
    assert resolution.due_at == T + 3 * HOURS + 8 * HOURS
    assert Incident.objects.get(pk=record.pk).status == "new"
