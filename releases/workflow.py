"""The release's status machine (DESIGN.md §10, issue 17).

Planning → Building → Testing → Go/no-go → Approved → Deploying → Deployed → Closed, with Failed, Rolled
back and Cancelled.

- **Go/no-go** is a status of its own: the release manager asks once the checklist is complete (tests
  passed with evidence, back-out plan, communication sent) and the artifacts are frozen from then on, so
  the approvers decide on exactly what was tested. The kernel's approvals settle it through the internal
  `approve` (which takes the CMDB baseline of the target CIs) or `no_go` (back to Testing).
- **Deploying** runs the waves (`services/deployment.py`): the first starts with the transition, each
  next one at its gate; the last wave's success fires the internal `deployed`, a failed task's wave the
  internal `fail`.
- **Rolled back**: the rollback of one or more waves (or all) restores their CIs from the baseline; the
  release is marked partly or wholly rolled back (`Release.rollback_extent`).
- Closing records the outcome, with which the bundled changes close.
"""

from django.utils.translation import gettext_lazy as _

from servicedesk.records.workflow import Firing, Transition, Workflow, nobody

PLANNING = "planning"
BUILDING = "building"
TESTING = "testing"
GO_NO_GO = "go_no_go"
APPROVED = "approved"
DEPLOYING = "deploying"
DEPLOYED = "deployed"
FAILED = "failed"
ROLLED_BACK = "rolled_back"
CLOSED = "closed"
CANCELLED = "cancelled"
STATUSES = (
    PLANNING, BUILDING, TESTING, GO_NO_GO, APPROVED, DEPLOYING, DEPLOYED, FAILED, ROLLED_BACK, CLOSED,
    CANCELLED,
)  # fmt: skip
FINAL_STATUSES = (CLOSED, CANCELLED)
OPEN_STATUSES = tuple(s for s in STATUSES if s not in FINAL_STATUSES)
# Before the go/no-go: what it bundles, its artifacts, targets and waves may change.
PREPARING_STATUSES = (PLANNING, BUILDING, TESTING)
# From the go/no-go on, what goes out is what was tested: the artifacts are immutable.
FROZEN_STATUSES = (GO_NO_GO, APPROVED, DEPLOYING, DEPLOYED, FAILED, ROLLED_BACK, CLOSED)
# Where waves may be rolled back (what deployed, or failed, is undone from the baseline).
ROLLBACK_STATUSES = (DEPLOYING, DEPLOYED, FAILED, ROLLED_BACK)
# On the forward schedule: approved or under way.
ON_SCHEDULE_STATUSES = (APPROVED, DEPLOYING)
CANCELLABLE = (PLANNING, BUILDING, TESTING, GO_NO_GO, APPROVED)
CLOSABLE = (DEPLOYED, FAILED, ROLLED_BACK)

WORK_PERMISSION = "releases.work_release"
MANAGE_PERMISSION = "releases.manage_release"


def _policy():
    from .permissions import ReleasePolicy

    return ReleasePolicy


def can_work(record, user) -> bool:
    return _policy().is_agent(user)


def can_manage(record, user) -> bool:
    return _policy().is_manager(user)


def _text(f: Firing, name: str) -> str:
    value = f.inputs.get(name)
    return value.strip() if isinstance(value, str) else ""


def _take(f: Firing) -> None:
    """The release manager who moves a release owns it unless someone does already."""
    if f.record.assignee_id is None and not f.by_system and _policy().is_manager(f.actor):
        f.set("assignee", f.actor)
        f.data["assignee"] = f.actor.pk


def _ready_for_go(f: Firing) -> None:
    from .services.gonogo import go_readiness_errors

    errors = go_readiness_errors(f.record)
    if errors:
        from django.core.exceptions import ValidationError

        raise ValidationError(errors)
    _take(f)


def _ask_go(f: Firing) -> None:
    from .services.gonogo import go_request_open

    go_request_open(release=f.record, actor=f.actor)


def _recalled(f: Firing) -> None:
    from .services.gonogo import go_requests_cancel

    go_requests_cancel(release=f.record, reason=f.body)


def _approve(f: Firing) -> None:
    f.data["approval"] = f.inputs.get("approval")
    f.set("approved_at", f.now)


def _approved(f: Firing) -> None:
    from .services.gonogo import release_baseline_take

    baseline = release_baseline_take(release=f.record)
    f.data["baseline"] = baseline.pk if baseline is not None else None


def _no_go(f: Firing) -> None:
    f.data["approval"] = f.inputs.get("approval")


def _deploy(f: Firing) -> None:
    from .services.deployment import deployment_readiness_errors

    errors = deployment_readiness_errors(f.record, override_reason=_text(f, "override_reason"))
    if errors:
        from django.core.exceptions import ValidationError

        raise ValidationError(errors)
    f.set("actual_start", f.now)


def _deploying(f: Firing) -> None:
    from .services.bundling import release_changes_start
    from .services.deployment import deployment_begin

    deployment_begin(release=f.record, actor=f.actor, override_reason=_text(f, "override_reason"))
    release_changes_start(release=f.record, actor=f.actor)


