"""Deploying a release in waves (issue 17, items 4 and 5).

- Starting the deployment (the `deploy` transition) starts wave 1; each next wave starts at its gate:
  by itself when the one before succeeded (automatic), or when a release manager starts it (manual).
  A wave whose window runs into a freeze or lies outside a maintenance window (judged as a change's
  slot is, `waves.wave_conflicts`) does not start unless a release manager gives the reason it goes
  ahead, recorded on the wave; an automatic gate then leaves it pending for them.
- A pipeline reports each task's result (`tasks_report`). A task that succeeds updates its CI in the
  CMDB (version and attributes from its artifact's manifest, history "release:REL…"), in batches.
- When every task of a wave is final, the wave succeeded (all succeeded or skipped) or failed; the last
  wave's success fires the internal `deployed`, a failed wave the `fail` transition (as the system,
  naming the wave). A release manager retries a failed wave (`wave_retry`).
- Each wave started or finished is an event (`wave_started` / `wave_finished`, DATA CONTRACT in
  `wave_event_data`), a timeline entry and an audit event.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cmdb.models import ConfigurationItem
from cmdb.services.bulk import ci_update_many
from servicedesk.bulkwrite import bulk_write
from servicedesk.concurrency import lock, save_changed
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.models import TimelineEntry
from servicedesk.records.services import record_lock
from servicedesk.records.transitions import transition_fire_named
from servicedesk.services import audit_record
from servicedesk.services.timeline import timeline_add

from .. import workflow as wf
from ..models import Artifact, DeploymentTask, Release, Wave
from ..permissions import ReleasePolicy
from .events import release_publish
from .waves import wave_conflicts

Task = DeploymentTask.Status
FINAL = (Task.SUCCEEDED, Task.FAILED, Task.SKIPPED)
REPORTABLE = (Task.RUNNING, *FINAL)
LOG_LIMIT = 64 * 1024  # characters of a task's log kept: the last ones
REF_LIMIT = 200
BATCH = 500
TASK_FIELDS = (
    "status", "log", "external_ref", "attempts", "started_at", "finished_at", "reported_at",
    "cmdb_updated_at",
)  # fmt: skip


def deployment_readiness_errors(release: Release, *, override_reason: str = "") -> dict:
    """What starting the deployment needs and the release lacks, by field: waves, each with its CIs."""
    counts = list(release.waves.order_by("position").values_list("name", "total_tasks"))
    if not any(total for _name, total in counts):
        return {"waves": _("Plan at least one wave with its target CIs.")}
    empty = [name for name, total in counts if not total]
    if empty:
        return {"waves": _("These waves have no CIs: %(waves)s.") % {"waves": ", ".join(empty)}}
    return {}


def wave_event_data(wave: Wave) -> dict:
    """The data of the `wave_started` / `wave_finished` events (notifications and webhooks read it)."""
    return {
        "wave": wave.pk,
        "wave_name": wave.name,
        "wave_status": wave.status,
        "wave_status_label": str(wave.get_status_display()),
    }


def _announce(*, release: Release, wave: Wave, event: str, actor, extra: dict | None = None) -> None:
    data = {**wave_event_data(wave), **(extra or {})}
    timeline_add(
        record=release,
        kind=TimelineEntry.Kind.SYSTEM,
        author=actor,
        is_public=False,
        data={"event": event, **data},
    )
    audit_record(actor=actor, action=f"release.{event}", target=release, data=data)
    release_publish(record=release, event=event, actor=actor, data=data)


def _conflicts_or_reason(*, release: Release, wave: Wave, actor, override_reason: str) -> str | None:
    """The reason the wave runs despite its window (empty without conflicts), or None when it may not:
    Conflict (409 `wave_window_conflicts`, listing them) without a reason, PermissionDenied for a reason
    given by someone other than a release manager."""
    conflicts = wave_conflicts(wave)
    if not conflicts:
        return ""
    reason = (override_reason or "").strip() if isinstance(override_reason, str) else ""
    if not reason:
        raise Conflict(
            _("The window of wave “%(name)s” conflicts: %(conflicts)s A release manager may start it "
              "regardless, saying why.")
            % {"name": wave.name, "conflicts": " ".join(c.message for c in conflicts)},
            code="wave_window_conflicts",
            extra={"conflicts": [c.as_dict() for c in conflicts]},
        )  # fmt: skip
    if actor is None or not ReleasePolicy.can_run_waves(actor, release):
        raise PermissionDenied(_("Only a release manager may start a wave despite its window."))
    return reason


def _run(*, release: Release, wave: Wave, actor, override_reason: str = "") -> None:
    """Start `wave` (locked) now, its window checked (see `_conflicts_or_reason`)."""
    reason = _conflicts_or_reason(release=release, wave=wave, actor=actor, override_reason=override_reason)
    wave.status = Wave.Status.RUNNING
    wave.started_at = timezone.now()
    wave.started_by = actor
    wave.finished_at = None
    fields = ["status", "started_at", "started_by", "finished_at"]
    if reason:
        wave.override_reason = reason
        fields.append("override_reason")
    save_changed(wave, fields)
    _announce(
        release=release, wave=wave, event="wave_started", actor=actor,
        extra={"override_reason": reason} if reason else None,
    )  # fmt: skip
    if not wave.total_tasks:
        _finish(release=release, wave=wave, actor=actor)


def _gate(*, release: Release, wave: Wave) -> None:
    """After `wave` succeeded: the next wave starts if its gate is automatic and its window allows it
    (otherwise it stays pending, noted on the timeline, for a release manager); after the last one the
    release is deployed."""
    following = release.waves.filter(position__gt=wave.position).order_by("position").first()
    if following is None:
        transition_fire_named(record=release, actor=None, name="deployed")
        return
    if following.gate != Wave.Gate.AUTOMATIC:
        return
    following = lock(following)
    conflicts = wave_conflicts(following)
    if conflicts:
        timeline_add(
            record=release,
            kind=TimelineEntry.Kind.SYSTEM,
            is_public=False,
            data={
                "event": "wave_held",
                **wave_event_data(following),
                "conflicts": [c.as_dict() for c in conflicts],
            },
        )
        return
    _run(release=release, wave=following, actor=None)


def _finish(*, release: Release, wave: Wave, actor) -> None:
    """Every task of `wave` is final: it succeeded (none failed) or failed; then its gate, or the
    release's failure."""
    failed = wave.failed_tasks > 0
    wave.status = Wave.Status.FAILED if failed else Wave.Status.SUCCEEDED
    wave.finished_at = timezone.now()
    save_changed(wave, ["status", "finished_at"])
    _announce(release=release, wave=wave, event="wave_finished", actor=actor)
    if failed:
        reason = _("Wave “%(name)s” failed: %(failed)d of its %(total)d tasks failed.") % {
            "name": wave.name,
            "failed": wave.failed_tasks,
            "total": wave.total_tasks,
        }
        transition_fire_named(record=release, actor=None, name="fail", inputs={"reason": reason})
    else:
        _gate(release=release, wave=wave)


