"""The portal home's "Waiting for you" (issue 19, item 4) and the follow-up of a closed record."""

import pytest
from django.urls import reverse

from incidents import services
from incidents.models import Incident
from servicedesk.models import TimelineEntry

from ..factories import UserFactory
from .factories import IncidentFactory


@pytest.fixture
def as_requester(client, requester):
    client.force_login(requester)
    return client


def _resolve(record, agent):
    record = services.incident_transition(record=record, actor=agent, to="in_progress")
    return services.incident_transition(
        record=record, actor=agent, to="resolved", resolution_code="solved", resolution_notes="Restarted."
    )


def _close(record, agent):
    record = _resolve(record, agent)
    return services.incident_transition(record=record, actor=agent, to="closed")


def _waiting(response) -> list[str]:
    return [record.number for record in response.context["waiting"]]


# Waiting for you


def test_a_resolved_record_and_a_question_wait_for_the_requester(as_requester, incident, agent, requester):
    question = services.incident_create(actor=requester, title="Second screen flickers")
    question = services.incident_transition(record=question, actor=agent, to="in_progress")
    services.incident_transition(record=question, actor=agent, to="on_hold", hold_reason="requester")
    _resolve(incident, agent)
    services.incident_create(actor=requester, title="Still new")

    response = as_requester.get("/portal/?tab=all")

    assert sorted(_waiting(response)) == sorted([incident.number, question.number])
    html = response.content.decode()
    assert 'data-testid="waiting-for-you"' in html
    assert "Confirm the resolution" in html
    assert "Answer the question" in html
    marked = {record.number for record in response.context["page"] if record.waits_for_me}
    assert marked == {incident.number, question.number}
    assert html.count('data-testid="waits-for-me"') == 2


def test_a_record_on_hold_for_a_vendor_does_not_wait_for_the_requester(as_requester, incident, agent):
    record = services.incident_transition(record=incident, actor=agent, to="in_progress")
    services.incident_transition(record=record, actor=agent, to="on_hold", hold_reason="vendor")

    response = as_requester.get("/portal/")

    assert _waiting(response) == []
    assert 'data-testid="waiting-for-you"' not in response.content.decode()


def test_a_colleagues_resolved_record_does_not_wait_for_me(client, organisation, agent, incident):
    organisation.shares_records = True
    organisation.save()
    _resolve(incident, agent)
    colleague = UserFactory(username="colleague", roles=["Requester"], organisation=organisation)
    client.force_login(colleague)

    response = client.get("/portal/?tab=all")

    assert incident.number in [record.number for record in response.context["page"]]
    assert _waiting(response) == []


@pytest.mark.parametrize("count", [2, 12])
def test_the_waiting_list_costs_the_same_whatever_its_size(
    client, requester, count, django_assert_max_num_queries
):
    for _index in range(count):
        IncidentFactory(requester=requester, status="resolved", resolution_code="solved")
    client.force_login(requester)

    # + 1: the bell's unread count (issue 19).
    with django_assert_max_num_queries(14):
        response = client.get("/portal/")

    assert len(_waiting(response)) == min(count, 10)


# The record page on a phone: the main action first


def test_the_waiting_notice_offers_to_reply_at_once(as_requester, incident, agent):
    record = services.incident_transition(record=incident, actor=agent, to="in_progress")
    services.incident_transition(record=record, actor=agent, to="on_hold", hold_reason="requester")

    html = as_requester.get(reverse("record", args=[incident.number])).content.decode()

    assert 'data-testid="reply-now"' in html
    assert html.index('data-testid="reply-now"') < html.index('id="description-heading"')


def test_the_actions_come_before_the_description_on_the_page(as_requester, incident, agent):
    _resolve(incident, agent)

    html = as_requester.get(reverse("record", args=[incident.number])).content.decode()

    assert html.index('data-testid="close-form"') < html.index('id="description-heading"')


# A follow-up of a closed record


def test_a_closed_record_offers_a_follow_up(as_requester, incident, agent):
    _close(incident, agent)

    html = as_requester.get(reverse("record", args=[incident.number])).content.decode()

    assert 'data-testid="follow-up"' in html
    assert f"?follow_up={incident.number}" in html


def test_a_resolved_record_offers_no_follow_up(as_requester, incident, agent):
    _resolve(incident, agent)

    html = as_requester.get(reverse("record", args=[incident.number])).content.decode()

    assert 'data-testid="follow-up"' not in html


def test_the_follow_up_form_is_prefilled_from_the_closed_record(as_requester, incident, agent):
    _close(incident, agent)

    response = as_requester.get(f"/portal/new/incident/?follow_up={incident.number}")

    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["title"] == "Still a problem: Outlook does not start"
    assert form.initial["service"] == incident.service_id
    assert f'name="follow_up" value="{incident.number}"' in response.content.decode()


def test_filing_the_follow_up_links_both_records(as_requester, incident, agent, requester):
    _close(incident, agent)

    response = as_requester.post(
        "/portal/new/incident/",
        {
            "title": "Still a problem: Outlook does not start",
            "description": "It crashes again.",
            "urgency": "2",
            "follow_up": incident.number,
        },
    )

    assert response.status_code == 302
    new = Incident.objects.exclude(pk=incident.pk).get()
    assert new.requester == requester
    links = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.LINK).order_by("id")
    assert [(entry.object_id, entry.data["link"], entry.data["number"]) for entry in links] == [
        (new.pk, "follow_up_of", incident.number),
        (incident.pk, "followed_up_by", new.number),
    ]


@pytest.mark.parametrize("state", ["open", "resolved"])
def test_a_follow_up_of_a_record_not_closed_is_not_found(as_requester, incident, agent, state):
    if state == "resolved":
        _resolve(incident, agent)

    assert as_requester.get(f"/portal/new/incident/?follow_up={incident.number}").status_code == 404
    response = as_requester.post(
        "/portal/new/incident/",
        {"title": "x", "description": "y", "urgency": "2", "follow_up": incident.number},
    )
    assert response.status_code == 404
    assert Incident.objects.count() == 1


def test_a_follow_up_of_someone_elses_record_is_not_found(client, other_requester, incident, agent):
    _close(incident, agent)
    client.force_login(other_requester)

    assert client.get(f"/portal/new/incident/?follow_up={incident.number}").status_code == 404
