"""Planning waves: tasks per CI, one wave per CI, positions, If-Match, pending only, who may."""

import pytest
from django.core.exceptions import ValidationError

from releases.models import DeploymentTask, Release, Wave
from releases.services.waves import wave_cis_add, wave_cis_remove, wave_create, wave_delete, wave_update
from servicedesk.errors import Conflict, PermissionDenied, StaleWrite

from ..cmdb.factories import CIFactory
from .conftest import stored_artifact

pytestmark = pytest.mark.django_db


def test_a_wave_gets_a_pending_task_per_ci_with_the_releases_only_package(release, agent, app_servers):
    package = stored_artifact(release)
    wave = wave_create(release=release, actor=agent, name="Pilot", cis=app_servers[:2], gate="automatic")
    assert (wave.position, wave.total_tasks, wave.gate, wave.status) == (1, 2, "automatic", "pending")
    tasks = DeploymentTask.objects.filter(wave=wave)
    assert sorted(tasks.values_list("ci_id", flat=True)) == sorted(ci.pk for ci in app_servers[:2])
    assert set(tasks.values_list("status", "artifact")) == {("pending", package.pk)}
    second = wave_create(release=release, actor=agent, name="Rest", cis=app_servers[2:])
    assert second.position == 2


def test_an_environment_takes_the_release_target_cis_of_that_environment(release, agent, app_servers):
    for ci in app_servers[:3]:
        ci.environment = "production"
        ci.save()
    wave = wave_create(release=release, actor=agent, name="Production", environment="production")
    assert wave.total_tasks == 3
    assert wave.environment == "production"


def test_a_ci_is_in_one_wave_of_a_release_only(release, agent, app_servers):
    wave_create(release=release, actor=agent, name="One", cis=app_servers[:2])
    with pytest.raises(ValidationError) as refused:
        wave_create(release=release, actor=agent, name="Two", cis=app_servers[1:])
    assert "app-02" in refused.value.message_dict["cis"][0]
    assert Wave.objects.filter(release=release).count() == 1


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"name": " "}, "name"),
        ({"cis": []}, "cis"),
        ({"gate": "sometimes"}, "gate"),
        ({"environment": "moon"}, "environment"),
        ({"planned_start": "START"}, "planned_end"),
    ],
)
def test_bad_plans_are_refused_by_field(release, agent, app_servers, fields, key):
    from django.utils import timezone

    values = {"name": "W", "cis": app_servers[:1], **fields}
    if values.get("planned_start") == "START":
        values["planned_start"] = timezone.now()
    with pytest.raises(ValidationError) as refused:
        wave_create(release=release, actor=agent, **values)
    assert key in refused.value.message_dict


def test_from_the_go_no_go_on_a_wave_takes_only_target_cis(release, agent, app_servers):
    Release.objects.filter(pk=release.pk).update(status="approved")
    release.refresh_from_db()
    with pytest.raises(ValidationError):
        wave_create(release=release, actor=agent, name="Stray", cis=[CIFactory(name="stray")])
    assert wave_create(release=release, actor=agent, name="Ok", cis=app_servers[:1]).total_tasks == 1


def test_who_may_not_plan_is_refused(release, requester, app_servers):
    with pytest.raises(PermissionDenied):
        wave_create(release=release, actor=requester, name="W", cis=app_servers)


def test_once_deploying_waves_are_not_planned_but_a_manager_moves_a_pending_ones_gate(
    release, agent, release_manager, app_servers
):
    wave = wave_create(release=release, actor=agent, name="W", cis=app_servers)
    Release.objects.filter(pk=release.pk).update(status="deploying")
    wave = Wave.objects.get(pk=wave.pk)  # as a later request reads it
    with pytest.raises(PermissionDenied):
        wave_update(wave=wave, actor=agent, gate="automatic")
    wave = wave_update(wave=wave, actor=release_manager, gate="automatic")
    assert wave.gate == "automatic"
    with pytest.raises(Conflict):
        wave_update(wave=wave, actor=release_manager, artifact=None)


def test_an_update_needs_the_current_revision_and_moves_it_on(release, agent, app_servers):
    wave = wave_create(release=release, actor=agent, name="W", cis=app_servers)
    revision = wave.revision
    wave = wave_update(wave=wave, actor=agent, expected_version=revision, name="Pilot")
    assert (wave.name, wave.revision) == ("Pilot", revision + 1)
    with pytest.raises(StaleWrite):
        wave_update(wave=wave, actor=agent, expected_version=revision, name="Again")


def test_only_a_pending_wave_changes_or_goes(release, agent, app_servers):
    wave = wave_create(release=release, actor=agent, name="W", cis=app_servers)
    Wave.objects.filter(pk=wave.pk).update(status="running")
    with pytest.raises(Conflict):
        wave_update(wave=wave, actor=agent, name="X")
    with pytest.raises(Conflict):
        wave_delete(wave=wave, actor=agent)


def test_deleting_a_wave_moves_the_later_ones_up(release, agent, app_servers):
    first, _second, _third = (
        wave_create(release=release, actor=agent, name=f"W{n}", cis=[ci])
        for n, ci in enumerate(app_servers[:3])
    )
    wave_delete(wave=first, actor=agent)
    assert list(release.waves.order_by("position").values_list("name", "position")) == [("W1", 1), ("W2", 2)]
    assert not DeploymentTask.objects.filter(ci=app_servers[0]).exists()


def test_cis_are_added_and_removed_keeping_the_count(release, agent, app_servers):
    wave = wave_create(release=release, actor=agent, name="W", cis=app_servers[:1])
    wave = wave_cis_add(wave=wave, actor=agent, cis=app_servers[1:3])
    assert wave.total_tasks == 3 == wave.tasks.count()
    wave = wave_cis_remove(wave=wave, actor=agent, cis=[app_servers[0]])
    assert wave.total_tasks == 2 == wave.tasks.count()
