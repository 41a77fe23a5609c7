import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents.models import Incident
from servicedesk.models import Attachment, SavedView

from .factories import IncidentFactory

NEW = reverse("incidents:desk_new")


def test_an_agent_files_an_incident_for_a_caller_by_phone(client, agent, requester, service, support_group):
    client.force_login(agent)
    page = client.get(NEW)
    assert page.status_code == 200
    assert page.context["form"]["channel"].value() == "phone"
    response = client.post(
        NEW,
        {
            "requester": requester.email.upper(),
            "kind": "incident",
            "channel": "phone",
            "service": service.pk,
            "impact": 2,
            "urgency": 1,
            "support_group": support_group.pk,
            "assignee": agent.pk,
            "title": "Cannot print payslips",
            "description": "Called at 9:05.",
            "attachments": [SimpleUploadedFile("note.txt", b"caller notes\n", content_type="text/plain")],
        },
    )
    record = Incident.objects.get(title="Cannot print payslips")
    assert response.status_code == 302
    assert response.url == reverse("record", args=[record.number])
    assert record.requester == requester
    assert record.created_by == agent
    assert record.channel == "phone"
    assert record.kind == "incident"
    assert (record.priority, record.support_group, record.assignee) == (2, support_group, agent)
    assert record.status == "assigned"
    assert Attachment.objects.get().name == "note.txt"


def test_a_request_for_a_caller(client, agent, requester, request_type):
    client.force_login(agent)
    client.post(
        NEW,
        {
            "requester": requester.username,
            "kind": "request",
            "request_type": request_type.pk,
            "channel": "phone",
            "impact": 3,
            "urgency": 3,
            "title": "A mailbox for the new team",
        },
    )
    record = Incident.objects.get(title="A mailbox for the new team")
    assert record.kind == "request"
    assert record.request_type == request_type
    assert record.number.startswith("REQ")
    assert record.channel == "phone"


def test_a_request_without_its_type_is_a_form_error(client, agent, requester):
    client.force_login(agent)
    response = client.post(
        NEW,
        {
            "requester": requester.pk,
            "kind": "request",
            "channel": "phone",
            "impact": 3,
            "urgency": 3,
            "title": "x",
        },
    )
    assert response.status_code == 400
    assert not Incident.objects.exists()
    assert "request_type" in response.context["form"].errors


def test_an_unknown_requester_is_refused(client, agent):
    client.force_login(agent)
    response = client.post(
        NEW,
        {
            "requester": "nobody@example.com",
            "kind": "incident",
            "channel": "phone",
            "impact": 3,
            "urgency": 2,
            "title": "x",
        },
    )
    assert response.status_code == 400
    assert "requester" in response.context["form"].errors
    assert not Incident.objects.exists()


def test_the_requester_search_answers_options(client, agent, requester):
    client.force_login(agent)
    response = client.get(reverse("incidents:requester_search"), {"requester_q": requester.username})
    body = response.content.decode()
    assert 'data-testid="requester-options"' in body
    assert f'value="{requester.pk}"' in body
    assert "<html" not in body


# A requester in the workspace


@pytest.fixture
def others_record(db, other_requester):
    return IncidentFactory(requester=other_requester, status="new")


def desk_urls(record_number):
    record = [
        "record_edit",
        "record_assign",
        "record_transition",
        "record_comment",
        "record_parent",
        "record_merge",
        "record_major",
    ]
    return [
        ("get", reverse("incidents:queue")),
        ("post", reverse("incidents:queue_bulk")),
        ("post", reverse("incidents:queue_view_save")),
        ("post", reverse("incidents:queue_view_delete", args=[1])),
        ("get", reverse("record_jump") + "?number=inc1"),
        ("get", reverse("incidents:desk_new")),
        ("post", reverse("incidents:desk_new")),
        ("get", reverse("incidents:requester_search") + "?requester_q=a"),
        *[("post", reverse(f"incidents:{name}", args=[record_number])) for name in record],
    ]


def test_a_requester_gets_403_on_every_desk_page(client, requester, incident, others_record):
    client.force_login(requester)
    for number in (incident.number, others_record.number):
        for method, address in desk_urls(number):
            response = getattr(client, method)(address)
            assert response.status_code == 403, (method, address, response.status_code)
    incident.refresh_from_db()
    assert incident.status == "new"
    assert not SavedView.objects.exists()


def test_a_requester_gets_404_for_a_record_they_may_not_see(client, requester, others_record, incident):
    client.force_login(requester)
    assert client.get(reverse("record", args=[others_record.number])).status_code == 404
    assert client.get(reverse("record", args=["INC9999999"])).status_code == 404


def test_a_signed_out_visitor_is_sent_to_sign_in(client, incident):
    response = client.get(reverse("incidents:queue"))
    assert response.status_code == 302
    assert "/login/" in response.url


def test_an_agent_gets_404_for_an_unknown_record_action(client, agent):
    client.force_login(agent)
    assert client.post(reverse("incidents:record_assign", args=["INC9999999"])).status_code == 404


def test_the_workspace_home_links_the_queues(client, agent, support_group, incident):
    client.force_login(agent)
    body = client.get(reverse("home")).content.decode()
    assert 'data-testid="queue-card-groups"' in body
    assert reverse("incidents:desk_new") in body
