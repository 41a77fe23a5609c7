"""Rolling a release back (issue 17, item 5): one wave, several, or all that ran.

The CIs of the rolled-back waves' started tasks get back, from the baseline taken at the go/no-go, the
version and attributes they had (`cmdb.services.baselines.baseline_restore_many`, its history "via
release:REL…"); those tasks and waves are marked rolled back, and the release moves to Rolled back
through the internal `roll_back` transition, partly (a wave that succeeded is still deployed) or wholly.
The CIs of the waves not rolled back keep what the deployment gave them.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cmdb.permissions import CMDBPolicy
from cmdb.services.baselines import baseline_restore_many
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.records.services import record_lock
from servicedesk.records.transitions import transition_fire_named

from .. import workflow as wf
from ..models import DeploymentTask, Release, Wave
from ..permissions import ReleasePolicy

# The waves a rollback undoes: those that ran (a failed one, a succeeded one, or one still running).
RAN_WAVE_STATUSES = (Wave.Status.RUNNING, Wave.Status.SUCCEEDED, Wave.Status.FAILED)
# The tasks whose CI a rollback restores: those that started.
STARTED_TASK_STATUSES = (
    DeploymentTask.Status.RUNNING,
    DeploymentTask.Status.SUCCEEDED,
    DeploymentTask.Status.FAILED,
)
MAX_REASON = 10_000


def via(release: Release) -> str:
    """How the CMDB's history names a write made for this release."""
    return f"release:{release.number}"


def rollback_waves(release: Release):
    """The waves of `release` that a rollback may undo now, in their order."""
    return release.waves.filter(status__in=RAN_WAVE_STATUSES).order_by("position", "pk")


def _waves_to_roll_back(release: Release, waves) -> list[Wave]:
    ran = list(rollback_waves(release))
    if waves is None:
        chosen = ran
    else:
        ids = list(dict.fromkeys(w if isinstance(w, int) else w.pk for w in waves))
        if not ids:
            raise ValidationError({"waves": _("Choose at least one wave.")})
        known = set(release.waves.filter(pk__in=ids).values_list("pk", flat=True))
        foreign = [pk for pk in ids if pk not in known]
        if foreign:
            raise ValidationError(
                {"waves": _("Not waves of %(number)s: %(ids)s.") % {"number": release.number, "ids": foreign}}
            )
        by_id = {wave.pk: wave for wave in ran}
        idle = [pk for pk in ids if pk not in by_id]
        if idle:
            raise Conflict(
                _("Only a wave that ran and is not rolled back yet can be rolled back."),
                code="wave_not_rollbackable",
                extra={"waves": idle, "allowed": sorted(by_id)},
            )
        chosen = [wave for wave in ran if wave.pk in set(ids)]
    if not chosen:
        raise Conflict(
            _("No wave of this release has run: there is nothing to roll back."), code="nothing_ran"
        )
    return chosen


@transaction.atomic
def release_rollback(
    *, release: Release, actor, reason: str, waves=None, expected_version: int | None = None
) -> Release:
    """Roll back `waves` of `release` (ids or waves; None: every wave that ran): restore their started
    tasks' CIs from the release's baseline, mark those tasks and waves rolled back, and move the release
    to Rolled back (`rollback_extent` partial while a succeeded wave stays deployed, else full), its
    event `rolled_back` carrying the waves and the extent. Returns the release.

    Raises StaleWrite for an out-of-date `expected_version`; PermissionDenied unless the actor runs the
    release's waves; ValidationError without a reason or for waves of another release; Conflict when the
    release is not in a status that rolls back, has no baseline, or a wave named has not run (or is
    rolled back already).
    """
    release = record_lock(release, expected_version=expected_version)
    if not ReleasePolicy.can_run_waves(actor, release):
        raise PermissionDenied(_("You may not roll this release back."))
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError({"reason": _("Say why the release is rolled back.")})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": _("At most %(count)d characters.") % {"count": MAX_REASON}})
    if release.status not in wf.ROLLBACK_STATUSES:
        raise Conflict(
            _(
                "A release is rolled back while it deploys or once it is deployed or failed; "
                "%(number)s is %(status)s."
            )
            % {"number": release.number, "status": release.get_status_display().lower()},
            code="not_rollbackable",
        )
    if release.baseline_id is None:
        raise Conflict(
            _("%(number)s has no baseline to restore its CIs from.") % {"number": release.number},
            code="no_baseline",
        )
    chosen = _waves_to_roll_back(release, waves)
    wave_ids = [wave.pk for wave in chosen]
    tasks = DeploymentTask.objects.filter(wave_id__in=wave_ids, status__in=STARTED_TASK_STATUSES)
    ci_ids = sorted(set(tasks.values_list("ci_id", flat=True)))
    held = set(release.baseline.items.filter(ci_key__in=ci_ids).values_list("ci_key", flat=True))
    # The system restores for a release manager who does not keep the CMDB; the history's reason still
    # names the release.
    ci_actor = actor if CMDBPolicy.can_change_ci(actor) else None
    restored = baseline_restore_many(
        baseline=release.baseline, cis=[pk for pk in ci_ids if pk in held], actor=ci_actor, via=via(release)
    )
    now = timezone.now()
    tasks.filter(ci_id__in=held).update(status=DeploymentTask.Status.ROLLED_BACK, restored_at=now)
    tasks.update(status=DeploymentTask.Status.ROLLED_BACK)  # CIs the baseline does not hold: not restored
    Wave.objects.filter(pk__in=wave_ids).update(
        status=Wave.Status.ROLLED_BACK, rolled_back_at=now, rolled_back_by=actor, revision=F("revision") + 1
    )
    deployed = release.waves.filter(status=Wave.Status.SUCCEEDED).exists()
    extent = Release.RollbackExtent.PARTIAL if deployed else Release.RollbackExtent.FULL
    return transition_fire_named(
        record=release,
        actor=None,
        name="roll_back",
        inputs={
            "reason": reason,
            "waves": wave_ids,
            "extent": str(extent),
            "by": actor.pk,
            "cis": len(ci_ids),
            "restored": restored,
            "not_in_baseline": [pk for pk in ci_ids if pk not in held][:100],
        },
    )
