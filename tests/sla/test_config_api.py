"""Read-only API of the SLA configuration: policies and business calendars."""

from datetime import timedelta

from servicedesk.models import EscalationRule


def test_agents_read_policies_with_targets_and_rules(api_as, agent, policy, django_assert_max_num_queries):
    EscalationRule.objects.create(policy=policy, metric="resolution", percent=150, raise_priority=True)
    client = api_as(agent)
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/sla-policies/")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["name"] == policy.name
    assert row["calendar"] == policy.calendar_id
    assert row["pause_on"] == ["on_hold:requester"]
    assert row["warning_percents"] == [50, 75]
    assert {"metric": "response", "priority": 1, "target_seconds": 3600} in row["targets"]
    assert {
        "metric": "resolution",
        "priority": 5,
        "target_seconds": int(timedelta(hours=8).total_seconds()),
    } in row["targets"]
    assert row["escalations"][0]["percent"] == 150
    assert row["escalations"][0]["raise_priority"] is True
    detail = client.get(f"/api/v1/sla-policies/{policy.pk}/")
    assert detail.status_code == 200
    assert detail.json()["id"] == policy.pk


def test_agents_read_calendars_with_hours(api_as, agent, office):
    response = api_as(agent).get(f"/api/v1/business-calendars/{office.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["time_zone"] == "Europe/London"
    assert {"weekday": 0, "start_minute": 540, "end_minute": 1020} in body["intervals"]
    assert not any(interval["weekday"] == 6 for interval in body["intervals"])


def test_requesters_may_not_read_the_sla_configuration(api_as, requester, policy):
    client = api_as(requester)
    assert client.get("/api/v1/sla-policies/").status_code == 403
    assert client.get("/api/v1/business-calendars/").status_code == 403


def test_the_configuration_is_read_only(api_as, administrator, policy):
    client = api_as(administrator)
    assert client.post("/api/v1/sla-policies/", {"name": "x"}).status_code == 405
    assert client.delete(f"/api/v1/sla-policies/{policy.pk}/").status_code == 405
