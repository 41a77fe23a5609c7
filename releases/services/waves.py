"""Planning a release's rollout in waves (issue 17, item 4): each wave's target CIs (one deployment task
each, a CI in one wave of a release only), its environment, window, gate and artifact. Waves are numbered
1..n in the order they run.

Waves are planned while `ReleasePolicy.can_plan_waves` allows it (until the deployment starts); from the
go/no-go on, a wave takes only the release's target CIs (those the baseline taken at approval covers, so
that a rollback can restore them). While the release deploys, or after it failed, a release manager still
moves a pending wave's window, gate or name.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from changes.conflicts import ChangeConflict, slot_window_conflicts
from cmdb.models import ConfigurationItem
from servicedesk.concurrency import lock, save_changed
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.records.services import record_lock
from servicedesk.services import audit_record

from .. import workflow as wf
from ..models import Artifact, DeploymentTask, Release, Wave
from ..permissions import ReleasePolicy

MAX_WAVE_CIS = 10_000
BATCH = 2000
# Fields a pending wave's planning may change (its CIs through `wave_cis_add` / `wave_cis_remove`).
EDITABLE_FIELDS = ("name", "planned_start", "planned_end", "gate", "artifact")
# Of those, what a release manager still moves once the deployment has started.
RUNNING_EDITABLE_FIELDS = ("name", "planned_start", "planned_end", "gate")


def _may_plan(actor, release: Release) -> None:
    if not ReleasePolicy.can_plan_waves(actor, release):
        raise PermissionDenied(_("You may not plan the waves of this release now."))


def _may_edit(actor, release: Release, fields) -> None:
    if ReleasePolicy.can_plan_waves(actor, release):
        return
    late = release.status in (wf.DEPLOYING, wf.FAILED) and ReleasePolicy.can_run_waves(actor, release)
    if not late:
        raise PermissionDenied(_("You may not plan the waves of this release now."))
    fixed = sorted(set(fields) - set(RUNNING_EDITABLE_FIELDS))
    if fixed:
        raise Conflict(
            _("The deployment has started: only a pending wave's name, window and gate change."),
            code="wave_fixed",
            extra={"fixed": fixed},  # not "fields": the error body's own key (its field errors)
        )


def _pending(wave: Wave) -> None:
    if wave.status != Wave.Status.PENDING:
        raise Conflict(
            _("Wave “%(name)s” is %(status)s: only a pending wave changes.")
            % {"name": wave.name, "status": wave.get_status_display().lower()},
            code="wave_not_pending",
        )


def _clean_name(name) -> str:
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name:
        raise ValidationError({"name": _("This field cannot be blank.")})
    if len(name) > 200:
        raise ValidationError({"name": _("At most %(count)d characters.") % {"count": 200}})
    return name


def _check_window(start, end) -> None:
    if (start is None) != (end is None):
        field = "planned_end" if end is None else "planned_start"
        raise ValidationError({field: _("Give both the start and the end of the window, or neither.")})
    if start is not None and end <= start:
        raise ValidationError({"planned_end": _("The window must end after it starts.")})


def _check_gate(gate) -> str:
    if gate not in Wave.Gate.values:
        raise ValidationError(
            {"gate": _("Choose one of: %(values)s.") % {"values": ", ".join(Wave.Gate.values)}}
        )
    return gate


def _check_artifact(release: Release, artifact: Artifact | None) -> Artifact | None:
    if artifact is None:
        return None
    if artifact.release_id != release.pk or artifact.role != Artifact.Role.PACKAGE:
        raise ValidationError({"artifact": _("Choose a package of this release's software library.")})
    return artifact


def _default_artifact(release: Release) -> Artifact | None:
    """The release's package when it has only one: what its waves deploy unless told otherwise."""
    packages = list(release.artifacts.filter(role=Artifact.Role.PACKAGE).order_by("pk")[:2])
    return packages[0] if len(packages) == 1 else None


def _check_cis(release: Release, ci_ids: list[int], *, wave: Wave | None = None) -> None:
    """Refuse CIs another wave of the release deploys to, and (from the go/no-go on) CIs the release
    does not target."""
    if not ci_ids:
        raise ValidationError({"cis": _("Name at least one CI, or an environment of the target CIs.")})
    if len(ci_ids) > MAX_WAVE_CIS:
        raise ValidationError({"cis": _("At most %(count)d CIs in a wave.") % {"count": MAX_WAVE_CIS}})
    taken = DeploymentTask.objects.filter(release=release, ci_id__in=ci_ids)
    if wave is not None:
        taken = taken.exclude(wave=wave)
    names = list(taken.order_by("ci__name").values_list("ci__name", "wave__name")[:5])
    if names:
        listed = ", ".join(f"{ci} ({other})" for ci, other in names)
        raise ValidationError(
            {
                "cis": _("A CI is deployed in one wave of a release only; already planned: %(cis)s.")
                % {"cis": listed}
            }
        )
    if release.status not in wf.PREPARING_STATUSES:
        targets = set(release.target_cis.filter(pk__in=ci_ids).values_list("pk", flat=True))
        if len(targets) != len(set(ci_ids)):
            raise ValidationError(
                {"cis": _("From the go/no-go on, a wave takes only the release's target CIs.")}
            )


