"""The reports API (issue 18): `/api/v1/reports/` lists the measures the caller may read, and
`/api/v1/reports/{measure}/` answers one as a series with the report page's filters."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from servicedesk.reporting.facts import facts_refresh_due
from servicedesk.reporting.measures import measures
from servicedesk.services.tokens import api_token_create

from .conftest import file_records

LIST = "/api/v1/reports/"


def test_the_list_names_every_measure_to_an_administrator(api_as, administrator, two_groups):
    response = api_as(administrator).get(LIST)

    assert response.status_code == 200
    assert [item["key"] for item in response.json()] == [found.key for found in measures()]
    volumes = next(item for item in response.json() if item["key"] == "volumes")
    assert volumes["snapshot"] is False
    assert "group" in volumes["filters"]
    assert volumes["breakdowns"][0] == "period"


def test_an_agent_lists_only_the_desk_measures(api_as, agent, two_groups):
    keys = {item["key"] for item in api_as(agent).get(LIST).json()}

    assert keys == {found.key for found in measures() if found.audience == "desk"}


def test_one_measure_answers_its_series_with_the_filters(api_as, administrator, two_groups, network):
    client = api_as(administrator)

    response = client.get(f"{LIST}volumes/", {"period": "last_7_days", "by": "group"})
    narrowed = client.get(f"{LIST}volumes/", {"period": "last_7_days", "by": "group", "group": network.pk})

    assert response.status_code == 200
    data = response.json()
    assert (data["measure"]["key"], data["by"], data["bucket"], data["chart"]) == (
        "volumes",
        "group",
        "day",
        "bar",
    )
    assert [(row["label"], row["values"]) for row in data["rows"]] == [
        ("Network", {"opened": 2, "resolved": 0}),
        ("Service Desk", {"opened": 3, "resolved": 0}),
    ]
    assert data["totals"] == {"opened": 5, "resolved": 0}
    assert data["rows"][0]["url"].startswith("http://testserver/desk/queue/?")
    assert [(row["label"], row["values"]["opened"]) for row in narrowed.json()["rows"]] == [("Network", 2)]


def test_a_period_series_has_a_row_per_day(api_as, group_manager, two_groups):
    response = api_as(group_manager).get(f"{LIST}volumes/", {"period": "last_7_days"})

    rows = response.json()["rows"]
    assert len(rows) == 7
    assert sum(row["values"]["opened"] for row in rows) == 3  # her group's three, not the Network's two


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"group": "abc"}, "group"),
        ({"period": "forever"}, "period"),
        ({"by": "shoe_size"}, "by"),
        ({"period": "custom", "start": "2026-02-01", "end": "2026-01-01"}, "end"),
        # what the page's form reads as "not chosen" the API refuses: no empty or repeated single value
        ({"period": ""}, "period"),
        ({"start": ["2026-01-01", "2026-01-02"]}, "start"),
    ],
)
def test_a_bad_filter_answers_400_with_the_field_error(api_as, administrator, two_groups, query, field):
    response = api_as(administrator).get(f"{LIST}volumes/", query)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["fields"]) == [field]


def test_an_unknown_measure_is_not_found(api_as, administrator, two_groups):
    response = api_as(administrator).get(f"{LIST}no_such_measure/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_agents_series_counts_his_own_work(api_as, agent, two_groups):
    response = api_as(agent).get(f"{LIST}volumes/", {"period": "last_7_days", "by": "agent"})

    assert [(row["key"], row["values"]["opened"]) for row in response.json()["rows"]] == [(agent.pk, 2)]


def test_a_requester_is_refused(api_as, requester, two_groups):
    client = api_as(requester)

    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}volumes/").status_code == 403


def test_signed_out_callers_must_authenticate(api_client, two_groups):
    assert api_client.get(LIST).status_code == 401
    assert api_client.get(f"{LIST}volumes/").status_code == 401


def test_a_personal_token_reads_the_series(
    api_client, group_manager, administrator, requester, agent, two_groups
):
    _token, key = api_token_create(user=group_manager, actor=group_manager, name="BI tool")

    response = api_client.get(
        f"{LIST}volumes/", {"period": "last_7_days"}, HTTP_AUTHORIZATION=f"Bearer {key}"
    )

    assert response.status_code == 200
    assert response.json()["totals"]["opened"] == 3


def test_the_series_costs_the_same_queries_however_many_records(
    api_as, administrator, requester, agent, support_group, two_groups, django_assert_max_num_queries
):
    client = api_as(administrator)

    def cost():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{LIST}mttr/", {"by": "agent"}).status_code == 200
        return len(queries)

    before = cost()
    file_records(actor=administrator, requester=requester, group=support_group, assignees=[agent] * 8)
    facts_refresh_due()

    with django_assert_max_num_queries(before):
        assert client.get(f"{LIST}mttr/", {"by": "agent"}).status_code == 200
    assert cost() == before


def test_the_schema_documents_both_endpoints_without_warnings(tmp_path):
    schema = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema), stdout=StringIO())

    text = schema.read_text()
    assert "/api/v1/reports/:" in text
    assert "/api/v1/reports/{key}/:" in text
    assert "summary: One measure as a series" in text


def test_a_caller_may_ask_for_the_periods_in_another_time_zone(api_as, administrator, two_groups):
    client = api_as(administrator)

    shanghai = client.get("/api/v1/reports/volumes/", {"period": "last_7_days", "time_zone": "Asia/Shanghai"})
    unknown = client.get("/api/v1/reports/volumes/", {"time_zone": "Mars/Olympus"})

    assert shanghai.status_code == 200
    assert shanghai.json()["time_zone"] == "Asia/Shanghai"
    assert shanghai.json()["start"].endswith("+08:00")
    assert unknown.status_code == 400
    assert "time_zone" in str(unknown.json())
