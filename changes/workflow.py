"""The change's status machines (DESIGN.md §9, issue 16): one transition table per type.

- **standard**: made from the catalogue, pre-approved, so it starts Submitted and goes straight to
  Scheduled; no assessment, no CAB.
- **normal**: Draft → Submitted → Assessment → Awaiting approval → Approved → Scheduled → Implementing →
  Review → Closed, with Rejected (by the CAB), Cancelled, Failed and Backed out.
- **emergency**: the emergency CAB approves it before (as a normal change, faster) or, when there is no
  time, after the fact: "implement now" starts the work at once and asks the ECAB, flagging the change
  until they decide (`Change.retro_approval`).

Approval moves (approve, reject) are internal: the kernel's approvals settle them (`records.py`).
Implementing ends Implemented (to Review), Failed or Backed out; the post-implementation review is
recorded on any of those and is what closing needs. Scheduling checks the conflicts again and refuses
while there are any, unless a change manager gives the reason it goes ahead regardless.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from servicedesk.records.workflow import Firing, Transition, Workflow, WorkflowByType, nobody

STANDARD = "standard"
NORMAL = "normal"
EMERGENCY = "emergency"
TYPES = (STANDARD, NORMAL, EMERGENCY)

DRAFT = "draft"
SUBMITTED = "submitted"
ASSESSMENT = "assessment"
AWAITING_APPROVAL = "awaiting_approval"
APPROVED = "approved"
SCHEDULED = "scheduled"
IMPLEMENTING = "implementing"
REVIEW = "review"
FAILED = "failed"
BACKED_OUT = "backed_out"
CLOSED = "closed"
REJECTED = "rejected"
CANCELLED = "cancelled"
STATUSES = (
    DRAFT, SUBMITTED, ASSESSMENT, AWAITING_APPROVAL, APPROVED, SCHEDULED, IMPLEMENTING, REVIEW, FAILED,
    BACKED_OUT, CLOSED, REJECTED, CANCELLED,
)  # fmt: skip
FINAL_STATUSES = (CLOSED, REJECTED, CANCELLED)
OPEN_STATUSES = tuple(s for s in STATUSES if s not in FINAL_STATUSES)
# On the forward schedule: what is planned to happen, or happening.
ON_SCHEDULE_STATUSES = (SCHEDULED, IMPLEMENTING)
# What conflict detection weighs a change against: every change that will, or may, take its slot.
COMMITTED_STATUSES = (APPROVED, SCHEDULED, IMPLEMENTING)
# Where the post-implementation review is recorded, and closing is possible.
REVIEWABLE_STATUSES = (REVIEW, FAILED, BACKED_OUT)
# Before approval the plans, dates and classification may change freely.
PLANNING_STATUSES = (DRAFT, SUBMITTED, ASSESSMENT)
CANCELLABLE = (DRAFT, SUBMITTED, ASSESSMENT, AWAITING_APPROVAL, APPROVED, SCHEDULED)

WORK_PERMISSION = "changes.work_change"
MANAGE_PERMISSION = "changes.manage_change"


def _policy():
    from .permissions import ChangePolicy

    return ChangePolicy


def can_work(record, user) -> bool:
    return _policy().is_agent(user)


def can_manage(record, user) -> bool:
    return _policy().is_manager(user)


def can_submit(record, user) -> bool:
    """The requester submits their own draft; agents of changes submit anyone's."""
    return _policy().is_agent(user) or _policy().is_requester(user, record)


def can_cancel(record, user) -> bool:
    """Change managers cancel any unfinished change; its requester withdraws it before it is assessed."""
    if _policy().is_manager(user):
        return True
    return record.status in (DRAFT, SUBMITTED) and (
        _policy().is_requester(user, record) or _policy().is_agent(user)
    )


def can_close(record, user) -> bool:
    """Change managers close; a standard change is closed by whoever works it (a pipeline)."""
    return _policy().is_manager(user) or (record.change_type == STANDARD and _policy().is_agent(user))