def deployment_begin(*, release: Release, actor, override_reason: str = "") -> None:
    """The deployment started (inside the `deploy` transition, the release locked): its first wave
    starts, its window checked; Conflict (409) undoes the transition unless `override_reason` is
    given by a release manager."""
    first = release.waves.order_by("position").first()
    if first is not None:
        _run(release=release, wave=lock(first), actor=actor, override_reason=override_reason)


@transaction.atomic
def wave_start(*, wave: Wave, actor, override_reason: str = "") -> Wave:
    """Pass a wave's gate: a release manager starts a pending wave of a release being deployed once the
    wave before it succeeded, its window checked (`override_reason` to go ahead despite it). Raises
    PermissionDenied, Conflict (409: not deploying, not pending, the wave before has not succeeded, a
    window conflict without a reason)."""
    release = record_lock(wave.release)
    wave = lock(wave)
    if not ReleasePolicy.can_run_waves(actor, release):
        raise PermissionDenied(_("Only a release manager starts a wave."))
    if release.status != wf.DEPLOYING:
        raise Conflict(_("Waves start while the release is being deployed."), code="release_not_deploying")
    if wave.status != Wave.Status.PENDING:
        raise Conflict(
            _("Wave “%(name)s” is %(status)s.")
            % {"name": wave.name, "status": wave.get_status_display().lower()},
            code="wave_not_pending",
        )
    before = release.waves.filter(position__lt=wave.position).order_by("-position").first()
    if before is not None and before.status != Wave.Status.SUCCEEDED:
        raise Conflict(
            _("Wave “%(name)s” starts once “%(before)s” has succeeded.")
            % {"name": wave.name, "before": before.name},
            code="wave_gate_closed",
        )
    _run(release=release, wave=wave, actor=actor, override_reason=override_reason)
    return wave


