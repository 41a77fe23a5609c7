"""Every move of the release's transition table, each by who may make it and refused to who may not:
building and testing by agents, the go/no-go and everything after it by release managers, the approval's
own moves by nobody but the kernel's approvals."""

import pytest
from django.core.exceptions import ValidationError

from releases import workflow as wf
from releases.models import Release
from releases.selectors import release_changes
from servicedesk.approvals.services import approval_decide
from servicedesk.errors import InvalidTransition, PermissionDenied
from servicedesk.models import ApprovalRequest, TimelineEntry
from servicedesk.records.transitions import record_transition

pytestmark = pytest.mark.django_db


def _at(release, status):
    Release.objects.filter(pk=release.pk).update(status=status)
    release.refresh_from_db()
    return release


def _pending(release):
    return ApprovalRequest.objects.get(object_id=release.pk, status=ApprovalRequest.Status.PENDING)


def test_an_agent_builds_and_tests_and_sends_back_to_building_with_a_reason(release, agent):
    record_transition(record=release, actor=agent, to=wf.BUILDING)
    record_transition(record=release, actor=agent, to=wf.TESTING)
    with pytest.raises(ValidationError):
        record_transition(record=release, actor=agent, to=wf.BUILDING)  # the reason is required
    release = record_transition(record=release, actor=agent, to=wf.BUILDING, reason="The smoke test failed.")

    assert release.status == wf.BUILDING


def test_a_requester_moves_nothing(release, requester):
    with pytest.raises(PermissionDenied):
        record_transition(record=release, actor=requester, to=wf.BUILDING)


def test_only_a_release_manager_asks_for_the_go_no_go(prepared, agent, release_manager):
    with pytest.raises(PermissionDenied):
        record_transition(record=prepared, actor=agent, to=wf.GO_NO_GO)

    assert record_transition(record=prepared, actor=release_manager, to=wf.GO_NO_GO).status == wf.GO_NO_GO


def test_the_go_no_go_needs_the_checklist(release, release_manager):
    _at(release, wf.TESTING)

    with pytest.raises(ValidationError) as refused:
        record_transition(record=release, actor=release_manager, to=wf.GO_NO_GO)

    assert {"tests_passed", "communication", "artifacts", "waves"} <= set(refused.value.message_dict)
    assert Release.objects.get(pk=release.pk).status == wf.TESTING


def test_one_no_is_a_no_go_back_to_testing_with_the_reason(prepared, release_manager, test_lead):
    record_transition(record=prepared, actor=release_manager, to=wf.GO_NO_GO)

    approval_decide(approval=_pending(prepared), actor=test_lead, decision="reject", comment="Load test red.")

    prepared.refresh_from_db()
    assert prepared.status == wf.TESTING
    assert prepared.baseline is None
    assert TimelineEntry.objects.filter(object_id=prepared.pk, data__transition="no_go").exists()


def test_a_withdrawn_go_no_go_cancels_its_approval(prepared, release_manager):
    record_transition(record=prepared, actor=release_manager, to=wf.GO_NO_GO)
    approval = _pending(prepared)

    record_transition(record=prepared, actor=release_manager, to=wf.TESTING, reason="A late fix goes in.")

    approval.refresh_from_db()
    assert approval.status == ApprovalRequest.Status.CANCELLED
    assert Release.objects.get(pk=prepared.pk).status == wf.TESTING


@pytest.mark.parametrize("internal", [wf.APPROVED, wf.DEPLOYED])
def test_the_internal_moves_are_nobody_s(prepared, release_manager, internal):
    _at(prepared, wf.GO_NO_GO if internal == wf.APPROVED else wf.DEPLOYING)

    with pytest.raises(InvalidTransition):
        record_transition(record=prepared, actor=release_manager, to=internal)


def test_a_release_manager_fails_a_deployment_with_a_reason(prepared, release_manager, agent):
    _at(prepared, wf.DEPLOYING)
    with pytest.raises(PermissionDenied):
        record_transition(record=prepared, actor=agent, to=wf.FAILED, reason="Broken.")

    failed = record_transition(
        record=prepared, actor=release_manager, to=wf.FAILED, reason="The pipeline died."
    )

    assert failed.failure_reason == "The pipeline died."
    assert failed.actual_end is not None


def test_closing_needs_a_known_outcome(prepared, release_manager):
    _at(prepared, wf.DEPLOYED)

    with pytest.raises(ValidationError) as refused:
        record_transition(record=prepared, actor=release_manager, to=wf.CLOSED, outcome="brilliant")
    assert "outcome" in refused.value.message_dict

    closed = record_transition(
        record=prepared, actor=release_manager, to=wf.CLOSED, outcome="successful", notes="Smooth."
    )
    assert (closed.outcome, closed.outcome_notes) == ("successful", "Smooth.")
    assert closed.closed_at is not None


def test_a_cancelled_release_frees_its_changes_and_its_go_no_go(prepared, release_manager, changes):
    record_transition(record=prepared, actor=release_manager, to=wf.GO_NO_GO)
    approval = _pending(prepared)

    cancelled = record_transition(
        record=prepared, actor=release_manager, to=wf.CANCELLED, reason="Postponed."
    )

    assert cancelled.status == wf.CANCELLED
    assert list(release_changes(cancelled)) == []
    approval.refresh_from_db()
    assert approval.status == ApprovalRequest.Status.CANCELLED


def test_a_closed_release_moves_no_more(prepared, release_manager):
    _at(prepared, wf.CLOSED)

    with pytest.raises(InvalidTransition):
        record_transition(record=prepared, actor=release_manager, to=wf.CANCELLED, reason="Too late.")
