"""The problem API (`/api/v1/problems/`): lists and filters, raising (with incidents, from incidents),
changes with If-Match, transitions and their guards, incidents, the known error, and who sees what."""

import pytest
from django.contrib.contenttypes.models import ContentType

from incidents import services as incident_services
from problems import workflow as wf
from problems.models import KnownError, Problem
from problems.selectors import problem_of_incident
from problems.services import problem_create
from servicedesk.models import TimelineEntry
from servicedesk.records.transitions import record_transition
from servicedesk.services.numbering import number_allocate
from servicedesk.services.priority import priority_for

from ..api.helpers import assert_error, version_tag
from ..cmdb.factories import CIFactory
from ..incidents.factories import BusinessServiceFactory, CategoryFactory, IncidentFactory, RequestFactory

PROBLEMS = "/api/v1/problems/"


def url(problem, tail=""):
    return f"{PROBLEMS}{problem.number}/{tail}"


@pytest.fixture
def known(agent, problem):
    return record_transition(
        record=problem, actor=agent, to=wf.KNOWN_ERROR, root_cause="Idle timeout 60 s",
        workaround="Disconnect and reconnect.",
    )  # fmt: skip


@pytest.fixture
def other_incident(requester, service):
    return incident_services.incident_create(actor=requester, title="VPN gone again", service=service)


# Reading.


def test_an_agent_lists_and_reads_problems(agent, problem, incident, api_as):
    client = api_as(agent)
    listed = client.get(PROBLEMS)
    assert listed.status_code == 200
    assert [row["number"] for row in listed.json()["results"]] == [problem.number]

    response = client.get(url(problem))
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["status"], body["service"]["name"]) == ("VPN drops", "new", "VPN")
    assert body["incidents"] == [incident.number]
    assert body["known_error"] is None
    assert {t["to"] for t in body["allowed_transitions"]} == {wf.INVESTIGATING, wf.KNOWN_ERROR}
    assert version_tag(response) == problem.etag


def test_a_problem_is_read_by_any_spelling_of_its_number(agent, problem, api_as):
    short = "prb" + problem.number[3:].lstrip("0")
    assert api_as(agent).get(f"{PROBLEMS}{short}/").json()["number"] == problem.number


def test_requesters_never_see_problems(requester, problem, api_as):
    client = api_as(requester)
    assert client.get(PROBLEMS).json()["results"] == []
    for path in (url(problem), url(problem, "timeline/"), url(problem, "incidents/"), url(problem, "links/")):
        assert_error(client.get(path), 404, "not_found")
    assert_error(client.patch(url(problem), {"title": "x"}), 404)
    assert_error(client.post(url(problem, "transitions/"), {"to": "investigating"}), 404)


def test_an_unknown_number_or_another_kind_is_a_404(agent, incident, api_as):
    client = api_as(agent)
    assert_error(client.get(f"{PROBLEMS}PRB9999999/"), 404)
    assert_error(client.get(f"{PROBLEMS}{incident.number}/"), 404)


def test_anonymous_callers_are_refused(problem, api_client):
    assert_error(api_client.get(PROBLEMS), 401)


def test_the_list_filters(agent, problem, problem_manager, service, support_group, api_as):
    other = problem_create(actor=agent, title="Printer queue stalls", impact=1, urgency=1)
    client = api_as(agent)

    def numbers(**params):
        response = client.get(PROBLEMS, params)
        assert response.status_code == 200, response.content
        return {row["number"] for row in response.json()["results"]}

    assert numbers() == {problem.number, other.number}
    assert numbers(priority=1) == {other.number}
    assert numbers(status="new") == {problem.number, other.number}
    assert numbers(status="investigating") == set()
    assert numbers(service=service.pk) == {problem.number}
    assert numbers(support_group=support_group.pk) == {problem.number}
    assert numbers(assignee="none") == {problem.number, other.number}
    assert numbers(q="printer") == {other.number}
    assert numbers(q=problem.number) == {problem.number}
    record_transition(record=other, actor=problem_manager, to=wf.INVESTIGATING)
    assert numbers(assignee=problem_manager.pk) == {other.number}
    assert numbers(status="investigating") == {other.number}