def _add_tasks(release: Release, wave: Wave, ci_ids: list[int], artifact: Artifact | None) -> None:
    try:
        with transaction.atomic():
            DeploymentTask.objects.bulk_create(
                [DeploymentTask(release=release, wave=wave, ci_id=pk, artifact=artifact) for pk in ci_ids],
                batch_size=BATCH,
            )
    except IntegrityError:
        # Another request planned one of these CIs meanwhile (the unique constraint refused it).
        raise ValidationError({"cis": _("A CI is deployed in one wave of a release only.")}) from None


def _wave_ci_ids(release: Release, cis, environment: str) -> list[int]:
    if environment:
        if environment not in ConfigurationItem.Environment.values:
            raise ValidationError({"environment": _("Choose one of the listed environments.")})
        if cis:
            raise ValidationError({"cis": _("Name the CIs or an environment, not both.")})
        return list(
            release.target_cis.filter(environment=environment).order_by("pk").values_list("pk", flat=True)
        )
    return list(dict.fromkeys(ci.pk for ci in cis))


def _window_data(wave: Wave) -> dict:
    return {
        "planned_start": wave.planned_start.isoformat() if wave.planned_start else None,
        "planned_end": wave.planned_end.isoformat() if wave.planned_end else None,
    }


@transaction.atomic
def wave_create(
    *,
    release: Release,
    actor,
    name: str,
    cis=(),
    environment: str = "",
    planned_start=None,
    planned_end=None,
    gate: str = Wave.Gate.MANUAL,
    artifact: Artifact | None = None,
) -> Wave:
    """Add a wave after the others, with a pending task per CI: the CIs named, or (with `environment`)
    the release's target CIs of that environment. Its artifact is the one given (a package of the
    release), or the release's only package. Audited.

    Raises PermissionDenied (not while the waves may be planned, or not an agent of releases) and
    ValidationError (no CIs, a CI another wave has, a CI not targeted once past testing, a window that
    ends before it starts, an unknown gate or environment, another release's artifact)."""
    release = record_lock(release)
    _may_plan(actor, release)
    name = _clean_name(name)
    _check_window(planned_start, planned_end)
    _check_gate(gate)
    artifact = _check_artifact(release, artifact) or _default_artifact(release)
    ci_ids = _wave_ci_ids(release, cis, environment)
    _check_cis(release, ci_ids)
    position = (release.waves.aggregate(last=Max("position"))["last"] or 0) + 1
    wave = Wave.objects.create(
        release=release,
        position=position,
        name=name,
        environment=environment,
        planned_start=planned_start,
        planned_end=planned_end,
        gate=gate,
        total_tasks=len(ci_ids),
    )
    _add_tasks(release, wave, ci_ids, artifact)
    audit_record(
        actor=actor,
        action="release.wave_planned",
        target=release,
        data={
            "wave": wave.pk,
            "name": name,
            "position": position,
            "cis": len(ci_ids),
            "gate": gate,
            "environment": environment,
            "artifact": artifact.pk if artifact else None,
            **_window_data(wave),
        },
    )
    return wave


@transaction.atomic
def wave_update(*, wave: Wave, actor, expected_version: int | None = None, **fields) -> Wave:
    """Change a pending wave's name, window, gate or artifact (its tasks follow the artifact), at the
    revision the caller read. Audited; nothing changes, nothing is written.

    Raises PermissionDenied, Conflict (409: the wave is not pending; past the deployment's start, a
    field other than name, window and gate), StaleWrite (412) and ValidationError."""
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in unknown})
    release = record_lock(wave.release)
    wave = lock(wave, expected=expected_version)
    _may_edit(actor, release, fields)
    _pending(wave)
    if "name" in fields:
        fields["name"] = _clean_name(fields["name"])
    if "gate" in fields:
        _check_gate(fields["gate"])
    artifact_given = "artifact" in fields
    artifact = _check_artifact(release, fields.pop("artifact", None))
    diff = {}
    for name, value in fields.items():
        if getattr(wave, name) != value:
            diff[name] = {"from": str(getattr(wave, name) or ""), "to": str(value or "")}
            setattr(wave, name, value)
    _check_window(wave.planned_start, wave.planned_end)
    if artifact_given:
        moved = wave.tasks.exclude(artifact=artifact).update(artifact=artifact)
        if moved:
            diff["artifact"] = {"to": artifact.pk if artifact else None}
    if not diff:
        return wave
    save_changed(wave, [name for name in diff if name != "artifact"])
    audit_record(actor=actor, action="release.wave_updated", target=release, data={"wave": wave.pk, **diff})
    return wave


