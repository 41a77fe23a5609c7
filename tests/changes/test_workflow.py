"""Every transition of each type's table, its guard and who may fire it, through the kernel's engine
(`record_transition`). The CAB and conflict checks are other modules': stubbed here, their calls recorded."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from changes import workflow as wf
from changes.models import Change
from changes.services import change_create, change_from_standard
from changes.services.implementation import change_review
from cmdb.models import ConfigurationItem
from servicedesk import roles
from servicedesk.errors import InvalidTransition, PermissionDenied
from servicedesk.models import AuditEvent, TimelineEntry
from servicedesk.records.services import record_lock
from servicedesk.records.transitions import record_transition, transition_fire_named, transitions_allowed

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def calls(monkeypatch):
    """What the transitions asked of the CAB and of conflict detection."""
    seen = []
    monkeypatch.setattr("changes.services.cab.cab_request_open", lambda **kw: seen.append(("cab_open", kw)))
    monkeypatch.setattr(
        "changes.services.cab.cab_requests_cancel", lambda **kw: seen.append(("cab_cancel", kw))
    )
    monkeypatch.setattr("changes.conflicts.schedule_check", lambda firing: seen.append(("check", firing)))
    return seen


@pytest.fixture
def cab_member(db):
    """A CAB member who is not an agent of changes: sees them, decides through approvals only."""
    return UserFactory(username="cabonly", roles=[roles.CAB_MEMBER])


def _ready(record: Change) -> Change:
    """Dates and a risk: what sending to the CAB needs besides the plans."""
    start = timezone.now() + timedelta(days=3)
    Change.objects.filter(pk=record.pk).update(
        planned_start=start, planned_end=start + timedelta(hours=2), risk_level="low"
    )
    record.refresh_from_db()
    return record


def _internal(record, name, **inputs):
    """An approval settling: the internal move `name`, fired by the system."""
    with transaction.atomic():
        return transition_fire_named(record=record_lock(record), actor=None, name=name, inputs=inputs)


def _normal_at(record, status, manager, agent):
    """The normal change `record` walked to `status` along the happy path."""
    path = [
        (wf.SUBMITTED, agent, {}),
        (wf.ASSESSMENT, manager, {}),
        (wf.AWAITING_APPROVAL, manager, {}),
        (wf.APPROVED, None, {}),
        (wf.SCHEDULED, manager, {}),
        (wf.IMPLEMENTING, agent, {"maintenance": False}),
    ]
    for to, actor, inputs in path:
        if record.status == status:
            break
        if to == wf.AWAITING_APPROVAL:
            record = _ready(record)
        record = (
            _internal(record, "approve")
            if actor is None
            else record_transition(record=record, actor=actor, to=to, **inputs)
        )
    assert record.status == status
    return record


@pytest.fixture
def at(change, change_manager, agent):
    def _at(status):
        return _normal_at(change, status, change_manager, agent)

    return _at


def _names(record, user) -> set[str]:
    return {t["name"] for t in transitions_allowed(record=record, user=user)}


# Normal changes.


def test_the_normal_happy_path_records_each_step(change, change_manager, agent, calls):
    record = _normal_at(change, wf.IMPLEMENTING, change_manager, agent)
    record = record_transition(record=record, actor=agent, to=wf.REVIEW)
    change_review(record=record, actor=agent, outcome=Change.Outcome.SUCCESSFUL, lessons="Smooth.")
    record = record_transition(record=record, actor=change_manager, to=wf.CLOSED)

    assert record.status == wf.CLOSED
    assert record.closed_at is not None
    assert record.assignee == change_manager  # took it when assessing
    assert record.actual_start is not None
    assert record.actual_end >= record.actual_start
    moves = TimelineEntry.objects.filter(object_id=record.pk, kind=TimelineEntry.Kind.TRANSITION)
    assert [e.data["to"] for e in moves.order_by("id")] == [
        wf.SUBMITTED, wf.ASSESSMENT, wf.AWAITING_APPROVAL, wf.APPROVED, wf.SCHEDULED, wf.IMPLEMENTING,
        wf.REVIEW, wf.CLOSED,
    ]  # fmt: skip
    assert AuditEvent.objects.filter(action="change.close", object_id=str(record.pk)).exists()
    assert [name for name, _kw in calls] == ["cab_open", "check"]


def test_the_requester_submits_their_own_draft_and_nobody_else_s(change, requester, other_requester):
    Change.objects.filter(pk=change.pk).update(requester=requester)
    change.refresh_from_db()
    with pytest.raises(PermissionDenied):
        record_transition(record=change, actor=other_requester, to=wf.SUBMITTED)

    assert record_transition(record=change, actor=requester, to=wf.SUBMITTED).status == wf.SUBMITTED


@pytest.mark.parametrize("who", ["agent", "requester", "cab_member"])
def test_only_a_change_manager_assesses(at, who, request):
    record = at(wf.SUBMITTED)
    with pytest.raises(PermissionDenied):
        record_transition(record=record, actor=request.getfixturevalue(who), to=wf.ASSESSMENT)


@pytest.mark.parametrize(
    ("missing", "field"),
    [
        ({"planned_start": None, "planned_end": None}, "planned_start"),
        ({"risk_level": ""}, "risk_level"),
        ({"test_plan": ""}, "test_plan"),
        ({"implementation_plan": " "}, "implementation_plan"),
        ({"backout_plan": ""}, "backout_plan"),
    ],
)
def test_sending_to_the_cab_needs_plans_dates_and_risk(at, change_manager, calls, missing, field):
    record = _ready(at(wf.ASSESSMENT))
    Change.objects.filter(pk=record.pk).update(**missing)
    record.refresh_from_db()

    with pytest.raises(ValidationError) as refused:
        record_transition(record=record, actor=change_manager, to=wf.AWAITING_APPROVAL)

    assert set(refused.value.message_dict) == {field}
    assert Change.objects.get(pk=record.pk).status == wf.ASSESSMENT
    assert calls == []


def test_sending_to_the_cab_opens_its_approval(at, change_manager, calls):
    record = at(wf.AWAITING_APPROVAL)
    assert calls[-1][0] == "cab_open"
    assert calls[-1][1]["change"] == record
    assert calls[-1][1].get("after_the_fact") is None


def test_withdrawing_from_the_cab_needs_a_reason_and_cancels_its_approval(at, change_manager, calls):
    record = at(wf.AWAITING_APPROVAL)
    with pytest.raises(ValidationError) as refused:
        record_transition(record=record, actor=change_manager, to=wf.ASSESSMENT)
    assert "reason" in refused.value.message_dict

    record = record_transition(record=record, actor=change_manager, to=wf.ASSESSMENT, reason="New plan")

    assert record.status == wf.ASSESSMENT
    assert calls[-1] == ("cab_cancel", {"change": record, "actor": change_manager, "reason": "New plan"})


@pytest.mark.parametrize(("name", "to"), [("approve", wf.APPROVED), ("reject", wf.REJECTED)])
def test_approval_and_rejection_are_the_cab_s_not_a_person_s(at, change_manager, name, to):
    record = at(wf.AWAITING_APPROVAL)
    with pytest.raises(InvalidTransition):
        record_transition(record=record, actor=change_manager, to=to)
    assert name not in _names(record, change_manager)

    record = _internal(record, name)

    assert record.status == to
    assert (record.closed_at is not None) == (to == wf.REJECTED)


def test_scheduling_is_a_change_manager_s_and_checks_conflicts(at, change_manager, agent, calls):
    record = at(wf.APPROVED)
    with pytest.raises(PermissionDenied):
        record_transition(record=record, actor=agent, to=wf.SCHEDULED)

    record = record_transition(record=record, actor=change_manager, to=wf.SCHEDULED, override_reason="Ok")

    assert record.status == wf.SCHEDULED
    name, firing = calls[-1]
    assert name == "check"
    assert firing.inputs["override_reason"] == "Ok"


def test_starting_puts_the_cis_in_maintenance_unless_told_not_to(at, agent, requester, server):
    record = at(wf.SCHEDULED)
    with pytest.raises(PermissionDenied):
        record_transition(record=record, actor=requester, to=wf.IMPLEMENTING)

    record = record_transition(record=record, actor=agent, to=wf.IMPLEMENTING)

    assert record.actual_start is not None
    assert ConfigurationItem.objects.get(pk=server.pk).status == "in_maintenance"
    record = record_transition(record=record, actor=agent, to=wf.REVIEW)
    assert ConfigurationItem.objects.get(pk=server.pk).status == "in_production"


def test_failing_needs_its_reason_and_records_it(at, agent):
    record = at(wf.IMPLEMENTING)
    with pytest.raises(ValidationError):
        record_transition(record=record, actor=agent, to=wf.FAILED)

    record = record_transition(record=record, actor=agent, to=wf.FAILED, reason="Disk full")

    assert (record.status, record.failure_reason) == (wf.FAILED, "Disk full")
    assert record.actual_end is not None


@pytest.mark.parametrize("via_failed", [False, True])
def test_backing_out_from_implementing_or_after_a_failure(at, agent, via_failed):
    record = at(wf.IMPLEMENTING)
    if via_failed:
        record = record_transition(record=record, actor=agent, to=wf.FAILED, reason="Disk full")
    with pytest.raises(ValidationError):
        record_transition(record=record, actor=agent, to=wf.BACKED_OUT)

    record = record_transition(record=record, actor=agent, to=wf.BACKED_OUT, reason="Snapshot restored")

    assert (record.status, record.backout_reason) == (wf.BACKED_OUT, "Snapshot restored")


@pytest.mark.parametrize(
    ("end", "outcome"),
    [
        (wf.REVIEW, Change.Outcome.SUCCESSFUL),
        (wf.FAILED, Change.Outcome.FAILED),
        (wf.BACKED_OUT, Change.Outcome.BACKED_OUT),
    ],
)
def test_closing_needs_the_review_and_a_change_manager(at, agent, change_manager, end, outcome):
    record = at(wf.IMPLEMENTING)
    record = record_transition(record=record, actor=agent, to=end, reason="Why")
    with pytest.raises(InvalidTransition) as refused:
        record_transition(record=record, actor=change_manager, to=wf.CLOSED)
    assert "review" in str(refused.value.message)

    change_review(record=record, actor=agent, outcome=outcome)
    with pytest.raises(PermissionDenied):
        record_transition(record=record, actor=agent, to=wf.CLOSED)

    assert record_transition(record=record, actor=change_manager, to=wf.CLOSED).status == wf.CLOSED


@pytest.mark.parametrize("status", [wf.DRAFT, wf.SUBMITTED])
def test_the_requester_withdraws_their_change_before_it_is_assessed(at, requester, status):
    record = at(status)
    Change.objects.filter(pk=record.pk).update(requester=requester)
    record.refresh_from_db()

    record = record_transition(record=record, actor=requester, to=wf.CANCELLED, reason="Not needed")

    assert record.status == wf.CANCELLED
    assert record.closed_at is not None


@pytest.mark.parametrize("status", [wf.ASSESSMENT, wf.AWAITING_APPROVAL, wf.APPROVED, wf.SCHEDULED])
def test_later_only_a_change_manager_cancels(at, agent, change_manager, calls, status):
    record = at(status)
    with pytest.raises(PermissionDenied):
        record_transition(record=record, actor=agent, to=wf.CANCELLED, reason="No")
    with pytest.raises(ValidationError):
        record_transition(record=record, actor=change_manager, to=wf.CANCELLED)

    record = record_transition(record=record, actor=change_manager, to=wf.CANCELLED, reason="No")

    assert record.status == wf.CANCELLED
    assert calls[-1][0] == "cab_cancel"


def test_an_implementing_change_cannot_be_cancelled(at, change_manager):
    record = at(wf.IMPLEMENTING)
    with pytest.raises(InvalidTransition) as refused:
        record_transition(record=record, actor=change_manager, to=wf.CANCELLED, reason="No")
    assert set(refused.value.extra["allowed"]) == {wf.REVIEW, wf.FAILED, wf.BACKED_OUT}


@pytest.mark.parametrize("status", [wf.DRAFT, wf.SUBMITTED, wf.ASSESSMENT, wf.SCHEDULED, wf.IMPLEMENTING])
def test_a_cab_member_who_does_not_work_changes_fires_nothing(at, cab_member, status):
    assert _names(at(status), cab_member) == set()


def test_what_each_person_may_fire_on_a_submitted_normal_change(at, agent, change_manager):
    record = at(wf.SUBMITTED)
    assert _names(record, agent) == {"cancel"}
    assert _names(record, change_manager) == {"assess", "cancel"}


# Standard changes.


@pytest.fixture
def standard_change(agent, standard):
    start = timezone.now() + timedelta(days=1)
    return change_from_standard(actor=agent, standard=standard, planned_start=start)


def test_a_standard_change_goes_straight_to_scheduled_and_its_worker_closes_it(standard_change, agent,
                                                                               calls):  # fmt: skip
    assert _names(standard_change, agent) == {"schedule", "cancel"}
    record = record_transition(record=standard_change, actor=agent, to=wf.SCHEDULED)
    assert calls[-1][0] == "check"
    record = record_transition(record=record, actor=agent, to=wf.IMPLEMENTING, maintenance=False)
    record = record_transition(record=record, actor=agent, to=wf.REVIEW)
    with pytest.raises(InvalidTransition):
        record_transition(record=record, actor=agent, to=wf.CLOSED)
    change_review(record=record, actor=agent, outcome=Change.Outcome.SUCCESSFUL)

    assert record_transition(record=record, actor=agent, to=wf.CLOSED).status == wf.CLOSED
    assert not [name for name, _kw in calls if name.startswith("cab")]


@pytest.mark.parametrize("to", [wf.ASSESSMENT, wf.AWAITING_APPROVAL, wf.APPROVED, wf.DRAFT])
def test_a_standard_change_has_no_assessment_nor_cab(standard_change, change_manager, to):
    with pytest.raises(InvalidTransition):
        record_transition(record=standard_change, actor=change_manager, to=to)


@pytest.mark.parametrize("end", [wf.FAILED, wf.BACKED_OUT])
def test_a_standard_change_fails_or_is_backed_out_with_its_reason(standard_change, agent, end):
    record = record_transition(record=standard_change, actor=agent, to=wf.SCHEDULED)
    record = record_transition(record=record, actor=agent, to=wf.IMPLEMENTING, maintenance=False)
    with pytest.raises(ValidationError):
        record_transition(record=record, actor=agent, to=end)
    assert record_transition(record=record, actor=agent, to=end, reason="Broke").status == end


@pytest.mark.parametrize("scheduled", [False, True])
def test_a_standard_change_is_cancelled_by_its_worker_with_a_reason(standard_change, agent, requester,
                                                                    scheduled):  # fmt: skip
    record = standard_change
    if scheduled:
        record = record_transition(record=record, actor=agent, to=wf.SCHEDULED)
    with pytest.raises(ValidationError):
        record_transition(record=record, actor=agent, to=wf.CANCELLED)
    Change.objects.filter(pk=record.pk).update(requester=requester)
    record.refresh_from_db()
    with pytest.raises(PermissionDenied):
        record_transition(record=record, actor=requester, to=wf.CANCELLED, reason="No")

    assert record_transition(record=record, actor=agent, to=wf.CANCELLED, reason="No").status == wf.CANCELLED


def test_a_standard_change_in_progress_cannot_be_cancelled(standard_change, agent):
    record = record_transition(record=standard_change, actor=agent, to=wf.SCHEDULED)
    record = record_transition(record=record, actor=agent, to=wf.IMPLEMENTING, maintenance=False)
    with pytest.raises(InvalidTransition):
        record_transition(record=record, actor=agent, to=wf.CANCELLED, reason="No")


# Emergency changes.


@pytest.fixture
def emergency(agent, service, server, plans):
    return change_create(
        actor=agent, title="Patch the zero-day", change_type=wf.EMERGENCY, services=[service],
        affected_cis=[server], **plans,
    )  # fmt: skip


def test_what_may_be_fired_on_a_submitted_emergency(emergency, agent, change_manager):
    assert _names(emergency, agent) == set()
    assert _names(emergency, change_manager) == {"request_approval", "implement_now", "cancel"}


def test_an_emergency_approved_before_goes_on_as_a_normal_change(emergency, change_manager, agent, calls):
    with pytest.raises(ValidationError) as refused:
        record_transition(record=emergency, actor=change_manager, to=wf.AWAITING_APPROVAL)
    assert set(refused.value.message_dict) == {"planned_start", "risk_level"}

    record = record_transition(record=_ready(emergency), actor=change_manager, to=wf.AWAITING_APPROVAL)
    assert calls[-1][0] == "cab_open"
    assert not calls[-1][1].get("after_the_fact")
    record = _internal(record, "approve")
    record = record_transition(record=record, actor=change_manager, to=wf.SCHEDULED)
    record = record_transition(record=record, actor=agent, to=wf.IMPLEMENTING, maintenance=False)

    assert record.status == wf.IMPLEMENTING


def test_an_emergency_recalled_from_the_ecab_returns_to_submitted(emergency, change_manager, calls):
    record = record_transition(record=_ready(emergency), actor=change_manager, to=wf.AWAITING_APPROVAL)
    with pytest.raises(ValidationError):
        record_transition(record=record, actor=change_manager, to=wf.SUBMITTED)

    record = record_transition(record=record, actor=change_manager, to=wf.SUBMITTED, reason="Wrong CI")

    assert record.status == wf.SUBMITTED
    assert calls[-1][0] == "cab_cancel"


def test_implement_now_starts_at_once_and_asks_the_ecab_after_the_fact(emergency, change_manager, agent,
                                                                       server, calls):  # fmt: skip
    with pytest.raises(PermissionDenied):
        record_transition(record=emergency, actor=agent, to=wf.IMPLEMENTING, reason="Outage")
    with pytest.raises(ValidationError) as refused:
        record_transition(record=emergency, actor=change_manager, to=wf.IMPLEMENTING)
    assert "reason" in refused.value.message_dict

    record = record_transition(record=emergency, actor=change_manager, to=wf.IMPLEMENTING, reason="Outage")

    assert record.status == wf.IMPLEMENTING
    assert record.actual_start is not None
    assert record.assignee == change_manager
    assert calls[-1] == ("cab_open", {"change": record, "actor": change_manager, "after_the_fact": True})
    assert ConfigurationItem.objects.get(pk=server.pk).status == "in_maintenance"


def test_implement_now_needs_the_plans_but_not_dates_or_risk(agent, change_manager):
    record = change_create(actor=agent, title="Stop the bleeding", change_type=wf.EMERGENCY)
    with pytest.raises(ValidationError) as refused:
        record_transition(record=record, actor=change_manager, to=wf.IMPLEMENTING, reason="Outage")
    assert set(refused.value.message_dict) == {"implementation_plan", "test_plan", "backout_plan"}


@pytest.mark.parametrize("status", [wf.SUBMITTED, wf.AWAITING_APPROVAL])
def test_only_a_change_manager_cancels_an_emergency(emergency, change_manager, agent, status):
    record = emergency
    if status == wf.AWAITING_APPROVAL:
        record = record_transition(record=_ready(record), actor=change_manager, to=status)
    with pytest.raises(PermissionDenied):
        record_transition(record=record, actor=agent, to=wf.CANCELLED, reason="No")

    assert record_transition(record=record, actor=change_manager, to=wf.CANCELLED, reason="No").status == (
        wf.CANCELLED
    )


def test_an_emergency_has_no_draft_or_assessment(emergency, change_manager):
    for to in (wf.DRAFT, wf.ASSESSMENT):
        with pytest.raises(InvalidTransition):
            record_transition(record=emergency, actor=change_manager, to=to)