@pytest.mark.parametrize(
    "params", [{"status": "open"}, {"priority": "9"}, {"service": "999999"}, {"assignee": "x"}]
)
def test_a_filter_it_cannot_read_is_a_400(params, agent, problem, api_as):
    assert_error(api_as(agent).get(PROBLEMS, params), 400, "validation_error")


# Raising.


def test_an_agent_raises_a_problem_with_its_incidents(agent, service, incident, other_incident, api_as):
    ci = CIFactory(name="vpn-gw-01")
    category = CategoryFactory(name="Network")
    response = api_as(agent).post(
        PROBLEMS,
        {
            "title": "VPN tunnels drop",
            "description": "Every hour.",
            "service": service.pk,
            "category": category.pk,
            "impact": 2,
            "urgency": 1,
            "affected_cis": [ci.pk],
            "symptoms": "Tunnels drop.",
            "incidents": [incident.number, other_incident.number.lower()],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    record = Problem.objects.get(number=body["number"])
    assert response["Location"].endswith(f"{PROBLEMS}{record.number}/")
    assert body["incidents"] == [incident.number, other_incident.number]
    assert body["priority"] == priority_for(impact=2, urgency=1)
    assert body["affected_cis"] == [{"id": ci.pk, "name": "vpn-gw-01"}]
    assert body["category"]["name"] == "Network"
    assert problem_of_incident(other_incident) == record


def test_requesters_may_not_raise_problems(requester, api_as):
    assert_error(api_as(requester).post(PROBLEMS, {"title": "Mine"}), 403, "permission_denied")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "T", "incidents": ["INC9999999"]}, "incidents"),
        ({"title": "T", "incidents": ["nonsense"]}, "incidents"),
        ({"title": "T", "urgency": 7}, "urgency"),
        ({"title": "T", "service": 999_999}, "service"),
        ({"title": "T", "incidents": "INC1"}, "incidents"),
    ],
)
def test_raising_refuses_bad_input_with_field_errors(body, field, agent, api_as):
    body = assert_error(api_as(agent).post(PROBLEMS, body), 400, "validation_error")
    assert field in body["fields"], body


def test_a_request_is_not_an_incident(agent, requester, api_as):
    request = RequestFactory(requester=requester)
    body = assert_error(api_as(agent).post(PROBLEMS, {"title": "T", "incidents": [request.number]}), 400)
    assert "incidents" in body["fields"]


def test_a_service_that_is_not_in_the_catalogue_is_a_field_error(agent, api_as):
    ci = CIFactory(name="some server")
    body = assert_error(api_as(agent).post(PROBLEMS, {"title": "T", "service": ci.pk}), 400)
    assert "service" in body["fields"]


def test_an_incident_of_another_problem_is_a_conflict_and_nothing_is_raised(agent, problem, incident, api_as):
    before = Problem.objects.count()
    assert_error(
        api_as(agent).post(PROBLEMS, {"title": "T", "incidents": [incident.number]}), 409, "link_limit"
    )
    assert Problem.objects.count() == before


def test_a_problem_is_raised_from_incidents(agent, incident, other_incident, service, api_as):
    response = api_as(agent).post(
        f"{PROBLEMS}from-incidents/", {"incidents": [incident.number, other_incident.number]}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["title"], body["service"]["id"]) == (incident.title, service.pk)
    assert body["incidents"] == [incident.number, other_incident.number]

    titled = api_as(agent).post(
        f"{PROBLEMS}from-incidents/", {"incidents": [IncidentFactory().number], "title": "Mine"}
    )
    assert titled.json()["title"] == "Mine"


@pytest.mark.parametrize("body", [{}, {"incidents": []}, {"incidents": ["INC9999999"]}])
def test_raising_from_no_incidents_is_a_400(body, agent, api_as):
    body = assert_error(api_as(agent).post(f"{PROBLEMS}from-incidents/", body), 400)
    assert "incidents" in body["fields"]


