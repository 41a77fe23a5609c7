"""The change API (`/api/v1/changes/`): lists and filters, raising (normal, emergency, standard, with the
problems and incidents it fixes), edits with If-Match, transitions and their guards, the review, and who
sees what (a requester only the changes they requested)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from changes import workflow as wf
from changes.models import Change
from changes.services import change_create
from incidents import services as incident_services
from problems.services import problem_create
from servicedesk.models import IdempotencyKey
from servicedesk.records.transitions import record_transition

from ..api.helpers import assert_error, version_tag
from ..cmdb.factories import CIFactory
from ..incidents.factories import BusinessServiceFactory

CHANGES = "/api/v1/changes/"


def url(change, tail=""):
    return f"{CHANGES}{change.number}/{tail}"


@pytest.fixture(autouse=True)
def stubs(monkeypatch):
    """The CAB and conflict detection are other modules' (stubs on this branch)."""
    monkeypatch.setattr("changes.services.cab.cab_request_open", lambda **kw: None)
    monkeypatch.setattr("changes.services.cab.cab_requests_cancel", lambda **kw: None)
    monkeypatch.setattr("changes.conflicts.schedule_check", lambda firing: None)


@pytest.fixture
def incident(db, requester, service):
    return incident_services.incident_create(actor=requester, title="Payslips missing", service=service)


@pytest.fixture
def problem(db, agent, service):
    return problem_create(actor=agent, title="Payroll database deadlocks", service=service)


def _implementing(record, manager, agent):
    start = timezone.now() + timedelta(days=2)
    Change.objects.filter(pk=record.pk).update(
        planned_start=start, planned_end=start + timedelta(hours=1), risk_level="low", status=wf.SCHEDULED
    )
    record.refresh_from_db()
    return record_transition(record=record, actor=agent, to=wf.IMPLEMENTING, maintenance=False)


# Reading.


def test_an_agent_lists_and_reads_changes(agent, change, service, server, api_as):
    client = api_as(agent)
    listed = client.get(CHANGES)
    assert listed.status_code == 200
    assert [row["number"] for row in listed.json()["results"]] == [change.number]
    assert listed.json()["results"][0]["type"] == "normal"

    response = client.get(url(change))
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["status"], body["type"]) == ("Patch the payroll database", "draft", "normal")
    assert body["services"] == [{"id": service.pk, "name": "Payroll"}]
    assert body["affected_cis"] == [{"id": server.pk, "name": "db-payroll-01"}]
    assert body["backout_plan"] == "Restore last night's snapshot."
    assert (body["problems"], body["incidents"], body["caused_incidents"]) == ([], [], [])
    assert {t["name"] for t in body["allowed_transitions"]} == {"submit", "cancel"}
    assert version_tag(response) == change.etag


def test_a_requester_sees_only_the_changes_they_requested(change, requester, agent, api_as):
    mine = change_create(actor=agent, title="Give me a bigger mailbox")
    Change.objects.filter(pk=mine.pk).update(requester=requester)
    client = api_as(requester)

    assert [row["number"] for row in client.get(CHANGES).json()["results"]] == [mine.number]
    assert client.get(url(mine)).status_code == 200
    for path in (url(change), url(change, "timeline/"), url(change, "transitions/"), url(change, "links/")):
        assert_error(client.get(path), 404, "not_found")
    assert_error(client.patch(url(change), {"title": "x"}, format="json"), 404)
    assert_error(client.post(url(change, "transitions/"), {"to": "submitted"}, format="json"), 404)
    assert_error(client.post(url(change, "review/"), {"outcome": "successful"}, format="json"), 404)
    assert_error(client.post(url(change, "complete/"), {"outcome": "successful"}, format="json"), 404)


def test_a_cab_member_sees_every_change_but_fires_nothing(change, cab_members, api_as):
    from servicedesk import roles

    from ..factories import UserFactory

    member = UserFactory(username="cabonly", roles=[roles.CAB_MEMBER])
    body = api_as(member).get(url(change)).json()
    assert body["number"] == change.number
    assert body["allowed_transitions"] == []


def test_an_unknown_number_or_another_kind_is_a_404(agent, incident, api_as):
    client = api_as(agent)
    assert_error(client.get(f"{CHANGES}CHG9999999/"), 404)
    assert_error(client.get(f"{CHANGES}{incident.number}/"), 404)