@transaction.atomic
def wave_retry(*, wave: Wave, actor, override_reason: str = "") -> Wave:
    """Retry a failed wave of a failed release (a release manager): its failed tasks back to pending,
    the internal `retry` transition (the release deploying again) and the wave running again, its
    window checked as at its start. Raises PermissionDenied, Conflict."""
    release = record_lock(wave.release)
    wave = lock(wave)
    if not ReleasePolicy.can_run_waves(actor, release):
        raise PermissionDenied(_("Only a release manager retries a wave."))
    if release.status != wf.FAILED or wave.status != Wave.Status.FAILED:
        raise Conflict(_("Only the failed wave of a failed release is retried."), code="wave_not_failed")
    reset = wave.tasks.filter(status=Task.FAILED).update(status=Task.PENDING, finished_at=None)
    wave.failed_tasks = 0
    save_changed(wave, ["failed_tasks"])
    transition_fire_named(record=release, actor=None, name="retry", inputs={"wave": wave.pk})
    audit_record(
        actor=actor, action="release.wave_retried", target=release, data={"wave": wave.pk, "tasks": reset}
    )
    _run(release=release, wave=wave, actor=actor, override_reason=override_reason)
    return wave


def _clean_results(results) -> list[dict]:
    """The results as the service reads them, or ValidationError keyed `results.<i>.<field>`."""
    limit = settings.ITSM_DEPLOYMENT_REPORT_BATCH
    if not isinstance(results, list | tuple) or not results:
        raise ValidationError({"results": _("Report at least one result.")})
    if len(results) > limit:
        raise ValidationError({"results": _("At most %(count)d results in one report.") % {"count": limit}})
    cleaned, seen, errors = [], set(), {}
    for index, result in enumerate(results):
        if not isinstance(result, dict):
            errors[f"results.{index}"] = _("Each result is an object.")
            continue
        ci, status = result.get("ci"), result.get("status")
        log, ref = result.get("log") or "", result.get("ref") or ""
        if isinstance(ci, bool) or not isinstance(ci, int):
            errors[f"results.{index}.ci"] = _("The CI's id.")
        elif ci in seen:
            errors[f"results.{index}.ci"] = _("One result per CI in a report.")
        if status not in REPORTABLE:
            errors[f"results.{index}.status"] = _("One of: %(values)s.") % {"values": ", ".join(REPORTABLE)}
        if not isinstance(log, str):
            errors[f"results.{index}.log"] = _("Text.")
        if not isinstance(ref, str) or len(ref) > REF_LIMIT:
            errors[f"results.{index}.ref"] = _("Text of at most %(count)d characters.") % {"count": REF_LIMIT}
        seen.add(ci)
        cleaned.append(
            {"ci": ci, "status": status, "log": log, "ref": ref.strip() if isinstance(ref, str) else ""}
        )
    if errors:
        raise ValidationError(errors)
    return cleaned


def _appended(log: str, more: str) -> str:
    text = f"{log}\n{more}" if log and more else (log or more)
    return text[-LOG_LIMIT:]


def _cmdb_fields(artifact: Artifact) -> dict:
    """What a successful task sets on its CI: the manifest's version (or the artifact's) and attributes."""
    manifest = artifact.manifest if isinstance(artifact.manifest, dict) else {}
    fields = {"version": str(manifest.get("version") or artifact.artifact_version)}
    attributes = manifest.get("attributes")
    if isinstance(attributes, dict) and attributes:
        fields["attributes"] = attributes
    return fields


def report_summary(wave: Wave, *, changed: int = 0, unchanged: int = 0) -> dict:
    """What a report answers: the wave's counts and status after it, and the release's."""
    return {
        "wave": wave.pk,
        "wave_status": wave.status,
        "total_tasks": wave.total_tasks,
        "succeeded_tasks": wave.succeeded_tasks,
        "failed_tasks": wave.failed_tasks,
        "changed": changed,
        "unchanged": unchanged,
        "release_status": wave.release.status,
    }