def _deployed(f: Firing) -> None:
    f.set("actual_end", f.now)


def _failed(f: Firing) -> None:
    f.set("failure_reason", _text(f, "reason"), record_as="reason")
    f.set("actual_end", f.now)


def _rollback(f: Firing) -> None:
    """Fired by `services.rollback.release_rollback` once the waves' CIs are restored: which waves, how
    far (`Release.rollback_extent`) and who asked (the transition is the system's)."""
    f.set("rollback_reason", _text(f, "reason"))
    f.set("rollback_extent", f.inputs.get("extent") or "", record_as="extent")
    f.data["waves"] = f.inputs.get("waves") or []
    for name in ("by", "cis", "restored", "not_in_baseline"):
        f.data[name] = f.inputs.get(name)


def _retry(f: Firing) -> None:
    f.set("actual_end", None)
    f.data["wave"] = f.inputs.get("wave")


def _close(f: Firing) -> None:
    f.set("closed_at", f.now)


def _record_outcome(f: Firing) -> None:
    """The outcome the bundled changes close with, and what was learned."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext

    from .models import Release

    outcome = _text(f, "outcome")
    if outcome not in Release.Outcome.values:
        raise ValidationError({"outcome": gettext("Choose one of the listed outcomes.")})
    f.set("outcome", outcome, record_as="outcome")
    f.set("outcome_notes", _text(f, "notes"))
    _close(f)


def _closed(f: Firing) -> None:
    from .services.bundling import release_changes_close

    release_changes_close(release=f.record, actor=f.actor)


def _cancelled(f: Firing) -> None:
    from .services.bundling import release_changes_release
    from .services.gonogo import go_requests_cancel

    go_requests_cancel(release=f.record, reason=f.body)
    release_changes_release(release=f.record, actor=f.actor)


BUILD = Transition("build", (PLANNING,), BUILDING, _("Start building"), can_work, effect=_take,
                   event="building")  # fmt: skip
TEST = Transition("test", (BUILDING,), TESTING, _("Send to testing"), can_work, event="testing")  # fmt: skip
REBUILD = Transition("rebuild", (TESTING,), BUILDING, _("Back to building"), can_work, requires=("reason",),
                     event="rebuilding")  # fmt: skip
REQUEST_GO = Transition("request_go", (TESTING,), GO_NO_GO, _("Ask for go/no-go"), can_manage,
                        effect=_ready_for_go, after=_ask_go, event="go_no_go")  # fmt: skip
RECALL = Transition("recall", (GO_NO_GO,), TESTING, _("Withdraw the go/no-go"), can_manage,
                    requires=("reason",), after=_recalled, event="recalled")  # fmt: skip
APPROVE = Transition("approve", (GO_NO_GO,), APPROVED, _("Go"), nobody, effect=_approve, after=_approved,
                     event="approved", internal=True)  # fmt: skip
NO_GO = Transition("no_go", (GO_NO_GO,), TESTING, _("No go"), nobody, effect=_no_go, event="no_go",
                   internal=True)  # fmt: skip
DEPLOY = Transition("deploy", (APPROVED,), DEPLOYING, _("Start deploying"), can_manage,
                    accepts=("override_reason",), effect=_deploy, after=_deploying,
                    event="deploying")  # fmt: skip
DEPLOYED_ = Transition("deployed", (DEPLOYING,), DEPLOYED, _("Deployed"), nobody, effect=_deployed,
                       event="deployed", internal=True)  # fmt: skip
FAIL = Transition("fail", (DEPLOYING,), FAILED, _("Failed"), can_manage, requires=("reason",), effect=_failed,
                  event="failed")  # fmt: skip
RETRY = Transition("retry", (FAILED,), DEPLOYING, _("Retry the failed wave"), nobody, effect=_retry,
                   event="retried", internal=True)  # fmt: skip
ROLL_BACK = Transition("roll_back", ROLLBACK_STATUSES, ROLLED_BACK, _("Roll back"), nobody,
                       requires=("reason",), effect=_rollback, event="rolled_back",
                       internal=True)  # fmt: skip
CLOSE = Transition("close", CLOSABLE, CLOSED, _("Close"), can_manage, requires=("outcome",),
                   accepts=("notes",), effect=_record_outcome, after=_closed, event="closed")  # fmt: skip
CANCEL = Transition("cancel", CANCELLABLE, CANCELLED, _("Cancel"), can_manage, requires=("reason",),
                    effect=_close, after=_cancelled, event="cancelled")  # fmt: skip

WORKFLOW = Workflow(
    [BUILD, TEST, REBUILD, REQUEST_GO, RECALL, APPROVE, NO_GO, DEPLOY, DEPLOYED_, FAIL, RETRY, ROLL_BACK,
     CLOSE, CANCEL]
)  # fmt: skip
EVENTS = (
    "created",
    "updated",
    "commented",
    "work_noted",
    *dict.fromkeys(t.event for t in WORKFLOW if t.event),
    "checklist",
    "artifact_added",
    "artifact_removed",
    "artifacts_verified",
    "wave_started",
    "wave_finished",
)