def _text(f: Firing, name: str) -> str:
    value = f.inputs.get(name)
    return value.strip() if isinstance(value, str) else ""


def _take(f: Firing) -> None:
    """The manager who assesses a change owns it unless someone does already."""
    if f.record.assignee_id is None and not f.by_system:
        f.set("assignee", f.actor)
        f.data["assignee"] = f.actor.pk


def _ready_for_approval(f: Firing) -> None:
    """Plans, dates and the risk assessment, all before anyone is asked to approve."""
    from .services.assessment import approval_readiness_errors

    errors = approval_readiness_errors(f.record)
    if errors:
        raise ValidationError(errors)
    _take(f)


def _ask_cab(f: Firing) -> None:
    from .services.cab import cab_request_open

    cab_request_open(change=f.record, actor=f.actor)


def _withdraw(f: Firing) -> None:
    from .services.cab import cab_requests_cancel

    cab_requests_cancel(change=f.record, actor=f.actor, reason=f.body)


def _schedule(f: Firing) -> None:
    """The change's slot, checked again: refused while it conflicts, unless a change manager says why it
    goes ahead (recorded on the change, the timeline and the audit)."""
    from .conflicts import schedule_check

    schedule_check(f)


def _start(f: Firing) -> None:
    f.set("actual_start", f.now)
    f.set("actual_end", None)


def _started(f: Firing) -> None:
    from .services.implementation import implementation_started

    implementation_started(change=f.record, actor=f.actor, maintenance=f.inputs.get("maintenance"))


def _implement_now(f: Firing) -> None:
    """An emergency done first: the ECAB is asked after the fact, within the configured time."""
    from .services.assessment import approval_readiness_errors

    errors = approval_readiness_errors(f.record, need_dates=False, need_risk=False)
    if errors:
        raise ValidationError(errors)
    _take(f)
    _start(f)


def _implemented_now(f: Firing) -> None:
    from .services.cab import cab_request_open

    cab_request_open(change=f.record, actor=f.actor, after_the_fact=True)
    _started(f)


def _end(f: Firing) -> None:
    f.set("actual_end", f.now)


def _fail(f: Firing) -> None:
    _end(f)
    f.set("failure_reason", f.body)


def _back_out(f: Firing) -> None:
    if f.record.actual_end is None:
        _end(f)
    f.set("backout_reason", f.body)


def _ended(f: Firing) -> None:
    from .services.implementation import implementation_ended

    implementation_ended(change=f.record, actor=f.actor)


def _reviewed(record):
    """Closing needs the post-implementation review."""
    if not record.review_outcome:
        return _("Record the post-implementation review before closing the change.")
    return None


def _close(f: Firing) -> None:
    f.set("closed_at", f.now)


def _cancelled(f: Firing) -> None:
    from .services.cab import cab_requests_cancel

    cab_requests_cancel(change=f.record, actor=f.actor, reason=f.body)


def _approve(f: Firing) -> None:
    f.data["approval"] = f.inputs.get("approval")


SUBMIT = Transition("submit", (DRAFT,), SUBMITTED, _("Submit"), can_submit, event="submitted")
ASSESS = Transition("assess", (SUBMITTED,), ASSESSMENT, _("Start the assessment"), can_manage, effect=_take,
                    event="assessment")  # fmt: skip
REQUEST_APPROVAL = Transition(
    "request_approval", (ASSESSMENT,), AWAITING_APPROVAL, _("Send to the CAB"), can_manage,
    effect=_ready_for_approval, after=_ask_cab, event="awaiting_approval",
)  # fmt: skip
WITHDRAW = Transition("withdraw", (AWAITING_APPROVAL,), ASSESSMENT, _("Withdraw from the CAB"), can_manage,
                      requires=("reason",), after=_withdraw, event="withdrawn")  # fmt: skip
APPROVE = Transition("approve", (AWAITING_APPROVAL,), APPROVED, _("Approve"), nobody, effect=_approve,
                     event="approved", internal=True)  # fmt: skip