@transaction.atomic
def tasks_report(*, release: Release, wave: Wave, actor, results: list[dict]) -> dict:
    """Record a pipeline's results for tasks of `wave` (at most ITSM_DEPLOYMENT_REPORT_BATCH), each
    `{"ci": id, "status": "running"|"succeeded"|"failed"|"skipped", "log": str, "ref": str}`, on the
    wave's locked row: logs appended (the last LOG_LIMIT characters kept), the pipeline's reference
    kept. Reporting a task's final status again changes nothing. Tasks that succeed update their CIs in
    the CMDB in one batch (`ci_update_many`, history "release:REL…"); when every task of the wave is
    final the wave finishes (see the module's docstring). Returns `report_summary`.

    Raises PermissionDenied (not an agent of releases), ValidationError (malformed results, too many, a
    CI that is not in the wave, attributes the CI's class refuses) and Conflict (409: a final task
    reported otherwise, the release not deploying, the wave not running)."""
    if not ReleasePolicy.is_agent(actor):
        raise PermissionDenied(_("Only agents of releases report deployment results."))
    cleaned = _clean_results(results)
    release = record_lock(release)
    wave = lock(wave)
    wave.release = release
    ids = [result["ci"] for result in cleaned]
    tasks = {
        task.ci_id: task
        for task in DeploymentTask.objects.filter(wave=wave, ci_id__in=ids).select_related("artifact")
    }
    unknown = [str(pk) for pk in ids if pk not in tasks]
    if unknown:
        raise ValidationError(
            {"results": _("Not CIs of this wave: %(cis)s.") % {"cis": ", ".join(unknown[:20])}}
        )
    todo = []
    for result in cleaned:
        task = tasks[result["ci"]]
        if task.status == result["status"] and task.status in FINAL:
            continue  # reported already: nothing changes
        if task.status not in (Task.PENDING, Task.RUNNING):
            raise Conflict(
                _("The task on CI %(ci)s is %(status)s already: it cannot become %(new)s.")
                % {"ci": task.ci_id, "status": task.get_status_display().lower(), "new": result["status"]},
                code="task_final",
                extra={"ci": task.ci_id, "status": task.status},
            )
        todo.append((task, result))
    if not todo:
        return report_summary(wave, unchanged=len(cleaned))
    if release.status != wf.DEPLOYING or wave.status != Wave.Status.RUNNING:
        raise Conflict(
            _("Wave “%(name)s” is %(status)s: it takes no results now.")
            % {"name": wave.name, "status": wave.get_status_display().lower()},
            code="wave_not_running",
        )
    now = timezone.now()
    succeeded, failed, deployed = 0, 0, []
    for task, result in todo:
        if task.status == Task.PENDING:
            task.attempts += 1
            task.started_at = now
        task.status = result["status"]
        task.log = _appended(task.log, result["log"])
        task.external_ref = result["ref"] or task.external_ref
        task.reported_at = now
        if task.status in FINAL:
            task.finished_at = now
            failed += task.status == Task.FAILED
            succeeded += task.status != Task.FAILED
            if task.status == Task.SUCCEEDED and task.artifact_id is not None:
                deployed.append(task)
    if deployed:
        ci_update_many(
            updates=[(ConfigurationItem(pk=task.ci_id), _cmdb_fields(task.artifact)) for task in deployed],
            actor=None,
            on_behalf_of=actor,
            via=f"release:{release.number}",
            merge_attributes=True,
        )
        for task in deployed:
            task.cmdb_updated_at = now
    bulk_write(DeploymentTask, [task for task, _result in todo], TASK_FIELDS)
    wave.succeeded_tasks += succeeded
    wave.failed_tasks += failed
    save_changed(wave, ["succeeded_tasks", "failed_tasks"])
    if wave.succeeded_tasks + wave.failed_tasks >= wave.total_tasks:
        _finish(release=release, wave=wave, actor=actor)
    return report_summary(wave, changed=len(todo), unchanged=len(cleaned) - len(todo))
