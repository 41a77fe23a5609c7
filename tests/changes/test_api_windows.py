"""The API of freezes, maintenance windows, the schedule and a change's conflicts: who may read, who may
write, what is validated."""

from datetime import UTC, datetime, timedelta

import pytest

from changes import workflow as wf
from changes.models import BlackoutWindow, Change, MaintenanceWindow
from changes.services import change_create
from servicedesk.models import AuditEvent

from ..api.helpers import assert_error
from ..cmdb.factories import CIFactory

pytestmark = pytest.mark.django_db

START = datetime(2027, 12, 20, tzinfo=UTC)
FREEZE = {"name": "Year end", "reason": "Closing the books", "starts_at": START.isoformat(),
          "ends_at": (START + timedelta(days=14)).isoformat()}  # fmt: skip


def window_body(service, **extra):
    return {"service": service.pk, "name": "Sunday early", "weekdays": [6], "start_time": "02:00",
            "duration_minutes": 240, "time_zone": "Europe/London", **extra}  # fmt: skip


def test_a_change_manager_keeps_the_freezes(api_as, change_manager, service):
    client = api_as(change_manager)
    created = client.post("/api/v1/blackout-windows/", {**FREEZE, "services": [service.pk]}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["services"]) == ("Year end", [{"id": service.pk, "name": "Payroll"}])
    path = f"/api/v1/blackout-windows/{body['id']}/"

    changed = client.patch(path, {"services": [], "reason": "Audit"}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["services"], changed.json()["reason"]) == ([], "Audit")
    assert [row["id"] for row in client.get("/api/v1/blackout-windows/").json()["results"]] == [body["id"]]
    assert client.delete(path).status_code == 204
    assert not BlackoutWindow.objects.exists()
    actions = set(
        AuditEvent.objects.filter(action__startswith="change.blackout").values_list("action", flat=True)
    )
    assert actions == {"change.blackout_created", "change.blackout_updated", "change.blackout_deleted"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**FREEZE, "ends_at": START.isoformat()}, "ends_at"),
        ({**FREEZE, "name": " "}, "name"),
        ({**FREEZE, "starts_at": "tomorrow"}, "starts_at"),
    ],
)
def test_a_bad_freeze_is_refused_with_its_field(api_as, change_manager, body, field):
    response = api_as(change_manager).post("/api/v1/blackout-windows/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not BlackoutWindow.objects.exists()


def test_a_freeze_names_only_business_services(api_as, change_manager, server):
    response = api_as(change_manager).post(
        "/api/v1/blackout-windows/", {**FREEZE, "services": [server.pk]}, format="json"
    )
    assert response.status_code == 400
    assert "services" in response.json()["fields"]


def test_a_change_manager_keeps_the_maintenance_windows(api_as, change_manager, service):
    client = api_as(change_manager)
    created = client.post("/api/v1/maintenance-windows/", window_body(service), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["weekdays"] == [6]
    path = f"/api/v1/maintenance-windows/{created.json()['id']}/"
    changed = client.patch(path, {"weekdays": [5, 6, 5], "duration_minutes": 120}, format="json")
    assert (changed.json()["weekdays"], changed.json()["duration_minutes"]) == ([5, 6], 120)
    assert client.delete(path).status_code == 204
    assert not MaintenanceWindow.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": [7]}, "weekdays"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 7 * 24 * 60 + 1}, "duration_minutes"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"start_time": "25:00"}, "start_time"),
    ],
)
def test_a_bad_maintenance_window_is_refused_with_its_field(api_as, change_manager, service, extra, field):
    response = api_as(change_manager).post(
        "/api/v1/maintenance-windows/", window_body(service, **extra), format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_a_maintenance_window_is_a_services(api_as, change_manager, server):
    response = api_as(change_manager).post("/api/v1/maintenance-windows/", window_body(server), format="json")
    assert response.status_code == 400
    assert "services" in response.json()["fields"]


@pytest.mark.parametrize("path", ["/api/v1/blackout-windows/", "/api/v1/maintenance-windows/"])
def test_agents_read_the_windows_and_may_not_change_them(api_as, agent, change_manager, service, path):
    api_as(change_manager).post("/api/v1/blackout-windows/", FREEZE, format="json")
    api_as(change_manager).post("/api/v1/maintenance-windows/", window_body(service), format="json")
    client = api_as(agent)
    listed = client.get(path)
    assert listed.status_code == 200
    (row,) = listed.json()["results"]
    body = FREEZE if "blackout" in path else window_body(service)
    assert_error(client.post(path, body, format="json"), 403, "permission_denied")
    assert_error(
        client.patch(f"{path}{row['id']}/", {"name": "Mine"}, format="json"), 403, "permission_denied"
    )
    assert_error(client.delete(f"{path}{row['id']}/"), 403, "permission_denied")


@pytest.mark.parametrize("path", ["/api/v1/blackout-windows/", "/api/v1/maintenance-windows/"])
def test_requesters_do_not_learn_the_windows_exist(api_as, requester, path):
    assert api_as(requester).get(path).status_code == 404
    assert api_as(requester).post(path, FREEZE, format="json").status_code == 404


def test_the_windows_list_in_a_constant_number_of_queries(
    api_as, agent, change_manager, service, django_assert_max_num_queries
):
    for n in range(5):
        BlackoutWindow.objects.create(
            name=f"F{n}", starts_at=START, ends_at=START + timedelta(days=1)
        ).services.set([service])
    client = api_as(agent)
    with django_assert_max_num_queries(12):
        assert len(client.get("/api/v1/blackout-windows/").json()["results"]) == 5


@pytest.fixture
def scheduled(agent, server):
    def _make(title, start=START, requester=None):
        record = change_create(actor=agent, title=title, affected_cis=[server], planned_start=start,
                               planned_end=start + timedelta(hours=2))  # fmt: skip
        Change.objects.filter(pk=record.pk).update(status=wf.SCHEDULED, requester=requester or agent)
        record.refresh_from_db()
        return record

    return _make


def test_the_schedule_over_a_span(api_as, agent, requester, scheduled):
    first = scheduled("First")
    mine = scheduled("Requested", start=START + timedelta(days=1), requester=requester)
    scheduled("Later", start=START + timedelta(days=60))
    BlackoutWindow.objects.create(name="Year end", starts_at=START, ends_at=START + timedelta(days=14))
    params = {"start": START.isoformat(), "end": (START + timedelta(days=7)).isoformat()}

    body = api_as(agent).get("/api/v1/change-schedule/", params).json()
    assert [row["number"] for row in body["changes"]] == [first.number, mine.number]
    assert [row["name"] for row in body["blackout_windows"]] == ["Year end"]
    assert body["truncated"] is False
    theirs = api_as(requester).get("/api/v1/change-schedule/", params).json()
    assert [row["number"] for row in theirs["changes"]] == [mine.number]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"start": START.isoformat()},
        {"start": START.isoformat(), "end": START.isoformat()},
        {"start": START.isoformat(), "end": (START + timedelta(days=400)).isoformat()},
        {"start": "x", "end": "y"},
    ],
)
def test_the_schedule_needs_a_valid_span(api_as, agent, params):
    assert api_as(agent).get("/api/v1/change-schedule/", params).status_code == 400


