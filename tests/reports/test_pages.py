"""The report pages and dashboards (issue 18) by role: who sees which figures, bad filters, the queries a
page costs, and the drill-down into the queue."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from servicedesk.reporting.facts import facts_refresh_due
from servicedesk.reporting.measures import measures

from .conftest import file_records

PAGES = ["/reports/dashboards/manager/", "/reports/dashboards/agent/", "/reports/measures/"]
# Every page's queries, whatever the number of records: a bound that a query per record would break.
MAX_QUERIES = 30


def _table(response) -> dict[str, dict[str, str]]:
    """The report table as {row label: {column key: the cell's text}}."""
    body = response.content.decode()
    table = body[body.index('data-testid="report-table"') :]
    table = table[: table.index("</table>")]
    rows = {}
    for row in re.findall(r'<tr data-testid="report-row">(.*?)</tr>', table, re.S):
        label = re.search(r'<th scope="row">(.*?)</th>', row, re.S).group(1).strip()
        cells = re.findall(r'<td class="text-end" data-column="(\w+)">(.*?)</td>', row, re.S)
        rows[label] = {key: re.sub(r"<[^>]+>", "", text).strip() for key, text in cells}
    return rows


def _volumes_by_group(client):
    return client.get("/reports/measures/volumes/", {"period": "last_7_days", "by": "group"})


def test_an_administrator_counts_every_group(client, administrator, two_groups):
    client.force_login(administrator)

    response = _volumes_by_group(client)

    assert response.status_code == 200
    assert _table(response) == {
        "Network": {"opened": "2", "resolved": "0"},
        "Service Desk": {"opened": "3", "resolved": "0"},
    }
    assert response.context["result"].totals == {"opened": 5, "resolved": 0}


def test_a_group_manager_counts_her_groups_and_not_the_others(client, group_manager, two_groups):
    client.force_login(group_manager)

    response = _volumes_by_group(client)
    board = client.get("/reports/dashboards/manager/")

    assert _table(response) == {"Service Desk": {"opened": "3", "resolved": "0"}}
    tiles = {tile.key: tile.value for tile in board.context["tiles"]}
    # Three open in Service Desk (the Network's two are not hers), all three filed in the last 30 days.
    assert (tiles["backlog"], tiles["trend"]) == (3, 3)
    assert tiles["workload"] == 1  # one agent with open work: `agent`, the third record is unassigned


def test_an_agent_counts_his_own_work_and_has_no_manager_dashboard(client, agent, two_groups):
    client.force_login(agent)

    response = _volumes_by_group(client)
    board = client.get("/reports/dashboards/agent/")

    assert _table(response) == {"Service Desk": {"opened": "2", "resolved": "0"}}
    assert {tile.key: tile.value for tile in board.context["tiles"]}["backlog"] == 2
    assert client.get("/reports/dashboards/manager/").status_code == 404
    assert client.get("/reports/dashboards/services/").status_code == 404
    assert client.get("/reports/").url == "/reports/dashboards/agent/"


def test_a_requester_finds_no_report_page(client, requester, two_groups):
    client.force_login(requester)
    addresses = [*PAGES, "/reports/", "/reports/dashboards/services/"]
    addresses += [f"/reports/measures/{found.key}/" for found in measures()]

    answers = {url: client.get(url).status_code for url in addresses}

    assert answers == dict.fromkeys(addresses, 404)


def test_signed_out_readers_are_sent_to_sign_in(client, two_groups):
    response = client.get("/reports/measures/volumes/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"group": "abc"}, "group", "Select a valid choice. abc is not one of the available choices."),
        ({"group": "999999"}, "group", "Select a valid choice. 999999 is not one of the available choices."),
        (
            {"period": "forever"},
            "period",
            "Select a valid choice. forever is not one of the available choices.",
        ),
        ({"period": "custom", "start": "yesterday", "end": "2026-01-01"}, "start", "Enter a valid date."),
        (
            {"period": "custom", "start": "2026-02-01", "end": "2026-01-01"},
            "end",
            "The end comes before the start.",
        ),
        (
            {"period": "custom", "start": "2020-01-01", "end": "2026-01-01"},
            "end",
            "At most three years at a time.",
        ),
        ({"by": "shoe_size"}, "by", "Select a valid choice. shoe_size is not one of the available choices."),
    ],
)
def test_a_bad_filter_answers_400_with_the_field_error(
    client, administrator, two_groups, query, field, message
):
    client.force_login(administrator)

    response = client.get("/reports/measures/volumes/", query)

    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assert response.context["result"] is None
    assert 'data-testid="report-table"' not in response.content.decode()


@pytest.mark.parametrize("username", ["administrator", "manager", "agent"])
def test_every_page_costs_the_same_few_queries_however_many_records(
    client, django_user_model, administrator, requester, agent, support_group, two_groups, username
):
    user = django_user_model.objects.get(username=username)
    client.force_login(user)
    addresses = [*PAGES, *(f"/reports/measures/{found.key}/" for found in measures())]
    addresses = [url for url in addresses if client.get(url).status_code == 200]

    def cost():
        counts = {}
        for url in addresses:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts[url] = len(queries)
        return counts

    before = cost()
    file_records(actor=administrator, requester=requester, group=support_group, assignees=[agent, None] * 5)
    facts_refresh_due()
    after = cost()

    assert "/reports/measures/" in addresses
    assert max(after.values()) <= MAX_QUERIES
    assert after == before


def test_the_dashboard_is_bounded_in_queries(
    client, group_manager, two_groups, django_assert_max_num_queries
):
    client.force_login(group_manager)
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get("/reports/dashboards/manager/").status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get("/reports/measures/mttr/", {"by": "agent"}).status_code == 200


def _queue_numbers(client, url) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    return set(re.findall(r"INC\d{7}", response.content.decode()))


def test_a_row_drills_into_the_queue_with_the_same_filter(client, administrator, two_groups):
    client.force_login(administrator)
    response = _volumes_by_group(client)
    rows = {row.label: row for row in response.context["result"].rows}

    network = urlsplit(rows["Network"].url)

    assert network.path == "/desk/queue/"
    assert parse_qs(network.query)["support_group"] == [str(two_groups["theirs"][0].support_group_id)]
    assert _queue_numbers(client, rows["Network"].url) == {r.number for r in two_groups["theirs"]}
    assert _queue_numbers(client, rows["Service Desk"].url) == {r.number for r in two_groups["ours"]}
    assert f'href="{rows["Network"].url.replace("&", "&amp;")}"' in response.content.decode()


def test_an_agents_drill_down_lists_his_own_records_only(client, agent, two_groups):
    client.force_login(agent)
    response = _volumes_by_group(client)
    (row,) = response.context["result"].rows

    assert parse_qs(urlsplit(row.url).query)["assignee"] == [str(agent.pk)]
    assert _queue_numbers(client, row.url) == {r.number for r in two_groups["mine"]}


def test_a_managers_tiles_drill_into_her_groups_records(client, group_manager, two_groups):
    client.force_login(group_manager)
    board = client.get("/reports/dashboards/manager/")
    tiles = {tile.key: tile for tile in board.context["tiles"]}

    assert _queue_numbers(client, tiles["backlog"].url) == {r.number for r in two_groups["ours"]}
    assert _queue_numbers(client, tiles["trend"].url) == {r.number for r in two_groups["ours"]}


def test_a_managers_report_drills_into_her_groups_records_when_her_own_work_lies_within_them(
    client, group_manager, two_groups
):
    client.force_login(group_manager)
    response = client.get("/reports/measures/volumes/", {"period": "last_7_days"})

    assert response.context["result"].totals["opened"] == 3
    assert _queue_numbers(client, response.context["result"].url) == {r.number for r in two_groups["ours"]}


def test_the_dashboard_refresh_answers_its_tiles_with_their_charts_and_tables(
    client, group_manager, two_groups
):
    client.force_login(group_manager)

    response = client.get(
        "/reports/dashboards/manager/", headers={"HX-Request": "true", "HX-Target": "dashboard-tiles"}
    )
    body = response.content.decode()

    assert response.status_code == 200
    assert "<html" not in body
    assert 'hx-trigger="every 60s"' in body
    assert 'data-chart="chart-trend"' in body
    assert '<script id="chart-trend" type="application/json">' in body
    assert 'data-testid="tile-table"' in body


def test_the_report_page_loads_its_chart_script_and_keeps_to_the_csp(client, administrator, two_groups):
    client.force_login(administrator)

    response = client.get("/reports/measures/volumes/")
    body = response.content.decode()

    assert '<script src="/static/vendor/echarts-6.1.0/echarts.min.js" defer></script>' in body
    assert '<script src="/static/js/charts.js" defer></script>' in body
    assert "style=" not in body  # the CSP's style-src forbids style attributes
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response.context["chart"]["plot"] == ["opened", "resolved"]
