"""The incident and request status machine (DESIGN.md §6), declared once as `WORKFLOW`, the kind's
transition table: who may fire each transition, what it needs, what it does to the record and which event
it publishes. The kernel's engine (`servicedesk.records.transitions`) fires it; the buttons, their forms,
the API's allowed transitions and its 409s all read this table.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from servicedesk.approvals.selectors import approval_pending
from servicedesk.errors import Conflict
from servicedesk.records.policy import is_agent_of, is_person
from servicedesk.records.transitions import input_choice, input_flag
from servicedesk.records.workflow import Firing, Transition, Workflow, nobody

NEW = "new"
ASSIGNED = "assigned"
IN_PROGRESS = "in_progress"
ON_HOLD = "on_hold"
RESOLVED = "resolved"
CLOSED = "closed"
CANCELLED = "cancelled"

STATUSES = [NEW, ASSIGNED, IN_PROGRESS, ON_HOLD, RESOLVED, CLOSED, CANCELLED]
OPEN_STATUSES = [NEW, ASSIGNED, IN_PROGRESS, ON_HOLD]
ACTIVE_STATUSES = [*OPEN_STATUSES, RESOLVED]  # not yet final
FINAL_STATUSES = [CLOSED, CANCELLED]


def is_requester(record, user) -> bool:
    return is_person(user) and record.requester_id == user.pk


# The right to work incidents and requests, on top of being an agent.
WORK_PERMISSION = "incidents.work_incident"


def is_agent(user) -> bool:
    """An agent of incidents and requests (the kernel's one definition, with this app's working right)."""
    return is_agent_of(user, WORK_PERMISSION)


def awaiting_approval(record) -> bool:
    """Does the record wait for an approval (servicedesk.approvals) before it is worked?"""
    return record.pk is not None and approval_pending(record)


def can_work(record, user) -> bool:
    """Agents work records: assign, start, hold, resume, add work notes."""
    return is_agent(user)


def approval_guard(record):
    """A request awaiting approval is not taken on (assigned or started) until it is approved."""
    if awaiting_approval(record):
        return Conflict(
            gettext_now("This request is awaiting approval; it is worked once it is approved."),
            code="awaiting_approval",
        )
    return None


def can_resolve(record, user) -> bool:
    return is_person(user) and user.has_perm("incidents.resolve_incident")


def can_close(record, user) -> bool:
    """The requester confirms the resolution; an agent may close on the requester's word (by phone)."""
    return is_requester(record, user) or (is_person(user) and user.has_perm("incidents.close_incident"))


def can_cancel(record, user) -> bool:
    """The requester withdraws their own record; an agent cancels what needs no work."""
    return is_requester(record, user) or (is_person(user) and user.has_perm("incidents.cancel_incident"))


def within_reopen_window(record, now=None) -> bool:
    if record.resolved_at is None:
        return False
    window = timedelta(days=settings.ITSM_REOPEN_WINDOW_DAYS)
    return (now or timezone.now()) <= record.resolved_at + window


def can_reopen(record, user) -> bool:
    """Agents reopen at any time; the requester within ITSM_REOPEN_WINDOW_DAYS of the resolution."""
    if is_person(user) and user.has_perm("incidents.reopen_incident"):
        return True
    return is_requester(record, user) and within_reopen_window(record)


def reopen_refusal(record, user):
    """A requester past the reopen window is told to file anew, not that they lack a permission."""
    if is_requester(record, user):
        return Conflict(
            gettext_now("The time to reopen this record has passed. Please file a new one."),
            code="reopen_window_passed",
        )
    return None


# What each transition does to the record, given its inputs (checked as required by the engine first).


def _answered(f: Firing) -> None:
    """Taking a record on, or resolving it, answers it: the response target is met."""
    if f.record.responded_at is None:
        f.set("responded_at", f.now)


def _assign(f: Firing) -> None:
    from .services.common import validate_agent

    assignee = f.inputs["assignee"]
    validate_agent(assignee, group=f.record.support_group)
    f.set("assignee", assignee)
    f.data["assignee"] = assignee.pk


def _start(f: Firing) -> None:
    from .services.common import validate_agent

    if f.record.assignee_id is None and not f.by_system:
        validate_agent(f.actor, group=None)
        f.set("assignee", f.actor)
        f.data["assignee"] = f.actor.pk
    _answered(f)


def _hold(f: Firing) -> None:
    reason = input_choice(f.inputs["hold_reason"], type(f.record).HoldReason.choices, "hold_reason")
    f.set("hold_reason", reason, record_as="hold_reason")


