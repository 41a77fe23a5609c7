"""The approval pages: "My approvals", the decision page and the signed link from the e-mails."""

import dataclasses
from datetime import timedelta
from urllib.parse import unquote

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from servicedesk import kinds, roles
from servicedesk.approvals.links import approval_link_token
from servicedesk.approvals.services import approval_decide, approval_request_open
from servicedesk.models import ApprovalDecision
from tests.kernelkind.services import chore_create

from ..factories import UserFactory


@pytest.fixture(autouse=True)
def _no_call_back(monkeypatch):
    registry = dict(kinds._KINDS)
    registry["TST"] = dataclasses.replace(registry["TST"], on_approval=None)
    monkeypatch.setattr(kinds, "_KINDS", registry)


@pytest.fixture
def approver(db):
    return UserFactory(username="approver", full_name="Ann Approver", roles=[roles.REQUESTER])


@pytest.fixture
def record(db, worker, requester, support_group):
    return chore_create(actor=requester, title="Open port 443")


@pytest.fixture
def approval(record, approver, worker):
    return approval_request_open(
        record=record, actor=worker, approvers=[approver], reason="Needed for the new web shop."
    )


def _link(approval, user) -> str:
    return reverse("approval_link", args=[approval_link_token(approval_id=approval.pk, user_id=user.pk)])


def _detail(approval) -> str:
    return reverse("approval_detail", args=[approval.pk])


def test_my_approvals_lists_what_waits_for_me_in_constant_queries(
    client, approver, record, worker, django_assert_max_num_queries
):
    approvals = [
        approval_request_open(record=record, actor=worker, approvers=[approver], title=f"Approval {i}")
        for i in range(6)
    ]
    approval_decide(approval=approvals[0], actor=approver, decision="approve")
    client.force_login(approver)

    with django_assert_max_num_queries(16):
        response = client.get(reverse("approval_list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-testid="approval-row"') == 5
    assert "Approval 0" not in html
    assert record.number in html
    assert 'data-testid="nav-approvals"' in html


def test_my_approvals_is_empty_for_someone_not_asked(client, requester, approval):
    client.force_login(requester)
    html = client.get(reverse("approval_list")).content.decode()
    assert 'data-testid="approval-row"' not in html
    assert "Nothing waits for your approval." in html


def test_the_decision_page_shows_the_record_the_reason_and_the_form(
    client, approver, approval, record, django_assert_max_num_queries
):
    client.force_login(approver)
    with django_assert_max_num_queries(20):
        response = client.get(_detail(approval))
    html = response.content.decode()
    assert response.status_code == 200
    assert record.number in html
    assert "Open port 443" in html
    assert "Needed for the new web shop." in html
    assert "Ann Approver" in html
    assert 'data-testid="decision-form"' in html
    assert "Open the record" not in html  # a requester who is not its requester cannot see the record


def test_the_asker_sees_the_page_without_the_form_and_a_stranger_gets_404(
    client, approval, worker, other_requester
):
    client.force_login(worker)
    html = client.get(_detail(approval)).content.decode()
    assert 'data-testid="decision-form"' not in html
    assert "Open the record" in html

    client.force_login(other_requester)
    assert client.get(_detail(approval)).status_code == 404
    assert client.post(_detail(approval), {"decision": "approve"}).status_code == 404
    assert not ApprovalDecision.objects.exists()


def test_approving_on_the_page_records_the_decision(client, approver, approval):
    client.force_login(approver)

    response = client.post(_detail(approval), {"decision": "approve", "comment": "Fine."}, follow=True)

    assert response.redirect_chain == [(_detail(approval), 302)]
    assert "Your decision was recorded." in response.content.decode()
    approval.refresh_from_db()
    assert approval.status == "approved"
    html = response.content.decode()
    assert 'data-testid="decision-form"' not in html
    assert 'data-status="approved"' in html


def test_the_reason_and_comments_keep_their_lines_without_an_inline_style(client, approver, record, worker):
    """The content security policy refuses style attributes (`style-src 'self'`): the browser would
    report each one and drop it."""
    approval = approval_request_open(
        record=record, actor=worker, approvers=[approver, worker], reason="- Tests\n- Back-out plan"
    )
    approval_decide(approval=approval, actor=approver, decision="approve", comment="Fine.\nGo ahead.")
    client.force_login(approver)

    html = client.get(_detail(approval)).content.decode()

    assert "style-src 'self'" in client.get(_detail(approval))["Content-Security-Policy"]
    assert 'class="mb-2 pre-wrap" data-testid="approval-reason">- Tests\n- Back-out plan<' in html
    assert 'pre-wrap">Fine.\nGo ahead.<' in html
    assert "style=" not in html


def test_rejecting_without_a_comment_is_a_form_error(client, approver, approval):
    client.force_login(approver)
    response = client.post(_detail(approval), {"decision": "reject", "comment": ""})
    assert response.status_code == 400
    assert "Say why you reject it." in response.content.decode()
    approval.refresh_from_db()
    assert approval.status == "pending"


def test_the_page_is_csrf_protected(approver, approval):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(approver)
    assert client.post(_detail(approval), {"decision": "approve"}).status_code == 403
    assert not ApprovalDecision.objects.exists()


# The signed link


def test_the_link_asks_to_sign_in_first(client, approver, approval):
    link = _link(approval, approver)
    response = client.get(link)
    assert response.status_code == 302
    assert unquote(response["Location"]) == f"{reverse('login')}?next={link}"


def test_a_valid_link_opens_the_decision_page_and_decides_nothing(client, approver, approval):
    client.force_login(approver)

    response = client.get(_link(approval, approver))

    assert response.status_code == 302
    assert response["Location"] == _detail(approval)
    approval.refresh_from_db()
    assert approval.status == "pending"
    assert not ApprovalDecision.objects.exists()


def test_a_tampered_link_does_not_work(client, approver, approval):
    client.force_login(approver)
    token = approval_link_token(approval_id=approval.pk, user_id=approver.pk)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")

    response = client.get(reverse("approval_link", args=[tampered]))

    assert response.status_code == 400
    assert 'data-testid="link-invalid"' in response.content.decode()


def test_an_expired_link_does_not_work(client, approver, approval, settings):
    settings.ITSM_APPROVAL_LINK_MAX_AGE_DAYS = 14
    with time_machine.travel(timezone.now() - timedelta(days=15)):
        link = _link(approval, approver)
    client.force_login(approver)
    response = client.get(link)
    assert response.status_code == 400
    assert 'data-testid="link-invalid"' in response.content.decode()


def test_someone_elses_link_answers_404(client, approver, approval, worker):
    client.force_login(worker)  # the asker: involved, but the link is the approver's
    assert client.get(_link(approval, approver)).status_code == 404
    assert not ApprovalDecision.objects.exists()
