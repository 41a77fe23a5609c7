"""SLA in the API: the `sla` field of incident lists and details, the SLA filters, `…/{number}/sla/`."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from incidents import workflow as wf
from incidents.models import Incident
from servicedesk.sla.sweep import sla_sweep

from ..api.helpers import assert_error
from ..incidents.factories import BusinessServiceFactory
from ..incidents.helpers import drive_to
from .conftest import make_policy

INCIDENTS = "/api/v1/incidents/"
NOW = timezone.now().replace(microsecond=0)
CLOCK_FIELDS = {
    "metric", "state", "level", "policy", "priority", "target_seconds", "started_at", "due_at",
    "consumed_seconds", "remaining_seconds", "percent", "breached_at", "paused_reason", "cycle",
}  # fmt: skip


def filed(requester, service, *, ago: timedelta, title="Down"):
    with time_machine.travel(NOW - ago, tick=False):
        return services.incident_create(actor=requester, title=title, service=service)


def sla_url(record) -> str:
    return f"{INCIDENTS}{record.number}/sla/"


@pytest.fixture
def records(policy, requester, agent, service):
    """A breached record, an amber one, a fine one, swept at NOW."""
    made = {
        "ok": filed(requester, service, ago=timedelta(minutes=5)),
        "warning": filed(requester, service, ago=timedelta(minutes=40)),
        "breached": filed(requester, service, ago=timedelta(hours=2)),
    }
    with time_machine.travel(NOW, tick=False):
        sla_sweep()
    return made


def test_agents_see_each_records_clocks_in_the_list(records, agent, api_as):
    with time_machine.travel(NOW, tick=False):
        rows = {row["number"]: row for row in api_as(agent).get(INCIDENTS).json()["results"]}

    clocks = {clock["metric"]: clock for clock in rows[records["warning"].number]["sla"]}
    assert set(clocks) == {"response", "resolution"}
    assert set(clocks["response"]) == CLOCK_FIELDS
    response = clocks["response"]
    assert (response["state"], response["level"], response["policy"]) == ("running", "warning", "Standard")
    assert (response["target_seconds"], response["consumed_seconds"]) == (3600, 2400)
    assert (response["remaining_seconds"], response["percent"]) == (1200, 66.7)
    assert response["due_at"] == (NOW + timedelta(minutes=20)).isoformat().replace("+00:00", "Z")
    breached = {c["metric"]: c for c in rows[records["breached"].number]["sla"]}["response"]
    assert (breached["level"], breached["remaining_seconds"]) == ("breached", -3600)
    assert breached["breached_at"] is not None


def test_the_detail_carries_the_clocks_for_agents(records, agent, api_as):
    with time_machine.travel(NOW, tick=False):
        data = api_as(agent).get(f"{INCIDENTS}{records['ok'].number}/").json()

    assert [clock["metric"] for clock in data["sla"]] == ["response", "resolution"]
    assert {clock["level"] for clock in data["sla"]} == {"ok"}


def test_requesters_get_no_sla_data_on_their_own_records(records, requester, api_as):
    client = api_as(requester)

    listed = client.get(INCIDENTS).json()["results"]
    detail = client.get(f"{INCIDENTS}{records['ok'].number}/").json()

    assert listed
    assert all(row["sla"] == [] for row in listed)
    assert detail["sla"] == []


def test_sla_endpoint_answers_each_clock_with_its_ledger(policy, requester, agent, service, api_as):
    record = filed(requester, service, ago=timedelta(hours=3))
    with time_machine.travel(NOW - timedelta(hours=2, minutes=30), tick=False):
        record = drive_to(record, wf.IN_PROGRESS, agent=agent)
    with time_machine.travel(NOW - timedelta(hours=2), tick=False):
        services.incident_transition(record=record, actor=agent, to=wf.ON_HOLD, hold_reason="requester")

    with time_machine.travel(NOW, tick=False):
        response = api_as(agent).get(sla_url(record))

    assert response.status_code == 200
    clocks = {clock["metric"]: clock for clock in response.json()}
    resolution = clocks["resolution"]
    assert set(resolution) == CLOCK_FIELDS | {"ledger"}
    assert (resolution["state"], resolution["paused_reason"]) == ("paused", "on_hold:requester")
    assert [line["kind"] for line in resolution["ledger"]] == ["running", "paused"]
    running, paused = resolution["ledger"]
    assert (running["wall_seconds"], running["business_seconds"], running["reason"]) == (
        3600,
        3600,
        "started",
    )
    assert (paused["wall_seconds"], paused["ended_at"], paused["reason"]) == (7200, None, "on_hold:requester")
    assert paused["reason_label"] == "On hold: waiting for the requester"
    assert [line["kind"] for line in clocks["response"]["ledger"]] == ["running", "stopped"]
    assert clocks["response"]["ledger"][1]["data"]["state"] == "met"


def test_sla_endpoint_is_for_agents(records, requester, other_requester, api_as):
    mine = api_as(requester).get(sla_url(records["ok"]))
    assert_error(mine, 403)

    theirs = api_as(other_requester).get(sla_url(records["ok"]))
    assert theirs.status_code == 404


def test_sla_endpoint_of_an_unknown_record_is_404(db, agent, api_as):
    assert api_as(agent).get(f"{INCIDENTS}INC0999999/sla/").status_code == 404


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sla_breached": "true"}, {"breached"}),
        ({"sla_breached": "false"}, {"ok", "warning"}),
        ({"sla_breaching_within": "30"}, {"warning"}),
        ({"sla_breaching_within": "60"}, {"ok", "warning"}),
        ({"sla_breaching_within": "0"}, set()),
    ],
)
def test_sla_filters(records, agent, api_as, params, expected):
    with time_machine.travel(NOW, tick=False):
        found = {row["number"] for row in api_as(agent).get(INCIDENTS, params).json()["results"]}

    assert found == {records[name].number for name in expected}


@pytest.mark.parametrize("value", ["-1", "1.5", "soon", "99999999999"])
def test_a_bad_breaching_window_is_a_field_error(db, agent, api_as, value):
    response = api_as(agent).get(INCIDENTS, {"sla_breaching_within": value})

    assert_error(response, 400)
    assert "sla_breaching_within" in response.json()["fields"]


def test_the_list_reads_clocks_of_two_calendars_in_constant_queries(
    always, office, requester, agent, api_as, django_assert_max_num_queries
):
    make_policy(always, name="Round the clock", order=1, priorities=[1, 2, 3])
    make_policy(office, name="Office hours", order=2)
    service = BusinessServiceFactory(name="Trading")
    for index in range(30):
        services.incident_create(
            actor=agent, requester=requester, title=f"R{index}", service=service, impact=1 + index % 3
        )
    client = api_as(agent)
    client.get(INCIDENTS, {"page_size": 1})  # warm the permission and content-type caches
    counts = []
    # Both pages end before the list does (a page holding the end costs no count: servicedesk.pagination).
    for page_size in (3, 29):
        with django_assert_max_num_queries(9), CaptureQueriesContext(connection) as queries:
            response = client.get(INCIDENTS, {"page_size": page_size})
        counts.append(len(queries))
        rows = response.json()["results"]
        assert len(rows) == page_size
    assert counts[0] == counts[1]
    assert {clock["policy"] for row in rows for clock in row["sla"]} == {"Round the clock", "Office hours"}
    assert Incident.objects.count() == 30


def test_the_etag_moves_with_the_sla_clock_so_a_304_never_hides_a_breach(
    policy, requester, agent, service, api_as
):
    record = filed(requester, service, ago=timedelta(minutes=50))
    client = api_as(agent)
    detail = f"{INCIDENTS}{record.number}/"
    with time_machine.travel(NOW, tick=False):
        before = client.get(detail)
        assert client.get(detail, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 304

    with time_machine.travel(NOW + timedelta(minutes=15), tick=False):
        later = client.get(detail, HTTP_IF_NONE_MATCH=before["ETag"])
        # Nothing was written, but the response clock is now past its target: the copy is stale.
        assert later.status_code == 200
        assert later["ETag"] != before["ETag"]
        assert {c["metric"]: c["level"] for c in later.json()["sla"]}["response"] == "breached"
        # A write still matches on the version: time passing makes no write stale.
        response = client.patch(detail, {"urgency": 1}, format="json", HTTP_IF_MATCH=before["ETag"])
        assert response.status_code == 200, response.content


def test_a_paused_clock_keeps_the_etag_still(policy, requester, agent, service, api_as):
    record = filed(requester, service, ago=timedelta(minutes=20))
    with time_machine.travel(NOW - timedelta(minutes=10), tick=False):
        record = drive_to(record, wf.IN_PROGRESS, agent=agent)
        services.incident_transition(record=record, actor=agent, to=wf.ON_HOLD, hold_reason="requester")
    client = api_as(agent)
    detail = f"{INCIDENTS}{record.number}/"
    with time_machine.travel(NOW, tick=False):
        etag = client.get(detail)["ETag"]
    with time_machine.travel(NOW + timedelta(hours=5), tick=False):
        assert client.get(detail, HTTP_IF_NONE_MATCH=etag).status_code == 304