def test_a_changes_conflicts(api_as, agent, requester, scheduled):
    first = scheduled("First")
    second = scheduled("Second", start=START + timedelta(hours=1), requester=requester)
    response = api_as(agent).get(f"/api/v1/changes/{first.number}/conflicts/")
    assert response.status_code == 200
    (conflict,) = response.json()
    assert (conflict["kind"], conflict["change"], conflict["cis"]) == (
        "overlap",
        second.number,
        ["db-payroll-01"],
    )
    assert api_as(requester).get(f"/api/v1/changes/{first.number}/conflicts/").status_code == 404
    assert api_as(requester).get(f"/api/v1/changes/{second.number}/conflicts/").status_code == 200


def test_scheduling_through_the_api_with_conflicts_answers_409(
    api_as, change_manager, scheduled, agent, server
):
    scheduled("In the way")
    record = change_create(actor=agent, title="Mine", affected_cis=[server], planned_start=START,
                           planned_end=START + timedelta(hours=1))  # fmt: skip
    Change.objects.filter(pk=record.pk).update(status=wf.APPROVED)
    client = api_as(change_manager)
    path = f"/api/v1/changes/{record.number}/transitions/"
    refused = client.post(path, {"to": "scheduled"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "schedule_conflicts"
    assert refused.json()["conflicts"][0]["kind"] == "overlap"
    record.refresh_from_db()
    assert record.status == wf.APPROVED
    # The override through the API needs `override_reason` in the change's transition input serializer
    # (changes/api/serializers.py); the service's override is tested in test_conflicts.py.


def test_the_conflicts_of_an_unrelated_ci_are_none(api_as, agent, scheduled):
    scheduled("First")
    record = change_create(
        actor=agent,
        title="Elsewhere",
        affected_cis=[CIFactory(name="x")],
        planned_start=START,
        planned_end=START + timedelta(hours=1),
    )
    assert api_as(agent).get(f"/api/v1/changes/{record.number}/conflicts/").json() == []
