"""A deployment pipeline's standard change: opened from the catalogue and closed with the outcome in one
call (`change_complete`, `POST /api/v1/changes/{number}/complete/`), with a token of its own."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.test import APIClient

from changes import workflow as wf
from changes.models import Change
from changes.services.pipeline import change_complete
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.models import AuditEvent, WebhookDelivery
from servicedesk.records.transitions import record_transition
from servicedesk.services.tokens import api_token_create
from servicedesk.services.webhooks import webhook_subscription_create

from ..api.helpers import assert_error
from ..factories import UserFactory

CHANGES = "/api/v1/changes/"


@pytest.fixture(autouse=True)
def stubs(monkeypatch):
    monkeypatch.setattr("changes.conflicts.schedule_check", lambda firing: None)
    monkeypatch.setattr("changes.services.cab.cab_request_open", lambda **kw: None)
    monkeypatch.setattr("changes.services.cab.cab_requests_cancel", lambda **kw: None)


@pytest.fixture
def pipeline(db):
    """An integration's user: it may use the API as an agent, raise changes and work them; nothing else."""
    user = UserFactory(username="deploy-bot", full_name="Deploy pipeline")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["servicedesk", "changes"],
            codename__in=["access_workspace", "add_change", "work_change", "view_change"],
        )
    )
    return user


@pytest.fixture
def client(pipeline):
    """The pipeline's HTTP client: its own API token, CSRF enforced, as an integration calls."""
    _row, key = api_token_create(user=pipeline, actor=pipeline, name="deploy")
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def _open(client, standard, server):
    response = client.post(
        CHANGES,
        {"standard_change": standard.pk, "title": "Deploy 2.4.1", "affected_cis": [server.pk]},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["number"]


def test_a_pipeline_opens_a_standard_change_and_closes_it_in_one_call(client, standard, server):
    number = _open(client, standard, server)
    assert (
        client.post(f"{CHANGES}{number}/transitions/", {"to": "scheduled"}, format="json").status_code == 200
    )

    response = client.post(
        f"{CHANGES}{number}/complete/", {"outcome": "successful", "notes": "Pipeline #812"}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["review_outcome"], body["review_lessons"]) == (
        "closed",
        "successful",
        "Pipeline #812",
    )
    assert body["actual_start"] is not None
    assert body["actual_end"] is not None
    record = Change.objects.get(number=number)
    actions = list(
        AuditEvent.objects.filter(object_id=str(record.pk), action__startswith="change.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "change.created", "change.schedule", "change.start", "change.implemented", "change.reviewed",
        "change.close",
    ]  # fmt: skip


@pytest.mark.parametrize(("outcome", "status"), [("failed", wf.FAILED), ("backed_out", wf.BACKED_OUT)])
def test_a_failure_needs_its_reason_and_is_recorded(client, standard, server, outcome, status):
    number = _open(client, standard, server)
    client.post(f"{CHANGES}{number}/transitions/", {"to": "scheduled"}, format="json")
    url = f"{CHANGES}{number}/complete/"

    body = assert_error(client.post(url, {"outcome": outcome}, format="json"), 400, "validation_error")
    assert "reason" in body["fields"]
    assert Change.objects.get(number=number).status == wf.SCHEDULED

    response = client.post(url, {"outcome": outcome, "reason": "Health checks failed"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["review_outcome"]) == ("closed", outcome)
    record = Change.objects.get(number=number)
    assert AuditEvent.objects.filter(
        object_id=str(record.pk), action=f"change.{record_name(status)}"
    ).exists()


def record_name(status):
    return {wf.FAILED: "fail", wf.BACKED_OUT: "back_out"}[status]


def test_an_implementing_change_is_completed_too(agent, standard, server):
    start = timezone.now() + timedelta(hours=1)
    from changes.services import change_from_standard

    record = change_from_standard(actor=agent, standard=standard, planned_start=start)
    record = record_transition(record=record, actor=agent, to=wf.SCHEDULED)
    record = record_transition(record=record, actor=agent, to=wf.IMPLEMENTING, maintenance=False)

    record = change_complete(record=record, actor=agent, outcome="successful")

    assert record.status == wf.CLOSED


def test_a_change_not_yet_scheduled_is_a_409_and_nothing_moves(client, standard, server):
    number = _open(client, standard, server)

    response = client.post(f"{CHANGES}{number}/complete/", {"outcome": "successful"}, format="json")

    assert response.status_code == 409
    assert (response.json()["code"], response.json()["allowed"]) == (
        "invalid_transition",
        ["scheduled", "cancelled"],
    )
    assert "submitted" in response.json()["message"]
    assert Change.objects.get(number=number).status == wf.SUBMITTED


def test_a_normal_change_is_not_completed_in_one_call(change, change_manager, api_as):
    Change.objects.filter(pk=change.pk).update(status=wf.IMPLEMENTING)

    assert_error(
        api_as(change_manager).post(
            f"{CHANGES}{change.number}/complete/", {"outcome": "successful"}, format="json"
        ),
        409,
        "not_standard",
    )
    with pytest.raises(Conflict):
        change_complete(record=change, actor=change_manager, outcome="successful")


def test_a_partial_success_is_not_a_pipeline_s_outcome(client, standard, server):
    number = _open(client, standard, server)
    body = assert_error(
        client.post(f"{CHANGES}{number}/complete/", {"outcome": "partial"}, format="json"), 400
    )
    assert "outcome" in body["fields"]


def test_who_does_not_work_changes_may_not_complete_one(agent, standard, requester):
    from changes.services import change_from_standard

    record = change_from_standard(actor=agent, standard=standard)
    record = record_transition(record=record, actor=agent, to=wf.SCHEDULED)
    Change.objects.filter(pk=record.pk).update(requester=requester)
    record.refresh_from_db()

    with pytest.raises(PermissionDenied):
        change_complete(record=record, actor=requester, outcome="successful")
    assert Change.objects.get(pk=record.pk).status == wf.SCHEDULED


def test_a_completion_against_a_stale_etag_is_a_412(client, standard, server, agent):
    number = _open(client, standard, server)
    etag = client.get(f"{CHANGES}{number}/")["ETag"]
    client.post(f"{CHANGES}{number}/transitions/", {"to": "scheduled"}, format="json")

    assert_error(
        client.post(
            f"{CHANGES}{number}/complete/", {"outcome": "successful"}, format="json", HTTP_IF_MATCH=etag
        ),
        412,
    )
    assert Change.objects.get(number=number).status == wf.SCHEDULED


def test_the_webhook_hears_each_step(client, standard, server):
    webhook_subscription_create(
        actor=None, name="Chat", url="https://chat.example/hooks",
        events=["change.implemented", "change.closed", "change.scheduled"],
    )  # fmt: skip
    number = _open(client, standard, server)
    client.post(f"{CHANGES}{number}/transitions/", {"to": "scheduled"}, format="json")
    client.post(f"{CHANGES}{number}/complete/", {"outcome": "successful"}, format="json")

    bodies = [
        json.loads(d.message.payload["body"])
        for d in WebhookDelivery.objects.select_related("message").order_by("pk")
    ]
    assert [b["event"] for b in bodies] == ["change.scheduled", "change.implemented", "change.closed"]
    assert {b["record"]["number"] for b in bodies} == {number}
    assert bodies[1]["record"]["type"] == "standard"


def test_the_schema_documents_the_pipeline_call_with_an_example(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/changes/{number}/complete/"]["post"]

    assert "pipeline" in operation["description"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert {example["value"]["outcome"] for example in examples.values()} == {"successful", "backed_out"}
