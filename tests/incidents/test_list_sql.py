"""The SQL behind the incident lists: filters on the record's own columns never make the query DISTINCT
(PostgreSQL would sort every matching row before paginating: issue 14)."""

import pytest

from incidents import services


@pytest.fixture
def records(db, requester):
    return [services.incident_create(actor=requester, title=f"Printer {i}") for i in range(3)]


@pytest.mark.parametrize(
    "query",
    ["status=new&status=in_progress", "priority=3&priority=4", "channel=portal&channel=email"],
)
def test_choice_filters_do_not_make_the_list_distinct(
    api_as, agent, records, django_assert_max_num_queries, query
):
    client = api_as(agent)
    with django_assert_max_num_queries(10) as captured:
        answer = client.get(f"/api/v1/incidents/?{query}")
    assert answer.status_code == 200, answer.content
    selects = [q["sql"] for q in captured.captured_queries if 'FROM "incidents_incident"' in q["sql"]]
    assert selects, "the list was not read"
    assert not any("DISTINCT" in sql for sql in selects)