def test_anonymous_callers_are_refused(change, api_client):
    assert_error(api_client.get(CHANGES), 401)


def test_the_list_filters(agent, change, change_manager, service, server, support_group, api_as):
    other = change_create(
        actor=agent, title="Replace the core switch", change_type=wf.EMERGENCY, support_group=support_group
    )
    start = timezone.now() + timedelta(days=5)
    Change.objects.filter(pk=other.pk).update(
        planned_start=start,
        planned_end=start + timedelta(hours=4),
        risk_level="high",
        assignee=change_manager,
    )
    client = api_as(agent)

    def numbers(**params):
        response = client.get(CHANGES, params)
        assert response.status_code == 200, response.content
        return {row["number"] for row in response.json()["results"]}

    assert numbers() == {change.number, other.number}
    assert numbers(status="draft") == {change.number}
    assert numbers(status=["draft", "submitted"]) == {change.number, other.number}
    assert numbers(type="emergency") == {other.number}
    assert numbers(risk="high") == {other.number}
    assert numbers(risk="low") == set()
    assert numbers(support_group=support_group.pk) == {other.number}
    assert numbers(assignee=change_manager.pk) == {other.number}
    assert numbers(assignee="none") == {change.number}
    assert numbers(service=service.pk) == {change.number}
    assert numbers(ci=server.pk) == {change.number}
    assert numbers(planned_from=(start + timedelta(hours=1)).isoformat()) == {other.number}
    assert numbers(planned_from=(start + timedelta(hours=5)).isoformat()) == set()
    assert numbers(planned_to=(start + timedelta(hours=1)).isoformat()) == {other.number}
    assert numbers(planned_to=(start - timedelta(hours=1)).isoformat()) == set()
    assert numbers(q="switch") == {other.number}
    assert numbers(q=change.number) == {change.number}


@pytest.mark.parametrize(
    "params",
    [{"status": "open"}, {"type": "big"}, {"risk": "9"}, {"service": "999999"}, {"planned_from": "soon"}],
)
def test_a_filter_it_cannot_read_is_a_400(params, agent, change, api_as):
    assert_error(api_as(agent).get(CHANGES, params), 400, "validation_error")


def test_the_list_runs_a_constant_number_of_queries(agent, service, server, api_as,
                                                    django_assert_max_num_queries):  # fmt: skip
    for n in range(30):
        change_create(actor=agent, title=f"Change {n}", services=[service], affected_cis=[server])
    client = api_as(agent)
    client.get(CHANGES, {"page_size": 1})  # warm the permission and content-type caches

    for size in (1, 25):
        with django_assert_max_num_queries(4):
            response = client.get(CHANGES, {"page_size": size, "status": "draft"})
        assert len(response.json()["results"]) == size


def test_one_change_is_read_in_a_few_queries(agent, change, api_as, django_assert_max_num_queries):
    client = api_as(agent)
    client.get(url(change))
    with django_assert_max_num_queries(10):
        assert client.get(url(change)).status_code == 200


# Raising.


