"""Deploying in waves: the first wave with the deployment, windows refused unless overridden, gates,
reports (idempotent, final tasks, unknown CIs), the CMDB updated via the release, failure, retry."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from changes.models import BlackoutWindow
from releases import workflow as wf
from releases.models import DeploymentTask, Release, Wave
from releases.services.deployment import tasks_report, wave_retry, wave_start
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.models import AuditEvent, TimelineEntry
from servicedesk.records.transitions import record_transition

from .conftest import planned_wave, stored_artifact

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(prepared):
    Release.objects.filter(pk=prepared.pk).update(status=wf.APPROVED)
    prepared.refresh_from_db()
    return prepared


def waves(release) -> list[Wave]:
    return list(Wave.objects.filter(release=release).order_by("position"))


def deploy(release, actor, **inputs) -> Release:
    return record_transition(
        record=Release.objects.get(pk=release.pk), actor=actor, to=wf.DEPLOYING, **inputs
    )


def report(release, wave, actor, results):
    return tasks_report(
        release=Release.objects.get(pk=release.pk),
        wave=Wave.objects.get(pk=wave.pk),
        actor=actor,
        results=results,
    )


def ok(cis, status="succeeded", log="done"):
    return [{"ci": ci.pk, "status": status, "log": log, "ref": "job-1"} for ci in cis]


@pytest.fixture
def freeze():
    now = timezone.now()
    return BlackoutWindow.objects.create(
        name="Black Friday", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1)
    )


def test_deploying_starts_the_first_wave_with_its_event(approved, release_manager):
    deploy(approved, release_manager)
    first, second = waves(approved)
    assert (first.status, first.started_by, second.status) == ("running", release_manager, "pending")
    entry = TimelineEntry.objects.get(object_id=approved.pk, data__event="wave_started")
    assert entry.data["wave"] == first.pk
    assert entry.data["wave_status"] == "running"
    assert entry.data["wave_name"] == "Wave 1"
    assert AuditEvent.objects.filter(action="release.wave_started").exists()


def test_a_wave_in_a_freeze_is_refused_with_409_and_the_deployment_undone(approved, release_manager, freeze):
    with pytest.raises(Conflict) as refused:
        deploy(approved, release_manager)
    assert refused.value.code == "wave_window_conflicts"
    assert refused.value.extra["conflicts"][0]["window"] == "Black Friday"
    approved.refresh_from_db()
    assert approved.status == wf.APPROVED
    assert waves(approved)[0].status == "pending"


def test_a_release_manager_overrides_the_window_with_a_reason_recorded(approved, release_manager, freeze):
    deploy(approved, release_manager, override_reason="Security fix, agreed with the CAB.")
    first = waves(approved)[0]
    assert (first.status, first.override_reason) == ("running", "Security fix, agreed with the CAB.")


def test_a_manual_gate_needs_the_release_manager_after_the_wave_before_succeeded(
    approved, release_manager, agent, app_servers
):
    deploy(approved, release_manager)
    first, second = waves(approved)
    with pytest.raises(Conflict) as refused:
        wave_start(wave=second, actor=release_manager)
    assert refused.value.code == "wave_gate_closed"
    summary = report(approved, first, agent, ok(app_servers[:2]))
    assert (summary["wave_status"], summary["succeeded_tasks"]) == ("succeeded", 2)
    assert Wave.objects.get(pk=second.pk).status == "pending"  # manual: it waits
    with pytest.raises(PermissionDenied):
        wave_start(wave=Wave.objects.get(pk=second.pk), actor=agent)
    wave_start(wave=Wave.objects.get(pk=second.pk), actor=release_manager)
    assert Wave.objects.get(pk=second.pk).status == "running"


def test_an_automatic_gate_starts_the_next_wave_and_the_last_success_deploys(
    approved, release_manager, agent, app_servers
):
    Wave.objects.filter(release=approved, position=2).update(gate="automatic")
    deploy(approved, release_manager)
    first, second = waves(approved)
    report(approved, first, agent, ok(app_servers[:2]))
    assert Wave.objects.get(pk=second.pk).status == "running"
    summary = report(approved, second, agent, ok(app_servers[2:3]) + ok(app_servers[3:], status="skipped"))
    assert summary["wave_status"] == "succeeded"
    assert summary["release_status"] == wf.DEPLOYED
    approved.refresh_from_db()
    assert approved.status == wf.DEPLOYED
    finished = TimelineEntry.objects.filter(object_id=approved.pk, data__event="wave_finished")
    assert [e.data["wave_status"] for e in finished.order_by("pk")] == ["succeeded", "succeeded"]


def test_an_automatic_gate_in_a_freeze_leaves_the_wave_pending_for_the_manager(
    approved, release_manager, agent, app_servers
):
    Wave.objects.filter(release=approved, position=2).update(gate="automatic")
    deploy(approved, release_manager)
    first, second = waves(approved)
    now = timezone.now()
    BlackoutWindow.objects.create(
        name="Freeze", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=2)
    )
    report(approved, first, agent, ok(app_servers[:2]))
    assert Wave.objects.get(pk=second.pk).status == "pending"
    assert TimelineEntry.objects.filter(object_id=approved.pk, data__event="wave_held").exists()
    with pytest.raises(Conflict):
        wave_start(wave=Wave.objects.get(pk=second.pk), actor=release_manager)
    wave_start(wave=Wave.objects.get(pk=second.pk), actor=release_manager, override_reason="Approved by CAB")
    assert Wave.objects.get(pk=second.pk).override_reason == "Approved by CAB"


def test_a_successful_task_updates_its_ci_with_history_via_the_release(
    approved, release_manager, agent, app_servers
):
    package = approved.artifacts.get(name="webshop")
    package.manifest = {"version": "2.0.1", "attributes": {"operating_system": "Debian 13"}}
    package.save()
    deploy(approved, release_manager)
    first = waves(approved)[0]
    report(approved, first, agent, ok(app_servers[:1]))
    ci = app_servers[0]
    ci.refresh_from_db()
    assert ci.version == "2.0.1"
    assert ci.attributes["operating_system"] == "Debian 13"
    record = ci.history.latest("history_id")
    assert (record.history_change_reason, record.history_user) == (f"release:{approved.number}", agent)
    task = DeploymentTask.objects.get(wave=first, ci=ci)
    assert task.cmdb_updated_at is not None
    untouched = app_servers[1]
    untouched.refresh_from_db()
    assert untouched.version == "1.0"


def test_reporting_a_final_status_again_changes_nothing(approved, release_manager, agent, app_servers):
    deploy(approved, release_manager)
    first = waves(approved)[0]
    report(approved, first, agent, ok(app_servers[:1]))
    history = app_servers[0].history.count()
    again = report(approved, first, agent, ok(app_servers[:1], log="done again"))
    assert (again["changed"], again["unchanged"], again["succeeded_tasks"]) == (0, 1, 1)
    assert app_servers[0].history.count() == history
    assert DeploymentTask.objects.get(wave=first, ci=app_servers[0]).log == "done"


def test_logs_are_appended_and_capped(approved, release_manager, agent, app_servers):
    deploy(approved, release_manager)
    first = waves(approved)[0]
    report(approved, first, agent, ok(app_servers[:1], status="running", log="step 1"))
    report(approved, first, agent, ok(app_servers[:1], status="running", log="x" * 70_000))
    task = DeploymentTask.objects.get(wave=first, ci=app_servers[0])
    assert len(task.log) == 64 * 1024
    assert task.attempts == 1
    report(approved, first, agent, ok(app_servers[:1], status="running", log="step 3"))
    assert DeploymentTask.objects.get(pk=task.pk).log.endswith("x\nstep 3")


@pytest.mark.parametrize("final", ["succeeded", "failed", "skipped"])
def test_a_final_task_cannot_go_back_or_change(approved, release_manager, agent, app_servers, final):
    deploy(approved, release_manager)
    first = waves(approved)[0]
    report(approved, first, agent, ok(app_servers[:1], status=final))
    other = "running" if final != "running" else "failed"
    with pytest.raises(Conflict) as refused:
        report(approved, first, agent, ok(app_servers[:1], status=other))
    assert refused.value.code == "task_final"


def test_a_ci_outside_the_wave_or_a_malformed_result_is_a_400(approved, release_manager, agent, app_servers):
    deploy(approved, release_manager)
    first = waves(approved)[0]
    with pytest.raises(ValidationError) as refused:
        report(approved, first, agent, ok(app_servers[2:3]))
    assert "results" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        report(approved, first, agent, [{"ci": app_servers[0].pk, "status": "rolled_back"}])
    assert "results.0.status" in refused.value.message_dict
    with pytest.raises(ValidationError):
        report(approved, first, agent, [])


def test_a_report_is_limited_to_the_batch_size(approved, release_manager, agent, app_servers, settings):
    settings.ITSM_DEPLOYMENT_REPORT_BATCH = 1
    deploy(approved, release_manager)
    with pytest.raises(ValidationError):
        report(approved, waves(approved)[0], agent, ok(app_servers[:2]))


def test_a_pending_wave_takes_no_results_and_requesters_report_nothing(
    approved, release_manager, agent, requester, app_servers
):
    deploy(approved, release_manager)
    second = waves(approved)[1]
    with pytest.raises(Conflict) as refused:
        report(approved, second, agent, ok(app_servers[2:3]))
    assert refused.value.code == "wave_not_running"
    with pytest.raises(PermissionDenied):
        report(approved, waves(approved)[0], requester, ok(app_servers[:1]))


def test_a_failed_task_fails_the_wave_and_the_release_then_a_retry_runs_it_again(
    approved, release_manager, agent, app_servers
):
    deploy(approved, release_manager)
    first = waves(approved)[0]
    summary = report(approved, first, agent, ok(app_servers[:1]) + ok(app_servers[1:2], status="failed"))
    assert (summary["wave_status"], summary["release_status"]) == ("failed", wf.FAILED)
    approved.refresh_from_db()
    assert "Wave 1" in approved.failure_reason
    with pytest.raises(PermissionDenied):
        wave_retry(wave=Wave.objects.get(pk=first.pk), actor=agent)
    wave_retry(wave=Wave.objects.get(pk=first.pk), actor=release_manager)
    approved.refresh_from_db()
    first.refresh_from_db()
    assert (approved.status, first.status, first.failed_tasks, first.succeeded_tasks) == (
        wf.DEPLOYING, "running", 0, 1
    )  # fmt: skip
    assert DeploymentTask.objects.get(wave=first, ci=app_servers[1]).status == "pending"
    report(approved, first, agent, ok(app_servers[1:2]))
    assert Wave.objects.get(pk=first.pk).status == "succeeded"


def test_a_report_of_many_tasks_costs_a_constant_number_of_statements(
    release, release_manager, agent, django_assert_max_num_queries
):
    from ..cmdb.factories import CIFactory

    package = stored_artifact(release)
    cis = [CIFactory(name=f"node-{n:03}", version="1.0") for n in range(120)]
    wave = planned_wave(release, 1, cis, artifact=package)
    Release.objects.filter(pk=release.pk).update(status=wf.DEPLOYING)
    Wave.objects.filter(pk=wave.pk).update(status="running")
    for batch in (cis[:10], cis[10:110]):
        release, wave = Release.objects.get(pk=release.pk), Wave.objects.get(pk=wave.pk)
        with django_assert_max_num_queries(15):
            tasks_report(release=release, wave=wave, actor=agent, results=ok(batch))
    assert Wave.objects.get(pk=wave.pk).succeeded_tasks == 110
