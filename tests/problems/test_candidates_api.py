"""`/api/v1/problem-candidates/` and the candidates page: problem managers only (404 for anyone else),
accept and dismiss with their 409s, detection on demand, constant query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from problems.models import Problem, ProblemCandidate
from problems.selectors import problem_of_incident
from problems.services.candidates import candidates_detect

from ..cmdb.factories import CIFactory
from ..incidents.factories import BusinessServiceFactory, IncidentFactory

URL = "/api/v1/problem-candidates/"


def _recurring(count=3, cis=(), **fields):
    incidents = [IncidentFactory(**fields) for _ in range(count)]
    for incident in incidents:
        incident.affected_cis.set(cis)
    Incident.objects.filter(pk__in=[i.pk for i in incidents]).update(
        created_at=timezone.now() - timedelta(days=1)
    )
    return incidents


@pytest.fixture
def vpn(db):
    return BusinessServiceFactory(name="VPN")


@pytest.fixture
def candidate(vpn):
    _recurring(service=vpn)
    candidates_detect()
    return ProblemCandidate.objects.get()


# The API


def test_a_manager_lists_and_reads_candidates_with_their_incidents(api_as, problem_manager, candidate):
    client = api_as(problem_manager)

    listed = client.get(URL)
    one = client.get(f"{URL}{candidate.pk}/")

    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [candidate.pk]
    assert one.status_code == 200
    body = one.json()
    assert (body["basis"], body["label"], body["incident_count"], body["status"]) == (
        "service",
        "VPN",
        3,
        "proposed",
    )
    assert len(body["incidents"]) == 3
    assert body["incidents"][0]["number"].startswith("INC")


def test_the_list_filters_by_status_and_refuses_an_unknown_one(api_as, problem_manager, candidate):
    client = api_as(problem_manager)

    assert client.get(URL, {"status": "dismissed"}).json()["results"] == []
    assert len(client.get(URL, {"status": "proposed"}).json()["results"]) == 1
    refused = client.get(URL, {"status": "maybe"})
    assert refused.status_code == 400
    assert "status" in refused.json()["fields"]


def test_the_list_takes_a_constant_number_of_queries(
    api_as, problem_manager, candidate, db, django_assert_max_num_queries
):
    client = api_as(problem_manager)
    for n in range(4):
        _recurring(cis=[], category=None, service=BusinessServiceFactory(name=f"Mail {n}"))
    candidates_detect()
    assert ProblemCandidate.objects.count() == 5

    with django_assert_max_num_queries(8):
        response = client.get(URL)
    assert len(response.json()["results"]) == 5


@pytest.mark.parametrize("role", ["agent", "requester", "group_manager"])
def test_anyone_but_a_problem_manager_gets_404_everywhere(api_as, candidate, role, request):
    client = api_as(request.getfixturevalue(role))

    assert client.get(URL).status_code == 404
    assert client.get(f"{URL}{candidate.pk}/").status_code == 404
    assert client.post(f"{URL}{candidate.pk}/accept/", {}).status_code == 404
    assert client.post(f"{URL}{candidate.pk}/dismiss/").status_code == 404
    assert client.post(f"{URL}detect").status_code == 404
    candidate.refresh_from_db()
    assert candidate.status == "proposed"


def test_anonymous_gets_401(api_client, candidate):
    assert api_client.get(URL).status_code in (401, 403)


def test_an_unknown_candidate_is_404(api_as, problem_manager, db):
    assert api_as(problem_manager).get(f"{URL}999999/").status_code == 404


def test_accepting_raises_the_problem_and_a_second_decision_is_409(api_as, problem_manager, candidate):
    client = api_as(problem_manager)

    response = client.post(f"{URL}{candidate.pk}/accept/", {"title": "VPN tunnels drop"})

    assert response.status_code == 201, response.json()
    body = response.json()
    problem = Problem.objects.get(number=body["problem"])
    assert (body["status"], problem.title) == ("accepted", "VPN tunnels drop")
    assert all(problem_of_incident(incident) == problem for incident in candidate.incidents.all())
    again = client.post(f"{URL}{candidate.pk}/accept/", {})
    assert again.status_code == 409
    assert again.json()["code"] == "candidate_decided"
    assert client.post(f"{URL}{candidate.pk}/dismiss/").status_code == 409


def test_accepting_refuses_a_bad_title_with_a_field_error(api_as, problem_manager, candidate):
    response = api_as(problem_manager).post(f"{URL}{candidate.pk}/accept/", {"title": "x" * 201})

    assert response.status_code == 400
    assert "title" in response.json()["fields"]
    candidate.refresh_from_db()
    assert candidate.status == "proposed"


def test_dismissing(api_as, problem_manager, candidate):
    response = api_as(problem_manager).post(f"{URL}{candidate.pk}/dismiss/")

    assert response.status_code == 200
    assert response.json()["status"] == "dismissed"
    assert not Problem.objects.exists()


def test_detect_now_says_what_it_did(api_as, problem_manager, vpn):
    client = api_as(problem_manager)
    _recurring(service=vpn, cis=[])
    _recurring(cis=[CIFactory()])

    first = client.post(f"{URL}detect")
    second = client.post(f"{URL}detect/")

    assert first.status_code == 200
    assert first.json() == {"proposed": 2, "updated": 0, "withdrawn": 0}
    assert second.json() == {"proposed": 0, "updated": 0, "withdrawn": 0}


def test_the_schema_documents_the_endpoints(api_client, db):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()

    paths = schema["paths"]
    assert "/api/v1/problem-candidates/{id}/accept/" in paths
    assert "/api/v1/problem-candidates/detect/" in paths
    assert "404" in paths["/api/v1/problem-candidates/"]["get"]["responses"]
    assert "409" in paths["/api/v1/problem-candidates/{id}/accept/"]["post"]["responses"]


# The page

PAGE = "/problems/candidates/"


def test_the_page_lists_the_proposed_with_their_incidents(
    client, problem_manager, candidate, django_assert_max_num_queries
):
    client.force_login(problem_manager)

    with django_assert_max_num_queries(25):
        response = client.get(PAGE)

    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="candidate"' in content
    for incident in candidate.incidents.all():
        assert incident.number in content


@pytest.mark.parametrize("role", ["agent", "requester"])
def test_the_page_is_404_for_anyone_else(client, candidate, role, request):
    client.force_login(request.getfixturevalue(role))

    assert client.get(PAGE).status_code == 404
    assert client.post(f"{PAGE}{candidate.pk}/accept/").status_code == 404
    assert client.post(f"{PAGE}{candidate.pk}/dismiss/").status_code == 404
    assert client.post(f"{PAGE}detect/").status_code == 404


def test_the_page_asks_to_sign_in(client, db):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_accepting_on_the_page_opens_the_problem(client, problem_manager, candidate):
    client.force_login(problem_manager)

    response = client.post(f"{PAGE}{candidate.pk}/accept/", {"title": "VPN tunnels drop"})

    problem = Problem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/records/{problem.number}/"
    again = client.post(f"{PAGE}{candidate.pk}/accept/", follow=True)
    assert "already" in again.content.decode()
    assert Problem.objects.count() == 1


def test_dismissing_and_detecting_on_the_page(client, problem_manager, candidate):
    client.force_login(problem_manager)

    dismissed = client.post(f"{PAGE}{candidate.pk}/dismiss/", follow=True)
    detected = client.post(f"{PAGE}detect/", follow=True)

    candidate.refresh_from_db()
    assert candidate.status == "dismissed"
    assert 'data-testid="no-candidates"' in dismissed.content.decode()
    assert "0 proposed" in detected.content.decode()


def test_the_page_only_answers_post_for_actions(client, problem_manager, candidate):
    client.force_login(problem_manager)
    assert client.get(f"{PAGE}detect/").status_code == 405