def test_an_agent_raises_a_normal_change_with_what_it_fixes(agent, service, server, problem, incident,
                                                           api_as):  # fmt: skip
    start = timezone.now() + timedelta(days=1)
    response = api_as(agent).post(
        CHANGES,
        {
            "title": "Patch the payroll database",
            "reason": "CVE",
            "services": [service.pk],
            "affected_cis": [server.pk],
            "planned_start": start.isoformat(),
            "planned_end": (start + timedelta(hours=1)).isoformat(),
            "implementation_plan": "Patch",
            "problems": [problem.number.lower()],
            "incidents": [incident.number],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"].endswith(f"{CHANGES}{body['number']}/")
    assert (body["type"], body["status"]) == ("normal", "draft")
    assert body["problems"] == [problem.number]
    assert body["incidents"] == [incident.number]
    assert body["affected_cis"] == [{"id": server.pk, "name": "db-payroll-01"}]


def test_an_emergency_change_is_raised_submitted(agent, api_as):
    response = api_as(agent).post(CHANGES, {"title": "Stop it", "type": "emergency"}, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["type"], response.json()["status"]) == ("emergency", "submitted")


def test_a_standard_change_is_raised_from_the_catalogue(agent, standard, server, api_as):
    start = timezone.now() + timedelta(days=1)
    response = api_as(agent).post(
        CHANGES,
        {"standard_change": standard.pk, "affected_cis": [server.pk], "planned_start": start.isoformat()},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["type"], body["status"], body["title"]) == ("standard", "submitted", standard.name)
    assert body["standard_change"] == {"id": standard.pk, "name": standard.name}
    assert body["test_plan"] == standard.test_plan
    assert body["risk_level"] == "low"
    assert {t["name"] for t in body["allowed_transitions"]} == {"schedule", "cancel"}


def test_a_retried_create_raises_one_change(agent, api_as):
    client = api_as(agent)
    first = client.post(CHANGES, {"title": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY="chg-1")
    second = client.post(CHANGES, {"title": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY="chg-1")

    assert first.status_code == second.status_code == 201
    assert second.json()["number"] == first.json()["number"]
    assert second["Idempotent-Replayed"] == "true"
    assert Change.objects.filter(title="Once").count() == 1
    assert IdempotencyKey.objects.filter(key="chg-1").exists()


def test_requesters_may_not_raise_changes(requester, api_as):
    assert_error(api_as(requester).post(CHANGES, {"title": "Mine"}, format="json"), 403, "permission_denied")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "T", "type": "standard"}, "type"),
        ({"title": "T", "problems": ["PRB9999999"]}, "problems"),
        ({"title": "T", "problems": ["nonsense"]}, "problems"),
        ({"title": "T", "incidents": ["PRB0000001"]}, "incidents"),
        ({"title": "T", "urgency": 7}, "urgency"),
        ({"title": "T", "services": [999_999]}, "services"),
        ({"title": "T", "planned_start": "2030-01-01T10:00:00Z"}, "planned_end"),
        (
            {"title": "T", "planned_start": "2030-01-01T10:00:00Z", "planned_end": "2030-01-01T09:00:00Z"},
            "planned_end",
        ),
        ({"standard_change": 999_999}, "standard_change"),
    ],
)
def test_raising_refuses_bad_input_with_field_errors(body, field, agent, api_as):
    body = assert_error(api_as(agent).post(CHANGES, body, format="json"), 400, "validation_error")
    assert field in body["fields"], body


def test_a_standard_change_takes_its_plans_from_the_catalogue_only(agent, standard, api_as):
    body = assert_error(
        api_as(agent).post(
            CHANGES, {"standard_change": standard.pk, "backout_plan": "Mine", "type": "normal"}, format="json"
        ),
        400,
    )
    assert set(body["fields"]) == {"backout_plan", "type"}


def test_a_ci_that_is_not_a_business_service_is_a_field_error(agent, server, api_as):
    body = assert_error(
        api_as(agent).post(CHANGES, {"title": "T", "services": [server.pk]}, format="json"), 400
    )
    assert "services" in body["fields"]


# Editing.


