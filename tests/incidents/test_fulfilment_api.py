"""Catalogue forms and fulfilment tasks in the API: answers written on create (field errors 400) and read
back, the request type's schema listed, tasks listed on the request and completed (409 not ready, 412
stale, 404 for what the caller may not see); every answer conforms to the OpenAPI schema."""

import pytest

from incidents.models import FulfilmentTask, Incident

from ..factories import SupportGroupFactory
from .fulfilment import LAPTOP_SCHEMA, answers, file_laptop, laptop_type

REQUESTS = "/api/v1/requests/"


@pytest.fixture
def laptop(db, service, support_group):
    second = SupportGroupFactory(name="Desktop support", members=list(support_group.members.all()))
    return laptop_type(service, groups=[support_group, second])


def test_a_request_is_filed_with_its_answers_and_shows_them(api_as, requester, laptop):
    client = api_as(requester)
    body = {"title": "A laptop", "request_type": laptop.pk, "form_data": answers(requester, ram_gb=32)}
    response = client.post(REQUESTS, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["form_data"] == answers(requester, ram_gb=32)
    number = response.json()["number"]
    assert client.get(f"{REQUESTS}{number}/").json()["form_data"]["ram_gb"] == 32


def test_wrong_answers_are_400_with_field_errors_and_file_nothing(api_as, requester, laptop):
    body = {
        "title": "A laptop",
        "request_type": laptop.pk,
        "form_data": answers(requester, model="Gaming 18", needed_by="soon"),
    }
    response = api_as(requester).post(REQUESTS, body, format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert fields["form_data.model"] == ["Choose one of: Standard 14, Developer 16."]
    assert fields["form_data.needed_by"] == ["Not a valid date."]
    assert not Incident.objects.exists()


def test_the_catalogue_lists_each_request_types_form(api_as, requester, laptop):
    rows = api_as(requester).get("/api/v1/request-types/").json()["results"]
    [row] = [row for row in rows if row["id"] == laptop.pk]
    assert row["form_schema"] == LAPTOP_SCHEMA


def test_tasks_are_listed_on_the_request(api_as, requester, laptop):
    record = file_laptop(requester, laptop)
    response = api_as(requester).get(f"{REQUESTS}{record.number}/tasks/")
    assert response.status_code == 200
    assert [(t["name"], t["status"]) for t in response.json()] == [("Step 1", "ready"), ("Step 2", "pending")]


def test_completing_a_task_409_when_not_ready_412_when_stale_then_done(api_as, requester, agent, laptop):
    record = file_laptop(requester, laptop)
    first, second = FulfilmentTask.objects.filter(record=record).order_by("position")
    client = api_as(agent)
    base = f"{REQUESTS}{record.number}/tasks/"

    not_ready = client.post(f"{base}{second.pk}/complete/", {}, format="json")
    assert not_ready.status_code == 409
    assert not_ready.json()["code"] == "task_not_ready"

    stale = client.post(
        f"{base}{first.pk}/complete/", {}, format="json", HTTP_IF_MATCH=f'"{first.pk}-{first.revision - 1}"'
    )
    assert stale.status_code == 412

    done = client.post(
        f"{base}{first.pk}/complete/", {"note": "Ordered."}, format="json", HTTP_IF_MATCH=first.etag
    )
    assert done.status_code == 200
    assert done.json()["status"] == "done"
    assert done["ETag"]
    assert [t["status"] for t in client.get(base).json()] == ["done", "ready"]


def test_a_requester_may_not_complete_a_task_and_others_do_not_see_it(
    api_as, requester, other_requester, laptop
):
    record = file_laptop(requester, laptop)
    task = FulfilmentTask.objects.filter(record=record).order_by("position").first()
    refused = api_as(requester).post(
        f"{REQUESTS}{record.number}/tasks/{task.pk}/complete/", {}, format="json"
    )
    assert refused.status_code == 403
    hidden = api_as(other_requester).get(f"{REQUESTS}{record.number}/tasks/")
    assert hidden.status_code == 404
    elsewhere = api_as(requester).post(f"{REQUESTS}{record.number}/tasks/999999/complete/", {}, format="json")
    assert elsewhere.status_code == 404


def test_leaving_the_answers_out_is_refused_when_the_form_has_required_fields(api_as, requester, laptop):
    response = api_as(requester).post(
        REQUESTS, {"title": "A laptop", "request_type": laptop.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["form_data.model"] == ["This field is required."]
