"""The incident and request status machine (DESIGN.md §6): who may fire which transition, and what it needs.

The transitions themselves are declared on `Incident` with django-fsm; their permission callables live
here so the same rule drives the buttons, the API's list of allowed transitions and the services' checks.
What a transition needs from the person firing it (a resolution note, a hold reason) is `TRANSITION_INPUTS`,
validated by the services before they fire it.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.approvals.selectors import approval_pending

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

# What the person firing a transition must give, by transition name.
TRANSITION_INPUTS: dict[str, list[str]] = {
    "assign": ["assignee"],
    "hold": ["hold_reason"],
    "resolve": ["resolution_code", "resolution_notes"],
    "reopen": ["reason"],
    "cancel": ["reason"],
}
# Inputs that may be given but are not required.
TRANSITION_OPTIONAL_INPUTS: dict[str, list[str]] = {
    "resolve": ["first_contact_resolution"],
    "close": ["csat_score", "csat_comment"],
    "hold": ["reason"],
}

TRANSITION_LABELS = {
    "assign": _("Assign"),
    "start": _("Start work"),
    "hold": _("Put on hold"),
    "resume": _("Resume"),
    "resolve": _("Resolve"),
    "reopen": _("Reopen"),
    "close": _("Close"),
    "cancel": _("Cancel"),
}


def is_person(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def is_requester(record, user) -> bool:
    return is_person(user) and record.requester_id == user.pk


# The right to work incidents and requests, on top of being an agent.
WORK_PERMISSION = "incidents.work_incident"


def is_agent(user) -> bool:
    """An agent (`User.is_agent`: may use the workspace, the one definition) who also holds this app's
    working right. Every "is this an agent?" about incidents and requests asks here."""
    return is_person(user) and user.is_agent and user.has_perm(WORK_PERMISSION)


def awaiting_approval(record) -> bool:
    """Does the record wait for an approval (servicedesk.approvals) before it is worked?"""
    return record.pk is not None and approval_pending(record)


def can_work(record, user) -> bool:
    """Agents work records: assign, start, hold, resume, add work notes. A record awaiting approval is
    not worked (assigned or started) until approved."""
    return is_agent(user) and not awaiting_approval(record)


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


def nobody(record, user) -> bool:
    """Internal transitions are fired by services (merge, assignment), never chosen by a person."""
    return False


# The webhook event each transition publishes (`incident.resolved`, `request.closed`...).
TRANSITION_EVENTS = {
    "assign": "assigned",
    "return_to_queue": "unassigned",
    "start": "started",
    "hold": "on_hold",
    "resume": "resumed",
    "resolve": "resolved",
    "reopen": "reopened",
    "close": "closed",
    "cancel": "cancelled",
    "close_as_duplicate": "merged",
}

# Every event a record of this app publishes, for webhook subscriptions.
EVENTS = [
    "created",
    "updated",
    "commented",
    "work_noted",
    "major_declared",
    "major_stood_down",
    *dict.fromkeys(TRANSITION_EVENTS.values()),
    "sla_warning",
    "sla_breached",
    "escalated",
]