def test_an_edit_honours_if_match(agent, change, api_as):
    client = api_as(agent)
    etag = client.get(url(change))["ETag"]

    response = client.patch(url(change), {"title": "Patch it tonight"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Patch it tonight"

    stale = client.patch(url(change), {"title": "Again"}, format="json", HTTP_IF_MATCH=etag)
    assert_error(stale, 412, "stale_write")
    assert Change.objects.get(pk=change.pk).title == "Patch it tonight"


def test_after_approval_only_the_dates_change(change, change_manager, agent, api_as):
    Change.objects.filter(pk=change.pk).update(status=wf.APPROVED)
    client = api_as(change_manager)

    body = assert_error(client.patch(url(change), {"test_plan": "Other"}, format="json"), 400)
    assert "test_plan" in body["fields"]
    assert_error(api_as(agent).patch(url(change), {"title": "x"}, format="json"), 403)


def test_a_requester_edits_their_draft_but_not_its_agent_fields(change, requester, support_group, api_as):
    Change.objects.filter(pk=change.pk).update(requester=requester)
    client = api_as(requester)

    assert client.patch(url(change), {"reason": "Because"}, format="json").status_code == 200
    assert_error(client.patch(url(change), {"support_group": support_group.pk}, format="json"), 403)
    assert_error(client.patch(url(change), {"support_group": 999_999}, format="json"), 403)


# Transitions.


def test_an_illegal_transition_is_a_409_listing_where_it_may_go(agent, change, api_as):
    response = api_as(agent).post(url(change, "transitions/"), {"to": "scheduled"}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert body["allowed"] == ["submitted", "cancelled"]


def test_sending_to_the_cab_without_plans_dates_or_risk_is_a_400_per_field(change_manager, agent, api_as):
    record = change_create(actor=agent, title="Bare")
    Change.objects.filter(pk=record.pk).update(status=wf.ASSESSMENT)

    body = assert_error(
        api_as(change_manager).post(url(record, "transitions/"), {"to": "awaiting_approval"}, format="json"),
        400,
    )
    assert {"implementation_plan", "test_plan", "backout_plan", "planned_start", "risk_level"} <= set(
        body["fields"]
    )


def test_a_transition_takes_its_inputs(change, change_manager, agent, server, api_as):
    record = _implementing(change, change_manager, agent)
    response = api_as(agent).post(
        url(record, "transitions/"), {"to": "failed", "reason": "Disk"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["failure_reason"]) == ("failed", "Disk")


def test_scheduling_passes_the_override_reason(change, change_manager, monkeypatch, api_as):
    seen = []
    monkeypatch.setattr("changes.conflicts.schedule_check", lambda firing: seen.append(firing.inputs))
    Change.objects.filter(pk=change.pk).update(status=wf.APPROVED)

    response = api_as(change_manager).post(
        url(change, "transitions/"), {"to": "scheduled", "override_reason": "CEO said so"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert seen == [{"override_reason": "CEO said so"}]


# The review.


def test_the_review_records_the_outcome_and_the_incidents_caused(change, change_manager, agent, incident,
                                                                 api_as):  # fmt: skip
    client = api_as(agent)
    assert_error(
        client.post(url(change, "review/"), {"outcome": "successful"}, format="json"), 409, "not_reviewable"
    )

    record = _implementing(change, change_manager, agent)
    record = record_transition(record=record, actor=agent, to=wf.REVIEW)
    response = client.post(
        url(record, "review/"),
        {"outcome": "partial", "lessons": "Slow restore.", "caused": [incident.number]},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["review_outcome"], body["review_lessons"]) == ("partial", "Slow restore.")
    assert body["caused_incidents"] == [incident.number]

    closed = api_as(change_manager).post(url(record, "transitions/"), {"to": "closed"}, format="json")
    assert closed.json()["status"] == "closed"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"outcome": "great"}, "outcome"), ({"outcome": "failed", "caused": ["INC9999999"]}, "caused")],
)
def test_a_bad_review_is_a_field_error(change, change_manager, agent, api_as, body, field):
    record = _implementing(change, change_manager, agent)
    record = record_transition(record=record, actor=agent, to=wf.FAILED, reason="Disk")
    answer = assert_error(api_as(agent).post(url(record, "review/"), body, format="json"), 400)
    assert field in answer["fields"]


def test_a_failed_change_cannot_be_reviewed_successful(change, change_manager, agent, api_as):
    record = _implementing(change, change_manager, agent)
    record = record_transition(record=record, actor=agent, to=wf.FAILED, reason="Disk")
    answer = assert_error(
        api_as(agent).post(url(record, "review/"), {"outcome": "successful"}, format="json"), 400
    )
    assert "outcome" in answer["fields"]


def test_the_detail_shows_only_the_linked_records_the_caller_may_see(agent, requester, change, incident,
                                                                     problem, api_as):  # fmt: skip
    from changes.services import change_link_incident, change_link_problem

    change_link_problem(actor=agent, change=change, problem=problem)
    change_link_incident(actor=agent, change=change, incident=incident)
    other_incident = incident_services.incident_create(actor=agent, title="Not yours")
    change_link_incident(actor=agent, change=change, incident=other_incident)
    Change.objects.filter(pk=change.pk).update(requester=requester)

    as_agent = api_as(agent).get(url(change)).json()
    as_requester = api_as(requester).get(url(change)).json()

    assert as_agent["problems"] == [problem.number]
    assert as_agent["incidents"] == [incident.number, other_incident.number]
    assert as_requester["problems"] == []  # requesters never see problems
    assert as_requester["incidents"] == [incident.number]


def test_a_business_service_filter_for_an_unknown_service_is_a_400(agent, api_as):
    BusinessServiceFactory(name="Mail")
    assert_error(api_as(agent).get(CHANGES, {"service": CIFactory(name="x").pk}), 400)
