"""The admin of approval requests: read-only lists filtered by status and record kind, the decisions and
delegations inline, and withdrawing pending requests through the service."""

import dataclasses

import pytest

from incidents import services as incident_services
from servicedesk import kinds, roles
from servicedesk.approvals.services import approval_decide, approval_request_delegate, approval_request_open
from servicedesk.models import ApprovalRequest, AuditEvent

from ..factories import UserFactory
from ..incidents.factories import BusinessServiceFactory, RequestTypeFactory

LIST = "/admin/servicedesk/approvalrequest/"


@pytest.fixture(autouse=True)
def _no_call_back(monkeypatch):
    registry = dict(kinds._KINDS)
    for prefix in ("INC", "REQ"):
        registry[prefix] = dataclasses.replace(registry[prefix], on_approval=None)
    monkeypatch.setattr(kinds, "_KINDS", registry)


@pytest.fixture
def people(db):
    return [UserFactory(username=f"approver{i}", roles=[roles.REQUESTER]) for i in range(3)]


@pytest.fixture
def records(db, agent, requester, support_group, settings, tmp_path):
    settings.ITSM_ATTACHMENT_ROOT = tmp_path / "attachments"
    service = BusinessServiceFactory(name="Workplace", support_group=support_group)
    request_type = RequestTypeFactory(name="Laptop", service=service)
    incident = incident_services.incident_create(
        actor=agent, requester=requester, title="Open port 443", support_group=support_group
    )
    service_request = incident_services.incident_create(
        actor=requester, kind="request", title="A laptop", request_type=request_type
    )
    return incident, service_request


@pytest.fixture
def approvals(records, people, agent):
    incident, service_request = records
    pending = approval_request_open(record=incident, actor=agent, approvers=people[:2], title="Port")
    approved = approval_request_open(
        record=service_request, actor=agent, approvers=[people[0]], title="Laptop"
    )
    approval_decide(approval=approved, actor=people[0], decision="approve", comment="Fine.")
    return pending, approved


def _titles(response) -> set[str]:
    return {row.title for row in response.context["cl"].result_list}


def test_the_list_filters_by_status_and_record_kind_in_constant_queries(
    client, administrator, approvals, records, agent, people, django_assert_max_num_queries
):
    for i in range(5):
        approval_request_open(record=records[0], actor=agent, approvers=[people[2]], title=f"More {i}")
    client.force_login(administrator)

    with django_assert_max_num_queries(25):
        response = client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert records[0].number in html
    assert records[1].number in html
    assert _titles(client.get(LIST, {"status__exact": "approved"})) == {"Laptop"}
    assert _titles(client.get(LIST, {"kind": "request"})) == {"Laptop"}
    assert "Port" in _titles(client.get(LIST, {"kind": "incident"}))
    assert "Laptop" not in _titles(client.get(LIST, {"kind": "incident"}))


def test_the_detail_shows_decisions_and_delegations_read_only(client, administrator, approvals, people):
    pending, approved = approvals
    approval_request_delegate(approval=pending, actor=people[1], delegate=people[2])
    client.force_login(administrator)

    response = client.get(f"{LIST}{approved.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Fine." in html
    assert 'name="decisions-0-decision"' not in html  # no editable decision field
    assert 'type="submit" value="Save"' not in html
    html = client.get(f"{LIST}{pending.pk}/change/").content.decode()
    assert "Delegated decisions" in html
    assert str(people[2]) in html

    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}{approved.pk}/change/", {"title": "Changed"}).status_code == 403
    assert client.post(f"{LIST}{approved.pk}/delete/", {"post": "yes"}).status_code == 403
    approved.refresh_from_db()
    assert approved.title == "Laptop"


def test_an_administrator_withdraws_pending_requests_through_the_service(client, administrator, approvals):
    pending, approved = approvals
    client.force_login(administrator)

    response = client.post(
        LIST, {"action": "cancel", "_selected_action": [pending.pk, approved.pk]}, follow=True
    )

    assert response.status_code == 200
    assert "1 approval request was withdrawn." in response.content.decode()
    assert ApprovalRequest.objects.get(pk=pending.pk).status == "cancelled"
    assert ApprovalRequest.objects.get(pk=approved.pk).status == "approved"
    event = AuditEvent.objects.get(action="approval.cancelled")
    assert event.actor == administrator


def test_the_admin_is_closed_to_roles_without_its_permission(client, approvals, group_manager):
    group_manager.is_staff = True
    group_manager.save(update_fields=["is_staff"])
    client.force_login(group_manager)
    assert client.get(LIST).status_code == 403
