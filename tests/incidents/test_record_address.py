"""Incidents and requests on the kernel's record address and jump box (`/records/<number>/`): their own pages
per role, and the jump box's way back to the queue for who works them."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from incidents import services
from incidents.models import Incident
from servicedesk.kinds import parse_number, record_get_for_user, record_kind

from .factories import RequestTypeFactory

QUEUE = reverse("incidents:queue")


@pytest.fixture
def incident(db, requester):
    return services.incident_create(actor=requester, title="Outlook does not start")


@pytest.fixture
def service_request(db, requester):
    return services.incident_create(
        actor=requester, kind="request", title="A mailbox for the team", request_type=RequestTypeFactory()
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_incidents_and_requests_open_on_the_one_record_address(
    client, agent, requester, incident, service_request
):
    client.force_login(agent)
    assert (
        client.get(reverse("record", args=[incident.number])).templates[0].name
        == "incidents/workspace/record.html"
    )
    client.force_login(requester)
    response = client.get(reverse("record", args=[service_request.number.lower()]))
    assert response.templates[0].name == "incidents/portal/record.html"


def test_another_requesters_record_answers_404(client, other_requester, incident):
    client.force_login(other_requester)

    assert client.get(reverse("record", args=[incident.number])).status_code == 404


def test_jump_canonicalises_the_number_and_opens_the_record(client, agent, incident):
    client.force_login(agent)
    short = "inc" + str(int(incident.number[3:]))
    response = client.get(reverse("record_jump"), {"number": short})
    assert response.status_code == 302
    assert response.url == reverse("record", args=[incident.number])


def test_jump_to_a_request(client, agent, service_request):
    client.force_login(agent)
    response = client.get(reverse("record_jump"), {"number": service_request.number.lower()})
    assert response.url == reverse("record", args=[service_request.number])


def test_jump_to_an_unknown_number_goes_back_with_not_found(client, agent, incident):
    client.force_login(agent)
    response = client.get(
        reverse("record_jump"),
        {"number": "INC9999999"},
        headers={"referer": "http://testserver/desk/queue/?view=all"},
    )
    assert response.status_code == 302
    assert response.url == "http://testserver/desk/queue/?view=all"
    assert messages_of(response) == ["No record INC9999999 was found."]


def test_jump_to_another_requesters_record_for_a_requester_is_refused(client, requester, incident):
    client.force_login(requester)
    assert client.get(reverse("record_jump"), {"number": incident.number}).status_code == 403


def test_jump_without_a_number_goes_back_to_the_queue(client, agent):
    client.force_login(agent)
    response = client.get(reverse("record_jump"), {"number": " "})
    assert response.url == QUEUE
    assert messages_of(response) == ["Enter a record number."]


def test_jump_with_words_searches_the_queue(client, agent):
    client.force_login(agent)
    response = client.get(reverse("record_jump"), {"number": "printer jam"})
    assert response.url == f"{QUEUE}?view=all&q=printer+jam"


def test_incidents_and_requests_are_registered_kinds():
    assert record_kind("incident").prefix == "INC"
    assert record_kind("request").prefix == "REQ"
    assert record_kind("request").model_class() is Incident
    assert record_kind("request").filters == {"kind": "request"}
    for code in ("incident", "request"):
        assert record_kind(code).open_statuses == ("new", "assigned", "in_progress", "on_hold")
        assert record_kind(code).sla_metrics == ("response", "resolution")
    kind, number = parse_number("req7")
    assert (kind.code, number) == ("request", "REQ0000007")


def test_a_requester_finds_their_incident_and_request_by_any_spelling(requester, incident, service_request):
    assert record_get_for_user(user=requester, number="inc1") == incident
    assert record_get_for_user(user=requester, number="req1") == service_request
