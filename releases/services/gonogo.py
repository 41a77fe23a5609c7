"""The go/no-go (issue 17, item 2): its checklist, its approval through the kernel, and the CMDB baseline
taken when it says go.

The checklist is complete when the tests passed (recorded by the test lead or a release manager, with
evidence among the artifacts), the back-out plan is written and the communication was sent. Asking for the
go/no-go opens one approval request (`servicedesk.approvals`) that every approver must approve: the
release manager, the test lead and the owners of the target services. When it settles the kernel calls
`go_settled`, which fires the internal `approve` (and so takes the baseline of the target CIs) or `no_go`
(back to testing, with the reason).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cmdb.models import Baseline, ConfigurationItem
from cmdb.services.baselines import baseline_take
from servicedesk.approvals.services import approval_request_open, approvals_cancel_for_record
from servicedesk.errors import PermissionDenied
from servicedesk.models import ApprovalRequest, TimelineEntry, User
from servicedesk.records.services import record_lock, record_save
from servicedesk.records.transitions import transition_fire_named
from servicedesk.services import audit_record
from servicedesk.services.timeline import timeline_add

from .. import workflow as wf
from ..models import Artifact, Release
from ..permissions import ReleasePolicy
from .events import release_publish

Status = ApprovalRequest.Status


def checklist(release: Release) -> list[dict]:
    """The go/no-go checklist, item by item: `code`, `label`, `done`, and what is missing."""
    evidence = release.artifacts.filter(role=Artifact.Role.TEST_EVIDENCE).exists()
    return [
        {
            "code": "tests_passed",
            "label": _("Tests passed, with evidence attached"),
            "done": release.tests_passed_at is not None and evidence,
            "missing": ""
            if release.tests_passed_at is not None and evidence
            else (
                _("Add the test evidence as an artifact.")
                if release.tests_passed_at is not None
                else _("Record that the tests passed.")
            ),
        },
        {
            "code": "backout_plan",
            "label": _("Back-out plan"),
            "done": bool(release.backout_plan.strip()),
            "missing": "" if release.backout_plan.strip() else _("Write the back-out plan."),
        },
        {
            "code": "communication",
            "label": _("Communication sent"),
            "done": release.communication_sent_at is not None,
            "missing": "" if release.communication_sent_at is not None else _("Record the communication."),
        },
    ]


def go_readiness_errors(release: Release) -> dict:
    """What the go/no-go needs and the release lacks, by field: the checklist, something to deploy,
    a plan to deploy it, and somebody who may decide."""
    errors = {}
    for item in checklist(release):
        if not item["done"]:
            errors[item["code"]] = item["missing"]
    if not release.artifacts.filter(role=Artifact.Role.PACKAGE).exists():
        errors["artifacts"] = _("Add at least one package to the definitive software library.")
    if not release.waves.filter(total_tasks__gt=0).exists():
        errors["waves"] = _("Plan at least one wave with its target CIs.")
    if release.assignee_id is None:
        errors["assignee"] = _("Name the release manager.")
    return errors


def go_approvers(release: Release) -> list[User]:
    """The release manager, the test lead and the owners of the target services (active people, once)."""
    people: dict[int, User] = {}
    candidates = [release.assignee, release.test_lead]
    candidates += [
        service.owner
        for service in release.services.select_related("owner").order_by("pk")
        if service.owner_id
    ]
    for person in candidates:
        if person is not None and person.is_active:
            people.setdefault(person.pk, person)
    return list(people.values())


def go_request_open(*, release: Release, actor) -> ApprovalRequest:
    """Ask for the go/no-go (inside the `request_go` transition, the release locked): every approver must
    approve; one "no" is a no-go."""
    approvers = go_approvers(release)
    if not approvers:
        raise ValidationError({"assignee": _("Nobody may decide the go/no-go: name the release manager.")})
    reason = "\n".join(f"- {item['label']}" for item in checklist(release))
    return approval_request_open(
        record=release,
        actor=actor,
        approvers=approvers,
        rule=ApprovalRequest.Rule.ALL,
        required=approvers,
        reason=reason,
        title=_("Go/no-go of %(number)s %(version)s")
        % {"number": release.number, "version": release.release_version},
    )


def go_requests_cancel(*, release: Release, reason: str = "") -> None:
    """Withdraw the release's pending go/no-go requests (recalled, or cancelled), as the system."""
    approvals_cancel_for_record(record=release, reason=reason or "")


