"""Service requests whose type needs approval: the approval opens when the request is filed, the request is
neither assigned nor started until approved, a rejection or expiry cancels it; end to end from the portal
to the e-mail link and the work."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import Incident, RequestType
from servicedesk import roles
from servicedesk.approvals.services import approval_decide
from servicedesk.approvals.sweep import approvals_sweep
from servicedesk.errors import Conflict
from servicedesk.models import ApprovalRequest, OutboxMessage, TimelineEntry

from ..factories import PASSWORD, SupportGroupFactory, UserFactory


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


def _file(requester, request_type, title="A laptop for the new starter"):
    return services.incident_create(actor=requester, kind="request", title=title, request_type=request_type)


def _approval(record) -> ApprovalRequest:
    return ApprovalRequest.objects.get(object_id=record.pk)


def _reload(record) -> Incident:
    return Incident.objects.get(pk=record.pk)


def test_a_request_of_a_type_needing_approval_asks_the_requesters_manager(requester, boss, laptop):
    record = _file(requester, laptop)

    approval = _approval(record)
    assert approval.status == "pending"
    assert list(approval.approvers.all()) == [boss]
    assert approval.title == f"Approval of {record.number}: New laptop"
    assert approval.created_by == requester
    [mail] = OutboxMessage.objects.filter(event="notification.approval_requested")
    assert mail.recipient == boss.email
    assert "/approvals/link/" in mail.payload["text"]


def test_a_type_without_approval_opens_none(requester, boss, request_type):
    _file(requester, request_type)
    assert not ApprovalRequest.objects.exists()


def test_without_a_manager_the_types_group_approves_else_filing_is_refused(requester, laptop, agent):
    with pytest.raises(ValidationError) as refused:
        _file(requester, laptop)
    assert "request_type" in refused.value.message_dict
    assert not Incident.objects.exists()

    approvers = SupportGroupFactory(name="IT purchasing", members=[agent])
    laptop.approval_group = approvers
    laptop.save()
    record = _file(requester, laptop)
    assert list(_approval(record).groups.all()) == [approvers]


def test_a_type_approved_by_a_group_asks_the_group(requester, service, agent):
    cab = SupportGroupFactory(name="Access board", members=[agent])
    admin_rights = RequestType.objects.create(
        name="Admin rights", service=service, approval=RequestType.Approval.GROUP, approval_group=cab
    )
    record = _file(requester, admin_rights)
    approval = _approval(record)
    assert (list(approval.groups.all()), list(approval.approvers.all())) == ([cab], [])


def test_an_agent_cannot_file_it_straight_to_an_assignee(agent, requester, boss, laptop):
    with pytest.raises(ValidationError) as refused:
        services.incident_create(
            actor=agent,
            requester=requester,
            kind="request",
            title="Laptop",
            request_type=laptop,
            assignee=agent,
        )
    assert "assignee" in refused.value.message_dict


# The guard


def test_a_pending_request_is_neither_assigned_nor_started(requester, boss, laptop, agent):
    record = _file(requester, laptop)

    names = [t["name"] for t in services.allowed_transitions(record=record, user=agent)]
    assert "assign" not in names
    assert "start" not in names
    assert "cancel" in names
    with pytest.raises(Conflict) as refused:
        services.incident_transition(record=record, actor=agent, to="in_progress")
    assert refused.value.code == "awaiting_approval"
    with pytest.raises(Conflict):
        services.incident_transition(record=record, actor=agent, to="assigned", assignee=agent)
    with pytest.raises(ValidationError) as refused:
        services.incident_assign(record=record, actor=agent, assignee=agent)
    assert "assignee" in refused.value.message_dict
    assert _reload(record).status == "new"


def test_once_approved_the_request_is_assigned_and_worked(requester, boss, laptop, agent):
    record = _file(requester, laptop)
    approval_decide(approval=_approval(record), actor=boss, decision="approve", comment="Yes.")

    names = [t["name"] for t in services.allowed_transitions(record=_reload(record), user=agent)]
    assert {"assign", "start"} <= set(names)
    record = services.incident_assign(record=_reload(record), actor=agent, assignee=agent)
    record = services.incident_transition(record=record, actor=agent, to="in_progress")
    assert record.status == "in_progress"


def test_a_rejection_cancels_the_request_with_its_comment(requester, boss, laptop):
    record = _file(requester, laptop)

    approval_decide(approval=_approval(record), actor=boss, decision="reject", comment="We have spares.")

    record = _reload(record)
    assert record.status == "cancelled"
    entry = TimelineEntry.objects.filter(object_id=record.pk, kind="transition").latest("id")
    assert entry.author is None
    assert entry.data["to"] == "cancelled"
    assert entry.body == "Not approved: We have spares."
    assert OutboxMessage.objects.filter(
        event="notification.approval_decided", recipient=requester.email
    ).exists()


def test_an_expired_approval_cancels_the_request(requester, boss, laptop):
    record = _file(requester, laptop)
    approval = _approval(record)
    ApprovalRequest.objects.filter(pk=approval.pk).update(
        due_at=timezone.now() - timedelta(minutes=1), next_check_at=timezone.now() - timedelta(minutes=1)
    )

    assert approvals_sweep() == 1

    assert _reload(record).status == "cancelled"
    assert _approval(record).status == "expired"


def test_withdrawing_the_request_cancels_its_approval(requester, boss, laptop):
    record = _file(requester, laptop)

    services.incident_transition(
        record=record, actor=requester, to="cancelled", reason="Not needed after all."
    )

    assert _approval(record).status == "cancelled"
    with pytest.raises(Conflict):
        approval_decide(approval=_approval(record), actor=boss, decision="approve")


# The pages


def test_the_portal_and_the_workspace_show_that_it_awaits_approval(
    client, requester, boss, laptop, agent, django_assert_max_num_queries
):
    record = _file(requester, laptop)
    page = reverse("record", args=[record.number])

    client.force_login(requester)
    with django_assert_max_num_queries(40):
        html = client.get(page).content.decode()
    assert 'data-testid="awaiting-approval"' in html
    assert 'data-testid="record-approval" data-status="pending"' in html
    assert "Barbara Boss" in html

    client.force_login(agent)
    with django_assert_max_num_queries(70):
        html = client.get(page).content.decode()
    assert 'data-testid="awaiting-approval"' in html
    assert 'name="transition" value="start"' not in html

    approval_decide(approval=_approval(record), actor=boss, decision="approve")
    html = client.get(page).content.decode()
    assert 'data-testid="awaiting-approval"' not in html
    assert 'data-status="approved"' in html


def test_the_records_approvals_in_the_api(api_as, requester, boss, laptop, other_requester):
    record = _file(requester, laptop)
    url = f"/api/v1/requests/{record.number}/approvals/"

    response = api_as(requester).get(url)
    assert response.status_code == 200
    [approval] = response.json()
    assert approval["status"] == "pending"
    assert approval["record"] == {"kind": "request", "number": record.number, "title": record.title}
    assert approval["can_decide"] is False
    assert [a["username"] for a in approval["approvers"]] == ["boss"]

    assert api_as(other_requester).get(url).status_code == 404


# End to end


def test_a_catalogue_request_filed_in_the_portal_approved_from_the_email_link_then_worked(
    client, requester, boss, laptop, agent
):
    client.force_login(requester)
    client.post(
        reverse("incidents:portal_new_request", args=[laptop.pk]), {"title": "Laptop", "urgency": "3"}
    )
    record = Incident.objects.get()
    assert record.request_type == laptop
    client.logout()

    [mail] = OutboxMessage.objects.filter(event="notification.approval_requested", recipient=boss.email)
    link = re.search(r"http://\S+/approvals/link/\S+/", mail.payload["text"]).group(0)
    path = link.removeprefix("http://localhost:8000")

    signed_out = client.get(path)
    assert signed_out.status_code == 302
    assert signed_out["Location"].startswith(reverse("login"))
    page = client.post(
        signed_out["Location"], {"username": "boss", "password": PASSWORD, "next": path}, follow=True
    )
    assert page.status_code == 200
    assert page.redirect_chain[-1][0] == reverse("approval_detail", args=[_approval(record).pk])
    assert 'data-testid="decision-form"' in page.content.decode()
    assert _approval(record).status == "pending"  # following the link decides nothing

    decided = client.post(page.redirect_chain[-1][0], {"decision": "approve", "comment": "Go ahead."})
    assert decided.status_code == 302
    assert _approval(record).status == "approved"

    client.force_login(agent)
    response = client.post(
        reverse("incidents:record_transition", args=[record.number]), {"transition": "start"}
    )
    assert response.status_code == 302
    record = _reload(record)
    assert (record.status, record.assignee) == ("in_progress", agent)