def _resume(f: Firing) -> None:
    f.set("hold_reason", "")


def _resolve(f: Firing) -> None:
    code = input_choice(f.inputs["resolution_code"], type(f.record).ResolutionCode.choices, "resolution_code")
    f.set("resolution_code", code, record_as="resolution_code")
    f.set("resolution_notes", f.inputs["resolution_notes"].strip())
    f.set("first_contact_resolution", input_flag(f.inputs.get("first_contact_resolution", False)))
    f.set("hold_reason", "")
    f.set("resolved_at", f.now)
    f.body = f.record.resolution_notes
    _answered(f)


def _after_resolve(f: Firing) -> None:
    from .services.transitions import approvals_settle, resolve_children

    approvals_settle(f.record)
    resolve_children(f.record)


def _settle_approvals(f: Firing) -> None:
    from .services.transitions import approvals_settle

    approvals_settle(f.record)


def _reopen(f: Firing) -> None:
    f.set("reopen_count", f.record.reopen_count + 1)
    f.set("resolved_at", None)
    f.set("resolution_code", "")


def _close(f: Firing) -> None:
    from .services.transitions import apply_rating

    f.set("closed_at", f.now)
    score = f.inputs.get("csat_score")
    if score is not None and is_requester(f.record, f.actor) and f.record.csat_score is None:
        apply_rating(f.record, score, f.inputs.get("csat_comment") or "", f.now)
        f.fields |= {"csat_score", "csat_comment", "rated_at"}
        f.data["csat_score"] = f.record.csat_score


def _cancel(f: Firing) -> None:
    f.set("closed_at", f.now)
    f.set("hold_reason", "")


WORKFLOW = Workflow(
    [
        Transition(
            "assign",
            (NEW,),
            ASSIGNED,
            _("Assign"),
            can_work,
            requires=("assignee",),
            guard=approval_guard,
            effect=_assign,
            event="assigned",
        ),
        Transition(
            "start",
            (NEW, ASSIGNED),
            IN_PROGRESS,
            _("Start work"),
            can_work,
            guard=approval_guard,
            effect=_start,
            event="started",
        ),
        Transition(
            "hold",
            (ASSIGNED, IN_PROGRESS),
            ON_HOLD,
            _("Put on hold"),
            can_work,
            requires=("hold_reason",),
            accepts=("reason",),
            effect=_hold,
            event="on_hold",
        ),
        Transition("resume", (ON_HOLD,), IN_PROGRESS, _("Resume"), can_work, effect=_resume, event="resumed"),
        Transition(
            "resolve",
            tuple(OPEN_STATUSES),
            RESOLVED,
            _("Resolve"),
            can_resolve,
            requires=("resolution_code", "resolution_notes"),
            accepts=("first_contact_resolution",),
            effect=_resolve,
            after=_after_resolve,
            event="resolved",
        ),
        Transition(
            "reopen",
            (RESOLVED,),
            IN_PROGRESS,
            _("Reopen"),
            can_reopen,
            requires=("reason",),
            effect=_reopen,
            refusal=reopen_refusal,
            event="reopened",
        ),
        Transition(
            "close",
            (RESOLVED,),
            CLOSED,
            _("Close"),
            can_close,
            accepts=("csat_score", "csat_comment"),
            effect=_close,
            after=_settle_approvals,
            event="closed",
        ),
        Transition(
            "cancel",
            tuple(OPEN_STATUSES),
            CANCELLED,
            _("Cancel"),
            can_cancel,
            requires=("reason",),
            effect=_cancel,
            after=_settle_approvals,
            event="cancelled",
        ),
        # Fired by services that record the change themselves (routing, merging), never by a person.
        Transition(
            "return_to_queue",
            (ASSIGNED,),
            NEW,
            _("Return to the queue"),
            nobody,
            event="unassigned",
            internal=True,
        ),
        Transition(
            "close_as_duplicate",
            tuple(ACTIVE_STATUSES),
            CLOSED,
            _("Close as a duplicate"),
            nobody,
            event="merged",
            internal=True,
        ),
    ]
)

# Every event a record of this app publishes, for webhook subscriptions.
EVENTS = [
    "created",
    "updated",
    "commented",
    "work_noted",
    "major_declared",
    "major_stood_down",
    *dict.fromkeys(t.event for t in WORKFLOW),
    "sla_warning",
    "sla_breached",
    "escalated",
    "task_completed",
    "task_reopened",
]