def go_settled(*, approval: ApprovalRequest, actor) -> None:
    """The kernel's call when the go/no-go settles (the release locked by it): go, or no-go with the
    reason. A request that no longer matches the release's status (a late answer) changes nothing."""
    release = Release.objects.get(pk=approval.object_id)
    if release.status != wf.GO_NO_GO:
        return
    if approval.status == Status.APPROVED:
        transition_fire_named(record=release, actor=None, name="approve", inputs={"approval": approval.pk})
        return
    if approval.status == Status.EXPIRED:
        reason = _("Nobody decided in time: the go/no-go expired.")
    else:
        reason = approval.outcome_note or _("No go.")
    transition_fire_named(
        record=release, actor=None, name="no_go", inputs={"approval": approval.pk, "reason": reason}
    )


def release_target_ci_ids(release: Release) -> list[int]:
    """Every CI the release deploys to: its target CIs and its waves' tasks' CIs."""
    ids = set(release.target_cis.values_list("pk", flat=True))
    ids |= set(release.deployment_tasks.values_list("ci_id", flat=True))
    return sorted(ids)


def release_baseline_take(*, release: Release) -> Baseline | None:
    """The baseline of the target CIs at approval (the system's: who approves need not keep the CMDB),
    named after the release; what a rollback restores. None when the release targets no CI."""
    ids = release_target_ci_ids(release)
    if not ids:
        return None
    name = _("%(number)s %(version)s at approval") % {
        "number": release.number,
        "version": release.release_version,
    }
    if Baseline.objects.filter(name=name).exists():
        name = f"{name} ({timezone.now():%Y-%m-%d %H:%M:%S})"
    baseline = baseline_take(
        actor=None,
        name=name[:200],
        description=_("Taken automatically when %(number)s was approved at its go/no-go.")
        % {"number": release.number},
        cis=ConfigurationItem.objects.filter(pk__in=ids).only("pk"),
    )
    release.baseline = baseline
    record_save(release, ["baseline"])
    return baseline


CHECKLIST_FIELDS = ("tests_passed", "communication_sent")


@transaction.atomic
def release_checklist_update(
    *,
    release: Release,
    actor: User,
    expected_version: int | None = None,
    tests_passed: bool | None = None,
    test_summary: str | None = None,
    communication_sent: bool | None = None,
    communication_note: str | None = None,
) -> Release:
    """Tick (or untick) the checklist: the tests passed (the test lead or a release manager, with a
    summary), the communication sent (with who was told what). Raises PermissionDenied, ValidationError
    or StaleWrite."""
    release = record_lock(release, expected_version=expected_version)
    if not ReleasePolicy.can_keep_checklist(actor, release):
        raise PermissionDenied(_("You may not keep this release's checklist."))
    now = timezone.now()
    changed: dict = {}
    if tests_passed is not None and tests_passed != (release.tests_passed_at is not None):
        summary = (test_summary if test_summary is not None else release.test_summary).strip()
        if tests_passed and not summary:
            raise ValidationError({"test_summary": _("Say which tests passed.")})
        release.tests_passed_at = now if tests_passed else None
        release.tests_passed_by = actor if tests_passed else None
        changed.update(tests_passed=tests_passed)
    if test_summary is not None and test_summary.strip() != release.test_summary:
        release.test_summary = test_summary.strip()
        changed["test_summary"] = True
    if communication_sent is not None and communication_sent != (release.communication_sent_at is not None):
        note = (communication_note if communication_note is not None else release.communication_note).strip()
        if communication_sent and not note:
            raise ValidationError({"communication_note": _("Say who was told what.")})
        release.communication_sent_at = now if communication_sent else None
        release.communication_sent_by = actor if communication_sent else None
        changed["communication_sent"] = communication_sent
    if communication_note is not None and communication_note.strip() != release.communication_note:
        release.communication_note = communication_note.strip()
        changed["communication_note"] = True
    if not changed:
        return release
    record_save(
        release,
        [
            "tests_passed_at",
            "tests_passed_by",
            "test_summary",
            "communication_sent_at",
            "communication_sent_by",
            "communication_note",
        ],
    )
    data = {"event": "checklist", **changed}
    timeline_add(record=release, kind=TimelineEntry.Kind.SYSTEM, author=actor, is_public=False, data=data)
    audit_record(actor=actor, action="release.checklist", target=release, data=data)
    release_publish(record=release, event="checklist", actor=actor, data=changed)
    return release