REJECT = Transition("reject", (AWAITING_APPROVAL,), REJECTED, _("Reject"), nobody, effect=_close,
                    event="rejected", internal=True)  # fmt: skip
SCHEDULE = Transition("schedule", (APPROVED,), SCHEDULED, _("Schedule"), can_manage,
                      accepts=("override_reason",), effect=_schedule, event="scheduled")  # fmt: skip
START = Transition("start", (SCHEDULED,), IMPLEMENTING, _("Start implementing"), can_work,
                   accepts=("maintenance",), effect=_start, after=_started, event="implementing")  # fmt: skip
IMPLEMENTED = Transition("implemented", (IMPLEMENTING,), REVIEW, _("Implemented"), can_work, effect=_end,
                         after=_ended, event="implemented")  # fmt: skip
FAIL = Transition("fail", (IMPLEMENTING,), FAILED, _("Failed"), can_work, requires=("reason",), effect=_fail,
                  after=_ended, event="failed")  # fmt: skip
BACK_OUT = Transition("back_out", (IMPLEMENTING, FAILED), BACKED_OUT, _("Backed out"), can_work,
                      requires=("reason",), effect=_back_out, after=_ended, event="backed_out")  # fmt: skip
CLOSE = Transition("close", REVIEWABLE_STATUSES, CLOSED, _("Close"), can_close, guard=_reviewed,
                   effect=_close, event="closed")  # fmt: skip
CANCEL = Transition("cancel", CANCELLABLE, CANCELLED, _("Cancel"), can_cancel, requires=("reason",),
                    effect=_close, after=_cancelled, event="cancelled")  # fmt: skip

NORMAL_WORKFLOW = Workflow(
    [SUBMIT, ASSESS, REQUEST_APPROVAL, WITHDRAW, APPROVE, REJECT, SCHEDULE, START, IMPLEMENTED, FAIL,
     BACK_OUT, CLOSE, CANCEL]
)  # fmt: skip
STANDARD_WORKFLOW = Workflow(
    [
        Transition("schedule", (SUBMITTED,), SCHEDULED, _("Schedule"), can_work, accepts=("override_reason",),
                   effect=_schedule, event="scheduled"),
        START, IMPLEMENTED, FAIL, BACK_OUT, CLOSE,
        Transition("cancel", (SUBMITTED, SCHEDULED), CANCELLED, _("Cancel"), can_work, requires=("reason",),
                   effect=_close, event="cancelled"),
    ]
)  # fmt: skip
EMERGENCY_WORKFLOW = Workflow(
    [
        Transition("request_approval", (SUBMITTED,), AWAITING_APPROVAL, _("Send to the emergency CAB"),
                   can_manage, effect=_ready_for_approval, after=_ask_cab, event="awaiting_approval"),
        Transition("implement_now", (SUBMITTED,), IMPLEMENTING, _("Implement now, approve after"), can_manage,
                   requires=("reason",), accepts=("maintenance",), effect=_implement_now,
                   after=_implemented_now, event="implementing"),
        Transition("recall", (AWAITING_APPROVAL,), SUBMITTED, _("Withdraw from the emergency CAB"),
                   can_manage, requires=("reason",), after=_withdraw, event="withdrawn"),
        APPROVE, REJECT, SCHEDULE, START, IMPLEMENTED, FAIL, BACK_OUT, CLOSE,
        Transition("cancel", (SUBMITTED, AWAITING_APPROVAL, APPROVED, SCHEDULED), CANCELLED, _("Cancel"),
                   can_manage, requires=("reason",), effect=_close, after=_cancelled, event="cancelled"),
    ]
)  # fmt: skip
WORKFLOW = WorkflowByType(
    {STANDARD: STANDARD_WORKFLOW, NORMAL: NORMAL_WORKFLOW, EMERGENCY: EMERGENCY_WORKFLOW}, key="change_type"
)
EVENTS = (
    "created",
    "updated",
    "commented",
    "work_noted",
    *dict.fromkeys(t.event for t in WORKFLOW if t.event),
    "reviewed",
    "conflicts_overridden",
    "assessed",
    "retro_approval",
)