@transaction.atomic
def wave_delete(*, wave: Wave, actor, expected_version: int | None = None) -> None:
    """Remove a pending wave and its tasks while the waves may be planned; the waves after it move up
    (positions stay 1..n). Audited. Raises PermissionDenied, Conflict (not pending), StaleWrite."""
    release = record_lock(wave.release)
    wave = lock(wave, expected=expected_version)
    _may_plan(actor, release)
    _pending(wave)
    position, name = wave.position, wave.name
    wave.delete()
    # One row at a time, in order: each moves into the place the one before it left.
    for later in release.waves.filter(position__gt=position).order_by("position"):
        later.position -= 1
        save_changed(later, ["position"])
    audit_record(
        actor=actor, action="release.wave_removed", target=release, data={"wave": wave.pk, "name": name}
    )


@transaction.atomic
def wave_cis_add(*, wave: Wave, actor, cis, expected_version: int | None = None) -> Wave:
    """Add CIs to a pending wave (a task each, with the wave's artifact). Raises as `wave_create`, and
    Conflict for a wave that is not pending, StaleWrite for an old revision."""
    release = record_lock(wave.release)
    wave = lock(wave, expected=expected_version)
    _may_plan(actor, release)
    _pending(wave)
    ci_ids = list(dict.fromkeys(ci.pk for ci in cis))
    existing = set(wave.tasks.filter(ci_id__in=ci_ids).values_list("ci_id", flat=True))
    ci_ids = [pk for pk in ci_ids if pk not in existing]
    if not ci_ids:
        return wave
    if wave.total_tasks + len(ci_ids) > MAX_WAVE_CIS:
        raise ValidationError({"cis": _("At most %(count)d CIs in a wave.") % {"count": MAX_WAVE_CIS}})
    _check_cis(release, ci_ids, wave=wave)
    artifact = wave.tasks.exclude(artifact=None).values_list("artifact", flat=True).first()
    artifact = Artifact.objects.get(pk=artifact) if artifact else _default_artifact(release)
    _add_tasks(release, wave, ci_ids, artifact)
    wave.total_tasks += len(ci_ids)
    save_changed(wave, ["total_tasks"])
    audit_record(
        actor=actor, action="release.wave_cis_added", target=release, data={"wave": wave.pk, "cis": ci_ids}
    )
    return wave


@transaction.atomic
def wave_cis_remove(*, wave: Wave, actor, cis, expected_version: int | None = None) -> Wave:
    """Take CIs out of a pending wave (their tasks removed). Raises PermissionDenied, Conflict (not
    pending), StaleWrite."""
    release = record_lock(wave.release)
    wave = lock(wave, expected=expected_version)
    _may_plan(actor, release)
    _pending(wave)
    ci_ids = sorted({ci.pk for ci in cis})
    removed, _by_model = wave.tasks.filter(ci_id__in=ci_ids).delete()
    if not removed:
        return wave
    wave.total_tasks -= removed
    save_changed(wave, ["total_tasks"])
    audit_record(
        actor=actor, action="release.wave_cis_removed", target=release, data={"wave": wave.pk, "cis": ci_ids}
    )
    return wave


def wave_slot(wave: Wave) -> tuple:
    """The span a wave's window check weighs: its planned window, or (without one) the moment it starts."""
    if wave.planned_start is not None and wave.planned_end is not None:
        return wave.planned_start, wave.planned_end
    now = timezone.now()
    return now, now + timedelta(minutes=1)


def wave_conflicts(wave: Wave) -> list[ChangeConflict]:
    """The freezes and maintenance windows the wave runs into, judged as a change's slot is
    (`changes.conflicts.slot_window_conflicts`) on its CIs and the release's target services."""
    start, end = wave_slot(wave)
    return slot_window_conflicts(
        start=start,
        end=end,
        cis=list(wave.tasks.values_list("ci_id", flat=True)),
        services=list(wave.release.services.values_list("pk", flat=True)),
    )
