"""The CAB and the emergency CAB through the kernel's approvals: who approves by which rule, what their
decisions do to the change, expiry, approval after the fact, and withdrawing."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from changes import workflow as wf
from changes.models import ApprovalRule, Change, RiskQuestion
from changes.services import change_create, change_update
from changes.services.assessment import change_assess
from changes.services.cab import cab_approvers, cab_request_open, cab_rule_for
from servicedesk.approvals.services import approval_decide
from servicedesk.approvals.sweep import approvals_sweep
from servicedesk.errors import PermissionDenied
from servicedesk.models import ApprovalRequest, AuditEvent, TimelineEntry
from servicedesk.records.transitions import record_transition

pytestmark = pytest.mark.django_db
APPROVE, REJECT = "approve", "reject"


def _answers(yes=()):
    return {q.pk: q.pk in yes for q in RiskQuestion.objects.filter(is_active=True)}


def to_cab(change, agent, manager, level=None):
    """`change` (a normal draft) planned, submitted, assessed (at `level` when given) and sent to the CAB."""
    start = timezone.now() + timedelta(days=3)
    change = change_update(
        record=change, actor=agent, planned_start=start, planned_end=start + timedelta(hours=2)
    )
    change = record_transition(record=change, actor=agent, to=wf.SUBMITTED)
    change = record_transition(record=change, actor=manager, to=wf.ASSESSMENT)
    change = change_assess(record=change, actor=manager, answers=_answers())
    if level:
        Change.objects.filter(pk=change.pk).update(risk_level=level)
        change.refresh_from_db()
    return record_transition(record=change, actor=manager, to=wf.AWAITING_APPROVAL)


def pending(change):
    return ApprovalRequest.objects.get(object_id=change.pk, status=ApprovalRequest.Status.PENDING)


def decide(change, person, decision=APPROVE, comment=""):
    approval_decide(approval=pending(change), actor=person, decision=decision, comment=comment)
    return Change.objects.get(pk=change.pk)


def names(people):
    return sorted(p.username for p in people)


def test_low_risk_needs_any_one_approver_the_change_manager(change, agent, change_manager, cab):
    change = to_cab(change, agent, change_manager)
    approval = pending(change)
    assert change.status == wf.AWAITING_APPROVAL
    assert change.risk_level == "low"
    assert approval.rule == "any"
    assert names(approval.approvers.all()) == ["changes"]  # no board, no owners: the change manager
    assert "Risk: Low" in approval.reason
    change = decide(change, change_manager, comment="Fine by me.")
    assert change.status == wf.APPROVED
    assert TimelineEntry.objects.filter(
        object_id=change.pk, kind="transition", data__transition="approve", data__approval=approval.pk
    ).exists()


def test_medium_risk_needs_a_majority_of_the_board_owners_and_manager(
    change, agent, change_manager, cab, cab_members, service_owner
):
    change = to_cab(change, agent, change_manager, level="medium")
    approval = pending(change)
    assert approval.rule == "majority"
    assert names(approval.approvers.all()) == ["cab1", "cab2", "changes", "owner"]
    assert not approval.required_approvers.exists()
    change = decide(change, cab_members[0])
    change = decide(change, service_owner)
    assert change.status == wf.AWAITING_APPROVAL  # two of four is not a majority
    change = decide(change, cab_members[1])
    assert change.status == wf.APPROVED


def test_medium_risk_is_rejected_once_half_reject(
    change, agent, change_manager, cab, cab_members, service_owner
):
    change = to_cab(change, agent, change_manager, level="medium")
    change = decide(change, cab_members[0], REJECT, "Not this week.")
    assert change.status == wf.AWAITING_APPROVAL
    change = decide(change, cab_members[1], REJECT, "Agreed, too risky.")
    assert change.status == wf.REJECTED
    assert change.closed_at is not None
    entry = TimelineEntry.objects.get(object_id=change.pk, kind="transition", data__transition="reject")
    assert entry.body == "Agreed, too risky."


def test_high_risk_needs_all_with_the_owners_and_manager_required(
    change, agent, change_manager, cab, cab_members, service_owner
):
    change = to_cab(change, agent, change_manager, level="high")
    approval = pending(change)
    assert approval.rule == "all"
    assert names(approval.required_approvers.all()) == ["changes", "owner"]
    for person in (change_manager, service_owner, cab_members[0]):
        change = decide(change, person)
    assert change.status == wf.AWAITING_APPROVAL
    change = decide(change, cab_members[1])
    assert change.status == wf.APPROVED


def test_high_risk_one_member_rejecting_rejects(
    change, agent, change_manager, cab, cab_members, service_owner
):
    change = to_cab(change, agent, change_manager, level="high")
    change = decide(change, change_manager)
    change = decide(change, cab_members[1], REJECT, "The back-out plan is untested.")
    assert change.status == wf.REJECTED


def test_very_high_risk_needs_everyone(change, agent, change_manager, cab, cab_members, service_owner):
    change = to_cab(change, agent, change_manager, level="very_high")
    approval = pending(change)
    assert names(approval.required_approvers.all()) == ["cab1", "cab2", "changes", "owner"]
    for person in (change_manager, service_owner, cab_members[0]):
        change = decide(change, person)
    assert change.status == wf.AWAITING_APPROVAL
    assert decide(change, cab_members[1]).status == wf.APPROVED


def test_the_requester_never_approves_their_own_change(
    cab, cab_members, change_manager, service, server, plans
):
    mine = change_create(
        actor=cab_members[0], title="My own change", services=[service], affected_cis=[server], **plans
    )
    rule = ApprovalRule.objects.get(change_type=wf.NORMAL, risk_level="medium")
    mine.assignee = change_manager
    approvers, _required = cab_approvers(mine, rule)
    assert names(approvers) == ["cab2", "changes", "owner"]


def test_nobody_left_to_approve_is_refused(change_manager, service, server, plans):
    own = change_create(
        actor=change_manager, title="Alone", services=[service], affected_cis=[server], **plans
    )
    own.assignee = change_manager
    own.risk_level = "low"
    with pytest.raises(ValidationError) as refused:
        cab_request_open(change=own, actor=change_manager)
    assert "assignee" in refused.value.message_dict


def test_an_unassessed_emergency_takes_the_emergency_high_rule(agent, service, server, plans):
    emergency = change_create(
        actor=agent, title="Now", change_type=wf.EMERGENCY, services=[service], affected_cis=[server], **plans
    )
    rule = cab_rule_for(emergency)
    assert (rule.change_type, rule.risk_level, rule.rule) == (wf.EMERGENCY, "high", "majority")


def test_a_decision_outside_the_approvers_is_refused(change, agent, change_manager, cab, requester):
    change = to_cab(change, agent, change_manager)
    with pytest.raises(PermissionDenied):
        decide(change, agent)


def test_each_decision_and_its_comment_are_on_the_timeline(change, agent, change_manager, cab, cab_members):
    change = to_cab(change, agent, change_manager, level="medium")
    decide(change, cab_members[0], comment="Looks safe.")
    entry = TimelineEntry.objects.get(object_id=change.pk, data__event="approval_decided")
    assert (entry.author, entry.body, entry.is_public) == (cab_members[0], "Looks safe.", True)


def test_withdrawing_from_the_cab_cancels_its_request(change, agent, change_manager, cab):
    change = to_cab(change, agent, change_manager)
    approval = pending(change)
    change = record_transition(record=change, actor=change_manager, to=wf.ASSESSMENT, reason="Plans change.")
    approval.refresh_from_db()
    assert approval.status == ApprovalRequest.Status.CANCELLED
    assert approval.outcome_note == "Plans change."
    assert change.status == wf.ASSESSMENT


def test_cancelling_the_change_cancels_its_request(change, agent, change_manager, cab):
    change = to_cab(change, agent, change_manager)
    approval = pending(change)
    record_transition(record=change, actor=change_manager, to=wf.CANCELLED, reason="Not needed.")
    approval.refresh_from_db()
    assert approval.status == ApprovalRequest.Status.CANCELLED


# Emergencies -------------------------------------------------------------------------------------------


@pytest.fixture
def emergency(agent, service, server, plans):
    return change_create(
        actor=agent,
        title="Stop the outage",
        change_type=wf.EMERGENCY,
        services=[service],
        affected_cis=[server],
        **plans,
    )


def test_an_emergency_before_the_fact_expires_and_is_rejected(emergency, change_manager, ecab):
    start = timezone.now() + timedelta(hours=1)
    emergency = change_update(
        record=emergency, actor=change_manager, planned_start=start, planned_end=start + timedelta(hours=1)
    )
    emergency = change_assess(record=emergency, actor=change_manager, answers=_answers())
    emergency = record_transition(record=emergency, actor=change_manager, to=wf.AWAITING_APPROVAL)
    approval = pending(emergency)
    assert approval.due_at is not None  # the emergency rules give 4 hours
    assert not approval.after_the_fact
    approvals_sweep(now=approval.due_at + timedelta(minutes=1))
    emergency.refresh_from_db()
    assert emergency.status == wf.REJECTED
    entry = TimelineEntry.objects.get(object_id=emergency.pk, kind="transition", data__transition="reject")
    assert "expired" in entry.body


def implement_now(emergency, manager):
    return record_transition(record=emergency, actor=manager, to=wf.IMPLEMENTING, reason="Payroll is down.")


@override_settings(ITSM_ECAB_AFTER_THE_FACT_HOURS=6)
def test_an_emergency_implemented_now_is_flagged_until_the_ecab_decides(
    emergency, change_manager, ecab, cab_members, service_owner
):
    before = timezone.now()
    emergency = implement_now(emergency, change_manager)
    emergency.refresh_from_db()
    assert emergency.status == wf.IMPLEMENTING
    assert emergency.retro_approval == Change.RetroApproval.PENDING
    assert emergency.awaits_retro_approval
    approval = pending(emergency)
    assert approval.after_the_fact
    assert approval.due_at == emergency.retro_approval_due_at
    assert before + timedelta(hours=6) <= approval.due_at <= timezone.now() + timedelta(hours=6)
    # Unassessed: the emergency rule of "high", a majority with the owners and the manager required.
    assert names(approval.approvers.all()) == ["cab1", "changes", "owner"]
    decide(emergency, change_manager)
    decide(emergency, service_owner, comment="Needed, agreed.")
    emergency.refresh_from_db()
    assert emergency.retro_approval == Change.RetroApproval.APPROVED
    assert not emergency.awaits_retro_approval
    assert emergency.status == wf.IMPLEMENTING  # approval after the fact moves nothing
    assert TimelineEntry.objects.filter(object_id=emergency.pk, data__event="retro_approval").exists()
    assert AuditEvent.objects.filter(action="change.retro_approval", object_id=str(emergency.pk)).exists()


def test_an_emergency_rejected_after_the_fact_stays_flagged(emergency, change_manager, ecab, service_owner):
    emergency = implement_now(emergency, change_manager)
    decide(emergency, service_owner, REJECT, "Should have waited for the window.")
    emergency.refresh_from_db()
    assert emergency.retro_approval == Change.RetroApproval.REJECTED
    assert emergency.status == wf.IMPLEMENTING


def test_an_emergency_not_approved_in_time_expires_through_the_sweep(emergency, change_manager, ecab):
    emergency = implement_now(emergency, change_manager)
    emergency.refresh_from_db()
    approvals_sweep(now=emergency.retro_approval_due_at - timedelta(minutes=1))
    emergency.refresh_from_db()
    assert emergency.retro_approval == Change.RetroApproval.PENDING
    approvals_sweep(now=emergency.retro_approval_due_at + timedelta(minutes=1))
    emergency.refresh_from_db()
    assert emergency.retro_approval == Change.RetroApproval.EXPIRED
    assert emergency.awaits_retro_approval


def test_the_timeline_reads_the_assessment_and_the_approval_after_the_fact(emergency, change_manager, ecab):
    from servicedesk.records.timeline import timeline_renderer

    emergency = change_assess(record=emergency, actor=change_manager, answers=_answers())
    implement_now(emergency, change_manager)
    decide(emergency, change_manager)
    assessed = TimelineEntry.objects.get(object_id=emergency.pk, data__event="assessed")
    retro = TimelineEntry.objects.get(object_id=emergency.pk, data__event="retro_approval")
    assert timeline_renderer(assessed, emergency) == "changes/timeline/assessed.html"
    assert timeline_renderer(retro, emergency) == "changes/timeline/retro_approval.html"
