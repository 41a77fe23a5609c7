"""The deployment API: waves planned, changed with If-Match, removed, started; tasks listed and
reported (batches, one task, Idempotency-Key replays, 409s, 400s, permissions)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from changes.models import BlackoutWindow
from releases import workflow as wf
from releases.models import DeploymentTask, Release, Wave

from ..cmdb.factories import CIFactory
from .conftest import planned_wave, stored_artifact

pytestmark = pytest.mark.django_db


def url(release, *parts) -> str:
    tail = "".join(f"{part}/" for part in parts)
    return f"/api/v1/releases/{release.number}/deployments/{tail}"


@pytest.fixture
def deploying(prepared, api_as, release_manager):
    Release.objects.filter(pk=prepared.pk).update(status=wf.APPROVED)
    response = api_as(release_manager).post(
        f"/api/v1/releases/{prepared.number}/transitions/", {"to": "deploying"}, format="json"
    )
    assert response.status_code == 200, response.json()
    prepared.refresh_from_db()
    return prepared


def first_wave(release) -> Wave:
    return Wave.objects.get(release=release, position=1)


def results(cis, status="succeeded"):
    return {"results": [{"ci": ci.pk, "status": status, "log": "ok", "ref": "run-7"} for ci in cis]}


def test_an_agent_plans_a_wave_and_lists_the_waves(release, api_as, agent, app_servers):
    stored_artifact(release)
    client = api_as(agent)
    response = client.post(
        url(release), {"name": "Pilot", "cis": [app_servers[0].pk], "gate": "automatic"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["position"], body["total_tasks"], body["gate"], body["status"]) == (
        1,
        1,
        "automatic",
        "pending",
    )
    assert response["ETag"]
    listed = client.get(url(release)).json()
    assert [w["name"] for w in listed] == ["Pilot"]


def test_planning_refuses_unknown_cis_and_cis_of_another_wave_with_400(release, api_as, agent, app_servers):
    client = api_as(agent)
    assert client.post(url(release), {"name": "W", "cis": [999_999]}, format="json").status_code == 400
    client.post(url(release), {"name": "W", "cis": [app_servers[0].pk]}, format="json")
    response = client.post(url(release), {"name": "X", "cis": [app_servers[0].pk]}, format="json")
    assert response.status_code == 400
    assert "cis" in response.json()["fields"]


def test_a_requester_may_not_plan_waves(release, api_as, requester, app_servers):
    response = api_as(requester).post(url(release), {"name": "W", "cis": [app_servers[0].pk]}, format="json")
    assert response.status_code in (403, 404)


def test_a_wave_changes_with_if_match_and_a_stale_one_is_412(release, api_as, agent, app_servers):
    client = api_as(agent)
    created = client.post(url(release), {"name": "W", "cis": [app_servers[0].pk]}, format="json")
    wave_url = url(release, created.json()["id"])
    etag = client.get(wave_url)["ETag"]
    changed = client.patch(wave_url, {"name": "Pilot"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200
    assert changed.json()["name"] == "Pilot"
    assert client.patch(wave_url, {"name": "Again"}, format="json", HTTP_IF_MATCH=etag).status_code == 412
    assert client.delete(wave_url, HTTP_IF_MATCH=etag).status_code == 412
    assert client.delete(wave_url, HTTP_IF_MATCH=changed["ETag"]).status_code == 204
    assert client.get(wave_url).status_code == 404


def test_a_pipeline_reports_a_batch_and_a_retried_report_replays(deploying, api_as, agent, app_servers):
    client = api_as(agent)
    wave = first_wave(deploying)
    tasks_url = url(deploying, wave.pk, "tasks")
    response = client.post(tasks_url, results(app_servers[:2]), format="json", HTTP_IDEMPOTENCY_KEY="run-7-a")
    assert response.status_code == 200, response.json()
    assert (response.json()["wave_status"], response.json()["succeeded_tasks"]) == ("succeeded", 2)
    history = app_servers[0].history.count()
    replay = client.post(tasks_url, results(app_servers[:2]), format="json", HTTP_IDEMPOTENCY_KEY="run-7-a")
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == response.json()
    again = client.post(tasks_url, results(app_servers[:2]), format="json")  # without a key: no change
    assert (again.status_code, again.json()["changed"]) == (200, 0)
    assert app_servers[0].history.count() == history
    app_servers[0].refresh_from_db()
    assert app_servers[0].version == "2.0"
    assert app_servers[0].history.latest("history_id").history_change_reason == f"release:{deploying.number}"


def test_one_task_is_reported_by_its_ci_and_a_final_one_cannot_run_again(
    deploying, api_as, agent, app_servers
):
    client = api_as(agent)
    wave = first_wave(deploying)
    task_url = url(deploying, wave.pk, "tasks", app_servers[0].pk)
    assert client.post(task_url, {"status": "failed", "log": "disk full"}, format="json").status_code == 200
    refused = client.post(task_url, {"status": "running"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "task_final"
    assert (
        client.post(
            url(deploying, wave.pk, "tasks", app_servers[3].pk), {"status": "running"}, format="json"
        ).status_code
        == 404
    )


def test_reports_refuse_unknown_cis_bad_statuses_and_too_many(
    deploying, api_as, agent, app_servers, settings
):
    client = api_as(agent)
    tasks_url = url(deploying, first_wave(deploying).pk, "tasks")
    assert client.post(tasks_url, results(app_servers[2:3]), format="json").status_code == 400
    assert client.post(tasks_url, results(app_servers[:1], status="done"), format="json").status_code == 400
    assert client.post(tasks_url, {"results": []}, format="json").status_code == 400
    settings.ITSM_DEPLOYMENT_REPORT_BATCH = 1
    assert client.post(tasks_url, results(app_servers[:2]), format="json").status_code == 400


def test_a_requester_reports_nothing(deploying, api_as, requester, app_servers):
    response = api_as(requester).post(
        url(deploying, first_wave(deploying).pk, "tasks"), results(app_servers[:1]), format="json"
    )
    assert response.status_code in (403, 404)
    assert DeploymentTask.objects.filter(status="succeeded").count() == 0


def test_the_manual_gate_and_the_window_override_through_the_api(
    deploying, api_as, agent, release_manager, app_servers
):
    first = first_wave(deploying)
    second = Wave.objects.get(release=deploying, position=2)
    start_url = url(deploying, second.pk, "start")
    assert api_as(release_manager).post(start_url, {}, format="json").json()["code"] == "wave_gate_closed"
    api_as(agent).post(url(deploying, first.pk, "tasks"), results(app_servers[:2]), format="json")
    now = timezone.now()
    BlackoutWindow.objects.create(
        name="Freeze", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    assert api_as(agent).post(start_url, {}, format="json").status_code == 403
    refused = api_as(release_manager).post(start_url, {}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "wave_window_conflicts")
    started = api_as(release_manager).post(start_url, {"override_reason": "Agreed"}, format="json")
    assert (started.status_code, started.json()["status"], started.json()["override_reason"]) == (
        200,
        "running",
        "Agreed",
    )


def test_a_failed_wave_fails_the_release_and_is_retried(
    deploying, api_as, agent, release_manager, app_servers
):
    first = first_wave(deploying)
    body = {
        "results": [
            {"ci": app_servers[0].pk, "status": "failed"},
            {"ci": app_servers[1].pk, "status": "succeeded"},
        ]
    }
    summary = api_as(agent).post(url(deploying, first.pk, "tasks"), body, format="json").json()
    assert (summary["wave_status"], summary["release_status"]) == ("failed", wf.FAILED)
    retried = api_as(release_manager).post(url(deploying, first.pk, "retry"), {}, format="json")
    assert (retried.status_code, retried.json()["status"]) == (200, "running")
    deploying.refresh_from_db()
    assert deploying.status == wf.DEPLOYING


def test_tasks_are_listed_by_page_and_status(deploying, api_as, agent, app_servers):
    client = api_as(agent)
    wave = first_wave(deploying)
    client.post(url(deploying, wave.pk, "tasks", app_servers[0].pk), {"status": "running"}, format="json")
    listed = client.get(url(deploying, wave.pk, "tasks"), {"status": "running"}).json()
    assert [t["ci"]["id"] for t in listed["results"]] == [app_servers[0].pk]
    assert client.get(url(deploying, wave.pk, "tasks"), {"status": "nonsense"}).status_code == 400


def test_lists_cost_a_constant_number_of_statements(release, api_as, agent, django_assert_max_num_queries):
    package = stored_artifact(release)
    for n in range(1, 4):
        planned_wave(release, n, [CIFactory(name=f"n{n}-{i}") for i in range(20)], artifact=package)
    client = api_as(agent)
    wave = first_wave(release)
    client.get(url(release))  # warm the content types
    with django_assert_max_num_queries(8):
        assert len(client.get(url(release)).json()) == 3
    with django_assert_max_num_queries(9):
        assert len(client.get(url(release, wave.pk, "tasks")).json()["results"]) == 20


def test_the_release_resource_s_mixins_share_no_method_name():
    """The artifacts, deployments and rollback actions are mixed into one viewset: a helper of one that
    took another's name would silently replace it."""
    from releases.api.artifacts import ArtifactActions
    from releases.api.deployments import DeploymentActions
    from releases.api.rollback import RollbackActions

    names = [
        {name for name in vars(mixin) if not name.startswith("__")}
        for mixin in (ArtifactActions, DeploymentActions, RollbackActions)
    ]
    assert not names[0] & names[1]
    assert not names[0] & names[2]
    assert not names[1] & names[2]
