"""Delegating one approval request's decision, and cancelling requests: the service's guards, who may
then decide, the timeline, audit and e-mail, and the decision page's forms."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from servicedesk import roles
from servicedesk.approvals.links import approval_link_read
from servicedesk.approvals.selectors import approval_deciders, approval_queryset, approvals_pending_for_user
from servicedesk.approvals.services import (
    approval_cancel,
    approval_decide,
    approval_delegate,
    approval_request_delegate,
    approval_request_open,
)
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.models import (
    ApprovalDecision,
    ApprovalDelegation,
    AuditEvent,
    OutboxMessage,
    TimelineEntry,
)
from servicedesk.records.timeline import timeline_renderer
from tests.kernelkind.services import chore_create

from ..factories import SupportGroupFactory, UserFactory

APPROVE, REJECT = "approve", "reject"


@pytest.fixture
def record(db, worker, requester, support_group, settled):
    created = chore_create(actor=requester, title="Firewall rule for payroll")
    OutboxMessage.objects.all().delete()
    return created


@pytest.fixture
def ann(db):
    return UserFactory(username="ann", full_name="Ann Approver", roles=[roles.REQUESTER])


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", full_name="Bob Deputy", roles=[roles.REQUESTER])


@pytest.fixture
def carl(db):
    return UserFactory(username="carl", full_name="Carl Colleague", roles=[roles.REQUESTER])


def _open(record, approvers, **kwargs):
    return approval_request_open(record=record, actor=None, approvers=approvers, **kwargs)


def _refresh(approval):
    approval.refresh_from_db()
    return approval.status


# The service


def test_the_delegate_decides_in_the_approvers_place_and_the_approver_no_longer(
    record, ann, bob, carl, settled
):
    approval = _open(record, [ann, carl], rule="all", required=[ann])

    approval_request_delegate(approval=approval, actor=ann, delegate=bob, comment="I am on leave.")

    assert approval in approvals_pending_for_user(user=bob)
    assert approval not in approvals_pending_for_user(user=ann)
    assert {p.username for p in approval_deciders(approval_queryset().get(pk=approval.pk))} == {"bob", "carl"}
    with pytest.raises(Conflict) as refused:
        approval_decide(approval=approval, actor=ann, decision=APPROVE)
    assert refused.value.code == "approval_delegated"

    approval_decide(approval=approval, actor=bob, decision=APPROVE, comment="For Ann.")
    decision = ApprovalDecision.objects.get(request=approval)
    assert (decision.approver, decision.on_behalf_of) == (bob, ann)
    assert _refresh(approval) == "pending"  # Carl's vote is still due
    approval_decide(approval=approval, actor=carl, decision=APPROVE)
    assert _refresh(approval) == "approved"  # the delegate's approval counts as the required approver's
    assert settled == [("approved", carl)]


def test_a_delegated_required_approvers_rejection_rejects(record, ann, bob, carl, settled):
    approval = _open(record, [ann, carl], required=[ann])
    approval_request_delegate(approval=approval, actor=ann, delegate=bob)

    approval_decide(approval=approval, actor=bob, decision=REJECT, comment="Too costly.")

    assert _refresh(approval) == "rejected"


def test_delegating_is_on_the_timeline_in_the_audit_and_mailed_to_the_delegate(record, ann, bob):
    approval = _open(record, [ann], reason="Port 443.")

    approval_request_delegate(approval=approval, actor=ann, delegate=bob, comment="Please decide for me.")

    entry = TimelineEntry.objects.get(data__event="approval_delegated")
    assert (entry.author, entry.body, entry.is_public) == (ann, "Please decide for me.", True)
    assert (entry.data["delegator"], entry.data["delegate"]) == (str(ann), str(bob))
    event = AuditEvent.objects.get(action="approval.delegated")
    assert event.data["delegate_id"] == bob.pk
    [mail] = OutboxMessage.objects.filter(event="notification.approval_delegated")
    assert mail.recipient == bob.email
    assert "Approval delegated to you" in mail.payload["subject"]
    assert "Ann Approver delegated their approval of" in mail.payload["text"]
    url = next(word for word in mail.payload["text"].split() if "/approvals/link/" in word)
    assert approval_link_read(url.rstrip("/").rsplit("/", 1)[1]) == (approval.pk, bob.pk)
    delegation = ApprovalDelegation.objects.get(request=approval)
    assert (delegation.delegator, delegation.delegate, delegation.ends_at) == (ann, bob, None)


def test_the_timeline_reads_who_delegated_to_whom_and_on_whose_behalf_they_decided(record, ann, bob):
    approval = _open(record, [ann])
    approval_request_delegate(approval=approval, actor=ann, delegate=bob)
    approval_decide(approval=approval, actor=bob, decision=APPROVE)

    entries = TimelineEntry.objects.filter(data__event__startswith="approval_").order_by("id")
    html = "".join(
        render_to_string(timeline_renderer(entry, record), {"entry": entry, "record": record})
        for entry in entries
    )
    assert f"{ann} delegated their approval to {bob}" in html
    assert f"on behalf of {ann}" in html


@pytest.mark.parametrize("who", ["stranger", "group_member", "asker"])
def test_only_an_approver_may_delegate(record, ann, bob, carl, worker, who):
    cab = SupportGroupFactory(name="CAB", members=[carl])
    approval = approval_request_open(record=record, actor=worker, approvers=[ann], groups=[cab])
    actor = {"stranger": bob, "group_member": carl, "asker": worker}[who]

    with pytest.raises(PermissionDenied):
        approval_request_delegate(approval=approval, actor=actor, delegate=UserFactory())
    assert not ApprovalDelegation.objects.exists()


def test_a_decided_delegated_or_settled_vote_cannot_be_delegated(record, ann, bob, carl):
    approval = _open(record, [ann, carl], rule="all")
    approval_decide(approval=approval, actor=ann, decision=APPROVE)
    with pytest.raises(Conflict) as refused:
        approval_request_delegate(approval=approval, actor=ann, delegate=bob)
    assert refused.value.code == "approval_already_decided"

    approval_request_delegate(approval=approval, actor=carl, delegate=bob)
    with pytest.raises(Conflict):  # once handed over, it is the delegate's
        approval_request_delegate(approval=approval, actor=carl, delegate=UserFactory())

    settled = _open(record, [carl])
    approval_cancel(approval=settled, actor=None)
    with pytest.raises(Conflict) as refused:
        approval_request_delegate(approval=settled, actor=carl, delegate=bob)
    assert refused.value.code == "approval_not_pending"


def test_the_delegate_must_be_someone_else_active_and_not_already_asked(record, ann, bob, carl):
    inactive = UserFactory(is_active=False)
    cab = SupportGroupFactory(name="CAB", members=[bob])
    approval = _open(record, [ann, carl], groups=[cab], rule="all")
    approval_decide(approval=approval, actor=bob, decision=APPROVE)  # for the CAB

    for delegate in (ann, inactive, carl, bob):
        with pytest.raises(ValidationError) as refused:
            approval_request_delegate(approval=approval, actor=ann, delegate=delegate)
        assert "delegate" in refused.value.message_dict
    dave = UserFactory(username="dave")
    approval_request_delegate(approval=approval, actor=carl, delegate=dave)
    with pytest.raises(ValidationError):  # Dave already holds Carl's vote
        approval_request_delegate(approval=approval, actor=ann, delegate=dave)
    assert ApprovalDelegation.objects.count() == 1


def test_a_period_delegate_no_longer_decides_a_vote_handed_to_someone_else(record, ann, bob, carl):
    approval_delegate(actor=ann, delegate=carl, ends_at=timezone.now() + timedelta(days=3))
    approval = _open(record, [ann])
    assert approval in approvals_pending_for_user(user=carl)

    approval_request_delegate(approval=approval, actor=ann, delegate=bob)

    assert approval not in approvals_pending_for_user(user=carl)
    with pytest.raises(PermissionDenied):
        approval_decide(approval=approval, actor=carl, decision=APPROVE)
    approval_decide(approval=approval, actor=bob, decision=APPROVE)
    assert _refresh(approval) == "approved"


# Cancelling


@pytest.mark.parametrize("role", [roles.GROUP_MANAGER, roles.CHANGE_MANAGER, roles.ADMINISTRATOR])
def test_group_and_change_managers_and_administrators_may_cancel(record, ann, role, settled):
    approval = _open(record, [ann])

    approval_cancel(approval=approval, actor=UserFactory(roles=[role]), reason="The change was dropped.")

    assert _refresh(approval) == "cancelled"
    assert approval.outcome_note == "The change was dropped."
    assert settled == []


@pytest.mark.parametrize("role", [roles.REQUESTER, roles.AGENT, roles.CAB_MEMBER])
def test_other_roles_may_not_cancel(record, ann, role):
    approval = _open(record, [ann])
    with pytest.raises(PermissionDenied):
        approval_cancel(approval=approval, actor=UserFactory(roles=[role]))
    assert _refresh(approval) == "pending"


# The decision page


def _detail(approval) -> str:
    return reverse("approval_detail", args=[approval.pk])


def test_the_page_offers_the_approver_to_delegate_and_delegating_moves_the_decision(client, record, ann, bob):
    approval = _open(record, [ann])
    client.force_login(ann)
    html = client.get(_detail(approval)).content.decode()
    assert 'data-testid="delegate-form"' in html
    assert 'data-testid="cancel-form"' not in html

    response = client.post(
        reverse("approval_delegate", args=[approval.pk]), {"delegate": "BOB@example.com", "comment": "Away."}
    )

    assert response.status_code == 302
    assert ApprovalDelegation.objects.get(request=approval).delegate == bob
    html = client.get(_detail(approval)).content.decode()
    assert 'data-testid="delegate-form"' not in html
    assert 'data-testid="decision-form"' not in html
    assert "delegated to Bob Deputy" in html
    client.force_login(bob)
    html = client.get(_detail(approval)).content.decode()
    assert 'data-testid="decision-form"' in html
    assert "You decide on behalf of Ann Approver" in html
    client.post(_detail(approval), {"decision": APPROVE})
    client.force_login(ann)
    html = client.get(_detail(approval)).content.decode()
    assert "on behalf of Ann Approver" in html


def test_delegating_on_the_page_shows_the_services_refusals_on_the_form(client, record, ann, carl):
    approval = _open(record, [ann, carl])
    client.force_login(ann)
    url = reverse("approval_delegate", args=[approval.pk])

    unknown = client.post(url, {"delegate": "nobody-here"})
    assert unknown.status_code == 400
    assert "Name one person" in unknown.content.decode()
    already = client.post(url, {"delegate": "carl"})
    assert already.status_code == 400
    assert "already an approver of this request" in already.content.decode()
    assert not ApprovalDelegation.objects.exists()
    assert client.get(url).status_code == 405


def test_delegating_from_the_page_is_403_for_who_is_not_an_approver_and_404_for_a_stranger(
    client, record, ann, bob, worker
):
    approval = approval_request_open(record=record, actor=worker, approvers=[ann])
    url = reverse("approval_delegate", args=[approval.pk])
    client.force_login(worker)  # asked for it: sees the page, but has no vote
    assert client.post(url, {"delegate": "bob"}).status_code == 403
    client.force_login(bob)
    assert client.post(url, {"delegate": "agent"}).status_code == 404


def test_a_group_manager_withdraws_a_request_on_the_page(client, record, ann, group_manager):
    approval = _open(record, [ann])
    client.force_login(group_manager)
    html = client.get(_detail(approval)).content.decode()
    assert 'data-testid="cancel-form"' in html

    response = client.post(reverse("approval_cancel", args=[approval.pk]), {"reason": "Not needed."})

    assert response.status_code == 302
    assert _refresh(approval) == "cancelled"
    again = client.post(reverse("approval_cancel", args=[approval.pk]), {"reason": "Twice."}, follow=True)
    assert "already cancelled" in again.content.decode()
    assert 'data-testid="cancel-form"' not in again.content.decode()


def test_an_approver_may_not_withdraw_on_the_page(client, record, ann):
    approval = _open(record, [ann])
    client.force_login(ann)
    assert 'data-testid="cancel-form"' not in client.get(_detail(approval)).content.decode()
    assert client.post(reverse("approval_cancel", args=[approval.pk])).status_code == 403
    assert _refresh(approval) == "pending"
