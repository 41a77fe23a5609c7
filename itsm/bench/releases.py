"""The bench's release wave: a release deploying to 10,000 CIs in one wave, every task reported
succeeded (the CMDB updated), then the wave rolled back from the baseline taken before (issue 17).

The CIs (`bench-release-ci-NNNNN`, servers at version 1.0) are made once with bulk inserts; the release,
its baseline, wave and tasks are made inside a transaction that is rolled back at the end, so the
scenario can run again on the same database and leaves nothing behind.

The wave update goes through `releases.services.deployment.tasks_report`, as a pipeline's reports do.
"""

import time

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from cmdb.models import CIClass, ConfigurationItem
from cmdb.services.baselines import baseline_take
from releases import workflow as wf
from releases.models import Artifact, DeploymentTask, Release, Wave
from releases.services import deployment
from releases.services.rollback import release_rollback
from servicedesk import roles
from servicedesk.models import User
from servicedesk.services.numbering import number_allocate

from .report import statements

CIS = 10_000
PREFIX = "bench-release-ci-"
MANAGER = "bench-release-manager"
BATCH = 2_000


def _cis(count: int) -> list[int]:
    have = ConfigurationItem.objects.filter(name__startswith=PREFIX).count()
    if have < count:
        server = CIClass.objects.get(code="server")
        ConfigurationItem.objects.bulk_create(
            [
                ConfigurationItem(
                    name=f"{PREFIX}{n:05d}", ci_class=server, status="in_production", version="1.0"
                )
                for n in range(have, count)
            ],
            batch_size=BATCH,
        )
    return list(
        ConfigurationItem.objects.filter(name__startswith=PREFIX)
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )


def _manager() -> User:
    user, made = User.objects.get_or_create(username=MANAGER, defaults={"full_name": "Bench release manager"})
    if made:
        user.groups.add(*Group.objects.filter(name__in=[roles.AGENT, roles.RELEASE_MANAGER]))
    return User.objects.get(pk=user.pk)  # permissions read afresh


def _report_all_succeeded(release: Release, wave: Wave, manager: User) -> dict:
    """Every task of the wave reported succeeded through the deployment's service, in the batches a
    pipeline sends (ITSM_DEPLOYMENT_REPORT_BATCH results a call): each task's CI moves to the artifact's
    version in the CMDB, with its history."""
    ci_ids = list(DeploymentTask.objects.filter(wave=wave).order_by("pk").values_list("ci_id", flat=True))
    size = settings.ITSM_DEPLOYMENT_REPORT_BATCH
    with statements() as captured:
        started = time.perf_counter()
        for first in range(0, len(ci_ids), size):
            results = [{"ci": pk, "status": "succeeded"} for pk in ci_ids[first : first + size]]
            deployment.tasks_report(release=release, wave=wave, actor=manager, results=results)
        seconds = time.perf_counter() - started
    updated = ConfigurationItem.objects.filter(pk__in=ci_ids, version="2.0").count()
    return {"wave_update_seconds": round(seconds, 2), "wave_update_sql": captured[0], "updated": updated}


def release_wave(*, count: int = CIS) -> dict:
    """Time a `count`-CI wave's update and its rollback; the seconds and statements of each."""
    ci_ids = _cis(count)
    manager = _manager()
    row: dict = {"cis": len(ci_ids)}
    with transaction.atomic():
        release = Release.objects.create(
            number=number_allocate(prefix="REL")[0],
            title="Bench release",
            release_version="2.0",
            status=wf.DEPLOYING,
            requester=manager,
            created_by=manager,
            assignee=manager,
        )
        started = time.perf_counter()
        baseline = baseline_take(
            actor=None,
            name=f"{release.number} bench baseline",
            cis=[ConfigurationItem(pk=pk) for pk in ci_ids],
        )
        row["baseline_seconds"] = round(time.perf_counter() - started, 2)
        Release.objects.filter(pk=release.pk).update(baseline=baseline)
        package = Artifact.objects.create(
            release=release,
            name="bench-package",
            artifact_version="2.0",
            sha256="0" * 64,
            uri="https://dsl.example.com/bench-package-2.0.tar.gz",
            manifest={"version": "2.0"},
        )
        wave = Wave.objects.create(
            release=release,
            position=1,
            name="Everything",
            status=Wave.Status.RUNNING,
            total_tasks=len(ci_ids),
        )
        DeploymentTask.objects.bulk_create(
            [DeploymentTask(release=release, wave=wave, ci_id=pk, artifact=package) for pk in ci_ids],
            batch_size=BATCH,
        )
        release.refresh_from_db()
        row.update(_report_all_succeeded(release, wave, manager))
        release.refresh_from_db()
        with statements() as captured:
            started = time.perf_counter()
            release_rollback(release=release, actor=manager, reason="Bench rollback.")
            row["rollback_seconds"] = round(time.perf_counter() - started, 2)
        row["rollback_sql"] = captured[0]
        row["restored"] = ConfigurationItem.objects.filter(pk__in=ci_ids, version="1.0").count()
        transaction.set_rollback(True)
    row["seconds"] = row["rollback_seconds"]
    row["sql"] = row["rollback_sql"]
    return row
