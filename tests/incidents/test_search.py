"""Word search behind the queue page, the portal and the API's `q` (servicedesk.records.search): best match
first, Chinese words inside longer titles, only what the user may see, a constant number of statements
whatever the page size, and the number search as before."""

import pytest
from django.db import connection
from django.urls import reverse

from incidents import services

from .factories import IncidentFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")

QUEUE = reverse("incidents:queue")
INCIDENTS = "/api/v1/incidents/"


@pytest.fixture
def found_by_words(db, requester, support_group):
    """A title match filed before a description match and a Chinese title; one record of someone else."""
    make = lambda **fields: IncidentFactory(requester=requester, support_group=support_group, **fields)  # noqa: E731
    return {
        "title": make(title="Printer jams on floor 3", description="Paper stuck."),
        "description": make(title="Mail is slow", description="The printer queue is also stuck."),
        "chinese": make(title="公司网络故障，无法访问邮件", description="从早上开始。"),
        "other": make(title="Coffee machine", description="Empty."),
    }


def numbers(rows) -> list[str]:
    return [row["number"] if isinstance(row, dict) else row.number for row in rows]


def test_the_queue_lists_title_matches_first(client, agent, found_by_words):
    client.force_login(agent)
    response = client.get(QUEUE, {"view": "all", "q": "printers"})
    assert response.status_code == 200
    assert numbers(response.context["page"]) == [
        found_by_words["title"].number,
        found_by_words["description"].number,
    ]


def test_the_queue_finds_a_chinese_word_inside_a_title(client, agent, found_by_words):
    client.force_login(agent)
    response = client.get(QUEUE, {"view": "all", "q": "网络"})
    assert numbers(response.context["page"]) == [found_by_words["chinese"].number]


def test_the_queue_still_finds_a_number(client, agent, found_by_words):
    client.force_login(agent)
    number = found_by_words["other"].number
    response = client.get(QUEUE, {"view": "all", "q": number})
    assert numbers(response.context["page"]) == [number]


def test_the_api_finds_words_and_chinese(api_as, agent, found_by_words):
    client = api_as(agent)
    answer = client.get(INCIDENTS, {"q": "printer -jams"})
    assert numbers(answer.json()["results"]) == [found_by_words["description"].number]
    answer = client.get(INCIDENTS, {"q": "邮件"})
    assert numbers(answer.json()["results"]) == [found_by_words["chinese"].number]
    assert client.get(INCIDENTS, {"q": "photocopier"}).json()["results"] == []


def test_a_public_comment_is_found_a_work_note_is_not(api_as, agent, found_by_words):
    record = found_by_words["other"]
    services.incident_comment(record=record, actor=agent, body="Descaled the boiler.")
    services.incident_comment(record=record, actor=agent, body="Vendor invoice overdue.", is_public=False)
    client = api_as(agent)
    assert numbers(client.get(INCIDENTS, {"q": "descaling"}).json()["results"]) == [record.number]
    assert client.get(INCIDENTS, {"q": "invoice"}).json()["results"] == []


def test_search_never_shows_what_the_requester_may_not_see(
    api_as, client, requester, other_requester, found_by_words
):
    theirs = IncidentFactory(requester=other_requester, title="Printer smoking")
    answer = api_as(requester).get(INCIDENTS, {"q": "printer"})
    assert theirs.number not in numbers(answer.json()["results"])
    assert found_by_words["title"].number in numbers(answer.json()["results"])
    answer = api_as(other_requester).get(INCIDENTS, {"q": "printer"})
    assert numbers(answer.json()["results"]) == [theirs.number]
    client.force_login(requester)
    page = client.get(reverse("incidents:portal"), {"tab": "all", "q": "printer"})
    assert theirs.number not in numbers(page.context["page"])


def test_the_portal_searches_my_records(client, requester, found_by_words):
    client.force_login(requester)
    page = client.get(reverse("incidents:portal"), {"tab": "all", "q": "网络故障"})
    assert page.status_code == 200
    assert numbers(page.context["page"]) == [found_by_words["chinese"].number]
    assert {key: count for key, _label, count in page.context["tabs"]}["all"] == 1
    assert 'name="q" value="网络故障"' in page.content.decode()
    empty = client.get(reverse("incidents:portal"), {"tab": "all", "q": "photocopier"})
    assert "No record matches these words." in empty.content.decode()


def _many(count, requester, support_group):
    for n in range(count):
        IncidentFactory(requester=requester, support_group=support_group, title=f"Printer {n} is offline")


@pytest.mark.parametrize("per_page", [25, 100])
def test_the_queue_search_runs_a_constant_number_of_queries(
    client, agent, requester, support_group, per_page, django_assert_max_num_queries
):
    _many(per_page, requester, support_group)
    client.force_login(agent)
    client.get(QUEUE, {"view": "all"})  # warm the session and the content types
    with django_assert_max_num_queries(15):
        response = client.get(QUEUE, {"view": "all", "q": "printer", "per_page": per_page})
    assert len(response.context["page"]) == per_page


@pytest.mark.parametrize("page_size", [1, 100])
def test_the_api_search_runs_a_constant_number_of_queries(
    api_as, agent, requester, support_group, page_size, django_assert_max_num_queries
):
    _many(100, requester, support_group)
    client = api_as(agent)
    client.get(INCIDENTS, {"page_size": 1})  # warm the permission and content-type caches
    with django_assert_max_num_queries(6):
        answer = client.get(INCIDENTS, {"q": "printer offline", "page_size": page_size})
    assert len(answer.json()["results"]) == page_size
