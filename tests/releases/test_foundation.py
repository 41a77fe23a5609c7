"""The release's path to approval through the kernel: raised with its changes, moved through building
and testing, asked for the go/no-go, approved by every approver (the baseline taken)."""

import pytest

from releases import workflow as wf
from releases.selectors import change_release, release_changes
from servicedesk.approvals.services import approval_decide
from servicedesk.models import ApprovalRequest
from servicedesk.records.transitions import record_transition

pytestmark = pytest.mark.django_db


def test_a_release_bundles_its_changes_and_each_change_knows_its_release(release, changes):
    assert list(release_changes(release)) == changes
    assert change_release(changes[0]) == release
    assert release.number.startswith("REL")


def test_the_go_no_go_approved_by_all_takes_the_baseline(
    prepared, release_manager, test_lead, service_owner, app_servers
):
    record_transition(record=prepared, actor=release_manager, to=wf.GO_NO_GO)
    approval = ApprovalRequest.objects.get(object_id=prepared.pk, status="pending")
    assert {u.pk for u in approval.approvers.all()} == {release_manager.pk, test_lead.pk, service_owner.pk}
    for person in (release_manager, test_lead):
        approval_decide(approval=approval, actor=person, decision="approve")
    prepared.refresh_from_db()
    assert prepared.status == wf.GO_NO_GO
    approval_decide(
        approval=ApprovalRequest.objects.get(pk=approval.pk), actor=service_owner, decision="approve"
    )
    prepared.refresh_from_db()
    assert prepared.status == wf.APPROVED
    assert prepared.baseline is not None
    assert set(prepared.baseline.items.values_list("ci_key", flat=True)) == {ci.pk for ci in app_servers}