def test_requesters_may_not_raise_from_incidents(requester, incident, api_as):
    client = api_as(requester)
    assert_error(client.post(f"{PROBLEMS}from-incidents/", {"incidents": [incident.number]}), 403)


# Changing.


def test_an_agent_records_the_analysis_with_if_match(agent, problem, api_as):
    client = api_as(agent)
    etag = client.get(url(problem))["ETag"]
    ci = CIFactory(name="vpn-gw-01")
    response = client.patch(
        url(problem),
        {
            "method": "five_whys",
            "worksheet": "1. Why? Idle timeout.",
            "root_cause": "Idle timeout 60 s",
            "contributing_cis": [ci.pk],
            "time_spent_minutes": 45,
            "urgency": 1,
        },
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["method"], body["root_cause"], body["time_spent_minutes"]) == (
        "five_whys",
        "Idle timeout 60 s",
        45,
    )
    assert body["contributing_cis"] == [{"id": ci.pk, "name": "vpn-gw-01"}]
    assert body["version"] == problem.version + 1
    assert body["priority"] == priority_for(impact=problem.impact, urgency=1)

    stale = client.patch(url(problem), {"title": "Again"}, HTTP_IF_MATCH=etag)
    assert_error(stale, 412, "stale_write")
    problem.refresh_from_db()
    assert problem.title == "VPN drops"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": "astrology"}, "method"),
        ({"title": ""}, "title"),
        ({"time_spent_minutes": -1}, "time_spent_minutes"),
        ({"assignee": 999_999}, "assignee"),
        ({"contributing_cis": [999_999]}, "contributing_cis"),
    ],
)
def test_changes_refuse_bad_values(body, field, agent, problem, api_as):
    body = assert_error(api_as(agent).patch(url(problem), body), 400, "validation_error")
    assert field in body["fields"]


def test_an_assignee_who_does_not_work_problems_is_refused(agent, requester, problem, api_as):
    body = assert_error(api_as(agent).patch(url(problem), {"assignee": requester.pk}), 400)
    assert "assignee" in body["fields"]


def test_a_closed_problem_is_not_changed(agent, problem_manager, known, api_as):
    record_transition(record=known, actor=agent, to=wf.RESOLVED, fix="Timeout raised.")
    record_transition(record=known, actor=problem_manager, to=wf.CLOSED)
    assert_error(api_as(agent).patch(url(known), {"title": "Late"}), 403)


# Transitions.


def test_the_transitions_through_the_api(agent, problem_manager, problem, api_as):
    client = api_as(agent)
    started = client.post(url(problem, "transitions/"), {"to": "investigating"})
    assert started.status_code == 200, started.content
    assert (started.json()["status"], started.json()["assignee"]["id"]) == ("investigating", agent.pk)

    guard = assert_error(client.post(url(problem, "transitions/"), {"to": "known_error"}), 400)
    assert set(guard["fields"]) == {"root_cause", "workaround"}

    known = client.post(
        url(problem, "transitions/"),
        {"to": "known_error", "root_cause": "Idle timeout", "no_workaround": True},
    )
    assert known.status_code == 200, known.content
    assert (known.json()["status"], known.json()["no_workaround"]) == ("known_error", True)

    assert "fix" in assert_error(client.post(url(problem, "transitions/"), {"to": "resolved"}), 400)["fields"]
    resolved = client.post(url(problem, "transitions/"), {"to": "resolved", "fix": "Timeout raised to 8 h."})
    assert (resolved.json()["status"], resolved.json()["fix"]) == ("resolved", "Timeout raised to 8 h.")

    assert_error(client.post(url(problem, "transitions/"), {"to": "closed"}), 403, "permission_denied")
    closed = api_as(problem_manager).post(url(problem, "transitions/"), {"to": "closed"})
    assert closed.json()["status"] == "closed"
    assert closed.json()["allowed_transitions"] == []


