"""The releases demo: a release in each status, made through the services; one mid-rollout, one rolled back
partly with its CIs restored from the baseline, one closed with its changes; seeded once."""

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command

from changes import workflow as change_wf
from cmdb.models import ConfigurationItem
from releases import workflow as wf
from releases.demo import CURRENT_VERSIONS, MARKER
from releases.models import Artifact, DeploymentTask, Release, Wave
from releases.selectors import release_changes
from releases.services.gonogo import checklist
from servicedesk.approvals.selectors import approvals_for_record
from servicedesk.models import ApprovalRequest


def _seed_demo() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db, settings):
    settings.ITSM_DEMO_RECORDS = 20
    return _seed_demo()


def _release(status: str) -> Release:
    return Release.objects.get(status=status)


def test_the_demo_has_a_release_in_each_status(seeded):
    assert "Releases demo ready (11 releases" in seeded
    assert sorted(Release.objects.values_list("status", flat=True)) == sorted(wf.STATUSES)
    assert set(Release.objects.values_list("assignee__username", flat=True)) == {"grace"}
    assert set(Release.objects.values_list("test_lead__username", flat=True)) == {"wang"}


def test_the_prepared_releases_stop_where_their_work_does(seeded):
    planning = _release(wf.PLANNING)
    assert planning.title == MARKER
    assert [c.status for c in release_changes(planning)] == [change_wf.APPROVED]
    assert not planning.artifacts.exists()
    assert _release(wf.BUILDING).artifacts.filter(role=Artifact.Role.PACKAGE).exists()
    testing = _release(wf.TESTING)
    done = {item["code"]: item["done"] for item in checklist(testing)}
    assert done == {"tests_passed": True, "backout_plan": True, "communication": False}


def test_the_go_no_go_waits_for_one_approver_and_the_approved_release_has_its_baseline(seeded):
    waiting = _release(wf.GO_NO_GO)
    (approval,) = approvals_for_record(record=waiting)
    assert approval.status == ApprovalRequest.Status.PENDING
    decided = approval.decisions.values_list("approver__username", flat=True)
    assert len(decided) == approval.approvers.count() - 1
    approved = _release(wf.APPROVED)
    assert approved.approved_at is not None
    assert set(approved.baseline.items.values_list("ci_key", flat=True)) == set(
        approved.target_cis.values_list("pk", flat=True)
    )
    assert set(approved.artifacts.values_list("check_result", flat=True)) == {Artifact.Check.OK}


def test_the_stored_artifacts_are_real_files_with_their_checksums(seeded):
    stored = Artifact.objects.exclude(file="")
    assert stored.filter(role=Artifact.Role.PACKAGE, media_type="application/gzip").exists()
    for artifact in stored:
        with artifact.file.open("rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == artifact.sha256
    assert Artifact.objects.filter(file="", uri__startswith="https://").exists()


def test_one_release_is_mid_rollout(seeded):
    release = _release(wf.DEPLOYING)
    first, second = release.waves.order_by("position")
    assert (first.status, second.status) == (Wave.Status.SUCCEEDED, Wave.Status.RUNNING)
    tasks = dict(second.tasks.values_list("ci__name", "status"))
    assert tasks == {"lon-web-01": "succeeded", "lon-web-02": "running", "lon-file-01": "pending"}
    assert (second.total_tasks, second.succeeded_tasks, second.failed_tasks) == (3, 1, 0)
    web = ConfigurationItem.objects.get(name="lon-web-01")
    assert web.version == release.release_version
    assert web.attributes["operating_system"] == "Ubuntu 24.04.3 LTS"
    assert ConfigurationItem.objects.get(name="lon-file-01").version != release.release_version
    assert release_changes(release).get().status == change_wf.IMPLEMENTING


def test_one_release_is_rolled_back_partly_with_its_cis_restored(seeded):
    release = _release(wf.ROLLED_BACK)
    assert release.rollback_extent == Release.RollbackExtent.PARTIAL
    first, second = release.waves.order_by("position")
    assert (first.status, second.status) == (Wave.Status.SUCCEEDED, Wave.Status.ROLLED_BACK)
    restored = second.tasks.get()
    assert (restored.status, restored.restored_at is not None) == (DeploymentTask.Status.ROLLED_BACK, True)
    item = release.baseline.items.get(ci_key=restored.ci_id)
    assert restored.ci.version == item.fields["version"] == CURRENT_VERSIONS[restored.ci.name]
    kept = first.tasks.get().ci
    assert kept.version == release.release_version != item.fields["version"]


def test_the_deployed_failed_and_closed_releases_and_their_changes(seeded):
    deployed = _release(wf.DEPLOYED)
    assert set(deployed.waves.values_list("status", flat=True)) == {Wave.Status.SUCCEEDED}
    assert {ci.version for ci in deployed.target_cis.all()} == {deployed.release_version}
    failed = _release(wf.FAILED)
    assert failed.failure_reason
    assert failed.waves.get().status == Wave.Status.FAILED
    closed = _release(wf.CLOSED)
    assert closed.outcome == Release.Outcome.SUCCESSFUL
    changes = list(release_changes(closed))
    assert len(changes) == 2
    assert {(c.status, c.review_outcome) for c in changes} == {(change_wf.CLOSED, "successful")}
    cancelled = _release(wf.CANCELLED)
    assert not release_changes(cancelled).exists()


def test_the_demo_releases_are_seeded_once(seeded):
    counts = (Release.objects.count(), Artifact.objects.count(), DeploymentTask.objects.count())
    again = _seed_demo()
    assert "Releases demo ready (nothing new)." in again
    assert (Release.objects.count(), Artifact.objects.count(), DeploymentTask.objects.count()) == counts
