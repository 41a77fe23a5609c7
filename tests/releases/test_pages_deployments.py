"""The deployment pages: the progress board, adding a wave (400/403), starting a wave at its gate (403,
409, override), removing one (412), the task list; constant statements for the board."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from changes.models import BlackoutWindow
from releases import workflow as wf
from releases.models import DeploymentTask, Release, Wave
from releases.services.deployment import tasks_report

from ..cmdb.factories import CIFactory
from .conftest import planned_wave, stored_artifact

pytestmark = pytest.mark.django_db


def page(release):
    return reverse("release_deployments:page", args=[release.number])


def action(name, release, wave=None):
    args = [release.number] + ([wave.pk] if wave is not None else [])
    return reverse(f"release_deployments:{name}", args=args)


@pytest.fixture
def deploying(prepared, release_manager):
    from servicedesk.records.transitions import record_transition

    Release.objects.filter(pk=prepared.pk).update(status=wf.APPROVED)
    record_transition(record=Release.objects.get(pk=prepared.pk), actor=release_manager, to=wf.DEPLOYING)
    prepared.refresh_from_db()
    return prepared


def test_the_board_shows_each_wave_with_its_progress_and_failures(deploying, client, agent, app_servers):
    wave = Wave.objects.get(release=deploying, position=1)
    tasks_report(
        release=deploying, wave=wave, actor=agent,
        results=[{"ci": app_servers[0].pk, "status": "failed", "log": "disk full on /var"}],
    )  # fmt: skip
    client.force_login(agent)
    response = client.get(page(deploying))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="wave-card"') == 2
    assert 'data-status="running"' in html
    assert "disk full on /var" in html
    assert "0 succeeded, 1 failed, 1 to go, of 2" in html


def test_a_requester_does_not_see_the_deployment(deploying, client, requester):
    client.force_login(requester)
    assert client.get(page(deploying)).status_code == 404


def test_an_agent_adds_a_wave_and_a_bad_one_is_drawn_again_with_400(release, client, agent, app_servers):
    stored_artifact(release)
    client.force_login(agent)
    response = client.post(
        action("add", release), {"name": "Pilot", "cis": [app_servers[0].pk], "gate": "automatic"}
    )
    assert response.status_code == 302
    assert Wave.objects.get(release=release).total_tasks == 1
    again = client.post(
        action("add", release), {"name": "Again", "cis": [app_servers[0].pk], "gate": "manual"}
    )
    assert again.status_code == 400
    assert "one wave of a release only" in again.content.decode()


def test_who_may_not_plan_gets_403(deploying, client, agent, app_servers):
    client.force_login(agent)
    response = client.post(
        action("add", deploying), {"name": "Late", "cis": [app_servers[0].pk], "gate": "manual"}
    )
    assert response.status_code == 403


def test_the_manual_gate_refuses_then_overrides_on_the_page(
    deploying, client, agent, release_manager, app_servers
):
    first, second = Wave.objects.filter(release=deploying).order_by("position")
    client.force_login(release_manager)
    assert client.post(action("start", deploying, second)).status_code == 409
    tasks_report(
        release=Release.objects.get(pk=deploying.pk), wave=first, actor=agent,
        results=[{"ci": ci.pk, "status": "succeeded"} for ci in app_servers[:2]],
    )  # fmt: skip
    now = timezone.now()
    BlackoutWindow.objects.create(
        name="Freeze", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    refused = client.post(action("start", deploying, second))
    assert refused.status_code == 409
    assert "Freeze" in refused.content.decode()
    client.force_login(agent)
    assert client.post(action("start", deploying, second), {"override_reason": "x"}).status_code == 403
    client.force_login(release_manager)
    assert client.post(action("start", deploying, second), {"override_reason": "Agreed"}).status_code == 302
    assert Wave.objects.get(pk=second.pk).status == "running"


def test_removing_a_wave_that_changed_meanwhile_is_412(release, client, agent, app_servers):
    wave = planned_wave(release, 1, app_servers[:1])
    client.force_login(agent)
    assert client.post(action("remove", release, wave), {"revision": wave.revision + 5}).status_code == 412
    assert client.post(action("remove", release, wave), {"revision": wave.revision}).status_code == 302
    assert not Wave.objects.filter(pk=wave.pk).exists()


def test_the_task_list_filters_by_status(deploying, client, agent, app_servers):
    wave = Wave.objects.get(release=deploying, position=1)
    DeploymentTask.objects.filter(wave=wave, ci=app_servers[0]).update(status="failed")
    client.force_login(agent)
    html = client.get(action("tasks", deploying, wave), {"status": "failed"}).content.decode()
    assert html.count('data-testid="task-row"') == 1
    assert "app-01" in html


def test_the_board_costs_a_constant_number_of_statements(
    release, client, agent, django_assert_max_num_queries
):
    package = stored_artifact(release)
    for n in range(1, 6):
        wave = planned_wave(release, n, [CIFactory(name=f"n{n}-{i}") for i in range(5)], artifact=package)
        DeploymentTask.objects.filter(wave=wave).update(status="failed", log="boom")
    client.force_login(agent)
    client.get(page(release))
    with django_assert_max_num_queries(20):
        html = client.get(page(release)).content.decode()
    assert html.count('data-testid="failed-task"') == 25