def test_an_illegal_transition_is_a_409_naming_the_allowed_ones(agent, problem, api_as):
    response = api_as(agent).post(url(problem, "transitions/"), {"to": "closed"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert set(body["allowed"]) == {wf.INVESTIGATING, wf.KNOWN_ERROR}


def test_a_status_that_does_not_exist_is_a_400(agent, problem, api_as):
    assert (
        "to" in assert_error(api_as(agent).post(url(problem, "transitions/"), {"to": "fixed"}), 400)["fields"]
    )


def test_a_stale_transition_is_a_412(agent, problem, api_as):
    client = api_as(agent)
    etag = client.get(url(problem))["ETag"]
    client.patch(url(problem), {"title": "Moved on"})
    assert_error(client.post(url(problem, "transitions/"), {"to": "investigating"}, HTTP_IF_MATCH=etag), 412)


def test_only_managers_cancel(agent, problem_manager, problem, api_as):
    assert_error(api_as(agent).post(url(problem, "transitions/"), {"to": "cancelled", "reason": "No"}), 403)
    body = api_as(problem_manager).post(
        url(problem, "transitions/"), {"to": "cancelled", "reason": "No problem"}
    )
    assert body.json()["status"] == "cancelled"


def test_the_transitions_resource_lists_what_may_be_fired(agent, problem, api_as):
    body = api_as(agent).get(url(problem, "transitions/")).json()
    assert body["status"] == "new"
    known = next(t for t in body["allowed"] if t["to"] == wf.KNOWN_ERROR)
    assert set(known["accepts"]) == {"root_cause", "workaround", "no_workaround"}


# Incidents, links, comments and the timeline.


def test_incidents_are_linked_from_the_problem(agent, problem, incident, other_incident, api_as):
    client = api_as(agent)
    listed = client.get(url(problem, "incidents/"))
    assert [row["number"] for row in listed.json()] == [incident.number]

    response = client.post(url(problem, "incidents/"), {"incidents": [other_incident.number]})
    assert response.status_code == 201, response.content
    assert [row["number"] for row in response.json()] == [incident.number, other_incident.number]
    assert response.json()[1]["linked_by"]["id"] == agent.pk
    assert problem_of_incident(other_incident) == problem


def test_linking_is_all_or_nothing(agent, problem, incident, other_incident, api_as):
    body = {"incidents": [other_incident.number, incident.number]}  # the second is linked already
    assert_error(api_as(agent).post(url(problem, "incidents/"), body), 409, "link_exists")
    assert problem_of_incident(other_incident) is None


def test_an_incident_of_another_problem_is_not_linked(agent, problem, other_incident, api_as):
    second = problem_create(actor=agent, title="Other", incidents=[other_incident])
    assert_error(
        api_as(agent).post(url(problem, "incidents/"), {"incidents": [other_incident.number]}),
        409,
        "link_limit",
    )
    assert problem_of_incident(other_incident) == second


def test_a_closed_problem_takes_no_more_incidents(agent, problem_manager, known, other_incident, api_as):
    record_transition(record=known, actor=agent, to=wf.RESOLVED, fix="Done.")
    record_transition(record=known, actor=problem_manager, to=wf.CLOSED)
    body = {"incidents": [other_incident.number]}
    assert_error(api_as(agent).post(url(known, "incidents/"), body), 409, "link_refused")


@pytest.mark.parametrize("body", [{}, {"incidents": []}, {"incidents": ["INC9999999"]}])
def test_linking_nothing_or_an_unknown_incident_is_a_400(body, agent, problem, api_as):
    assert "incidents" in assert_error(api_as(agent).post(url(problem, "incidents/"), body), 400)["fields"]


def test_the_kernel_links_show_the_incidents_both_ways(agent, problem, incident, other_incident, api_as):
    client = api_as(agent)
    links = client.get(url(problem, "links/"), {"type": "problem_incident"}).json()
    assert [(row["number"], row["direction"]) for row in links] == [(incident.number, "outgoing")]
    from_incident = client.post(
        f"/api/v1/incidents/{other_incident.number}/links/",
        {"type": "problem_incident", "number": problem.number},
    )
    assert from_incident.status_code == 201, from_incident.content
    assert from_incident.json()["number"] == problem.number
    unlinked = client.delete(url(problem, f"links/problem_incident/{incident.number}/"))
    assert unlinked.status_code == 204
    assert [row["number"] for row in client.get(url(problem, "incidents/")).json()] == [other_incident.number]


def test_work_notes_and_the_timeline(agent, problem, incident, api_as):
    client = api_as(agent)
    note = client.post(url(problem, "comments/"), {"body": "Looking at the gateway.", "is_public": False})
    assert note.status_code == 201, note.content
    kinds = [entry["kind"] for entry in client.get(url(problem, "timeline/")).json()["results"]]
    assert TimelineEntry.Kind.LINK in kinds
    assert TimelineEntry.Kind.WORK_NOTE in kinds
    content_type = ContentType.objects.get_for_model(incident)
    assert TimelineEntry.objects.filter(
        content_type=content_type, object_id=incident.pk, kind="link"
    ).exists()


# The known error.


def test_the_known_error_is_published_from_the_problem(agent, problem_manager, known, api_as):
    client = api_as(problem_manager)
    made = client.post(url(known, "known-error/"), {"status": "agents"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["title"], body["status"], body["problem"]) == ("VPN drops", "agents", known.number)
    assert body["root_cause"] == "Idle timeout 60 s"
    assert (body["applied_count"], body["reopened_count"]) == (0, 0)

    again = client.post(url(known, "known-error/"), {"status": "portal"})
    assert again.status_code == 200
    assert again.json()["status"] == "portal"
    assert client.get(url(known)).json()["known_error"] == body["id"]


def test_publishing_before_the_error_is_known_is_a_409(problem_manager, problem, api_as):
    client = api_as(problem_manager)
    assert_error(client.post(url(problem, "known-error/"), {"status": "agents"}), 409, "not_known_yet")
    assert not KnownError.objects.exists()


def test_only_problem_managers_publish(agent, known, api_as):
    assert_error(api_as(agent).post(url(known, "known-error/"), {"status": "agents"}), 403)


def test_publishing_refuses_a_status_that_does_not_exist(problem_manager, known, api_as):
    body = assert_error(api_as(problem_manager).post(url(known, "known-error/"), {"status": "public"}), 400)
    assert "status" in body["fields"]


def test_publishing_with_a_stale_etag_is_a_412(agent, problem_manager, known, api_as):
    client = api_as(problem_manager)
    etag = client.get(url(known))["ETag"]
    api_as(agent).patch(url(known), {"title": "Renamed"})
    client = api_as(problem_manager)
    assert_error(client.post(url(known, "known-error/"), {"status": "agents"}, HTTP_IF_MATCH=etag), 412)


# Query counts.


def _seed(count, agent, service, group):
    for n in range(count):
        Problem.objects.create(
            number=number_allocate(prefix="PRB")[0],
            title=f"Recurring fault {n}",
            requester=agent,
            created_by=agent,
            assignee=agent if n % 2 else None,
            support_group=group,
            service=service,
            priority=1 + n % 5,
        )


@pytest.mark.parametrize("page_size", [1, 50])
def test_the_list_runs_a_constant_number_of_queries(
    page_size, agent, support_group, api_as, django_assert_max_num_queries
):
    _seed(60, agent, BusinessServiceFactory(name="Mail"), support_group)
    client = api_as(agent)
    client.get(PROBLEMS, {"page_size": 1})  # warm the permission and content-type caches

    with django_assert_max_num_queries(4):
        response = client.get(PROBLEMS, {"page_size": page_size, "status": "new"})

    assert len(response.json()["results"]) == page_size
    assert response.json()["count"] == 60


def test_one_problem_is_read_in_a_few_queries(agent, problem, api_as, django_assert_max_num_queries):
    client = api_as(agent)
    client.get(url(problem))
    with django_assert_max_num_queries(8):
        assert client.get(url(problem)).status_code == 200
