"""The SQL of the queue page (each tab), the queue API and the portal list is bounded whatever the page
size and the list's length (issue 14): one record or a hundred and one give the same bound, and a long
list is counted only up to ITSM_LIST_COUNT_CAP ("N+")."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from servicedesk.services.tokens import api_token_create

from .factories import IncidentFactory

QUEUE = reverse("incidents:queue")
INCIDENTS = "/api/v1/incidents/"
TABS = ["mine", "groups", "open", "breaching", "all"]
# Session, user, permissions (one query), agents and groups listed once for both forms (a chosen one
# taken from them), the page, its capped count, saved views, and the services, categories and request
# types menus, the tabs' counts (one query) and the rows' "requester replied" marks (one). Records with
# running SLA clocks add their clocks and their calendar (two or three). Issue 19: the bell's unread count.
QUEUE_PAGE_SQL = 15
# Token and user, permissions, the page, its capped count (plus SLA clocks and calendar when running).
QUEUE_API_SQL = 6
# The portal home (issue 19): the records, what waits for the requester (records, approvals), the outages,
# what they follow and the bell's unread count.
PORTAL_SQL = 14


def _desk(count, *, requester, agent, group):
    soon = timezone.now() + timedelta(minutes=30)
    for index in range(count):
        IncidentFactory(
            requester=requester,
            support_group=group,
            assignee=agent if index % 2 else None,
            status="assigned" if index % 2 else "new",
            sla_due_at=soon + timedelta(seconds=index),
        )


@pytest.fixture(params=[1, 101], ids=["one", "many"])
def desk(request, requester, agent, support_group):
    count = request.param
    if count == 1:
        # One record in each tab that shows records.
        _desk(2, requester=requester, agent=agent, group=support_group)
    else:
        _desk(count, requester=requester, agent=agent, group=support_group)
    return count


@pytest.mark.parametrize("tab", TABS)
def test_each_queue_tab_runs_a_bounded_number_of_queries(
    client, agent, desk, tab, django_assert_max_num_queries
):
    client.force_login(agent)
    client.get(QUEUE, {"view": tab})  # content types and the session, as in a running server
    with django_assert_max_num_queries(QUEUE_PAGE_SQL):
        response = client.get(QUEUE, {"view": tab, "per_page": "100"})
    assert response.status_code == 200
    assert len(response.context["page"]) >= 1


def test_a_filtered_queue_runs_the_same_number(
    client, agent, desk, support_group, django_assert_max_num_queries
):
    client.force_login(agent)
    client.get(QUEUE)
    with django_assert_max_num_queries(QUEUE_PAGE_SQL):
        response = client.get(
            QUEUE, {"view": "open", "support_group": support_group.pk, "assignee": agent.pk}
        )
    assert response.status_code == 200


@pytest.mark.parametrize("page_size", [1, 100])
def test_the_queue_api_runs_a_bounded_number_of_queries(
    agent, desk, support_group, page_size, django_assert_max_num_queries
):
    _token, key = api_token_create(user=agent, actor=agent, name="bench")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    query = {"support_group": support_group.pk, "status": ["new", "assigned"], "page_size": page_size}
    client.get(INCIDENTS, query)
    with django_assert_max_num_queries(QUEUE_API_SQL):
        response = client.get(INCIDENTS, query)
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == min(page_size, desk + (1 if desk == 1 else 0))


def test_the_portal_list_runs_a_bounded_number_of_queries(
    client, requester, desk, django_assert_max_num_queries
):
    client.force_login(requester)
    client.get("/portal/")
    with django_assert_max_num_queries(PORTAL_SQL):
        response = client.get("/portal/?tab=all")
    assert response.status_code == 200


# The capped count


@pytest.fixture
def five(requester, agent, support_group):
    _desk(5, requester=requester, agent=agent, group=support_group)


def test_the_queue_counts_past_the_page_up_to_the_cap(client, agent, requester, support_group, settings):
    settings.ITSM_LIST_COUNT_CAP = 30
    _desk(40, requester=requester, agent=agent, group=support_group)
    client.force_login(agent)
    response = client.get(QUEUE, {"view": "all", "per_page": "25"})
    body = response.content.decode()
    assert "30+ records" in body
    assert "Page 1<" in body
    assert "Page 1 of" not in body
    second = client.get(QUEUE, {"view": "all", "per_page": "25", "page": "2"})
    assert len(second.context["page"]) == 15


def test_the_queue_count_is_exact_below_the_cap(client, agent, five, settings):
    settings.ITSM_LIST_COUNT_CAP = 10
    client.force_login(agent)
    body = client.get(QUEUE, {"view": "all", "per_page": "25"}).content.decode()
    assert "5 records" in body
    assert "+ records" not in body


def test_the_api_count_is_capped(api_as, agent, five, settings):
    settings.ITSM_LIST_COUNT_CAP = 3
    answer = api_as(agent).get(INCIDENTS, {"page_size": 2}).json()
    assert (answer["count"], answer["count_is_capped"]) == (3, True)
    assert len(answer["results"]) == 2


def test_the_api_count_is_exact_below_the_cap(api_as, agent, five, settings):
    settings.ITSM_LIST_COUNT_CAP = 10
    answer = api_as(agent).get(INCIDENTS, {"page_size": 2}).json()
    assert (answer["count"], answer["count_is_capped"]) == (5, False)
    whole = api_as(agent).get(INCIDENTS, {"page_size": 50}).json()
    assert (whole["count"], whole["count_is_capped"]) == (5, False)


def test_the_schema_documents_the_count(api_as, agent):
    schema = api_as(agent).get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "count_is_capped" in text
    assert "ITSM_LIST_COUNT_CAP" in text
