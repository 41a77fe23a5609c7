"""The problem's status machine (DESIGN.md §7): problem control (new, investigating), error control (known
error), then the fix (resolved, closed); cancelled for what was no problem after all.

A known error needs its root cause and a workaround, or "no workaround" said in so many words; a resolution
needs the fix (a free text now, a change once changes exist). Problem managers close and cancel; agents who
work problems do the rest.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from servicedesk.records.transitions import input_flag
from servicedesk.records.workflow import Firing, Transition, Workflow

NEW = "new"
INVESTIGATING = "investigating"
KNOWN_ERROR = "known_error"
RESOLVED = "resolved"
CLOSED = "closed"
CANCELLED = "cancelled"
FINAL_STATUSES = (CLOSED, CANCELLED)
OPEN_STATUSES = (NEW, INVESTIGATING, KNOWN_ERROR)
WORK_PERMISSION = "problems.work_problem"
MANAGE_PERMISSION = "problems.manage_problem"
RCA_INPUTS = ("root_cause", "workaround", "no_workaround")


def can_work(record, user) -> bool:
    from .permissions import ProblemPolicy

    return ProblemPolicy.is_agent(user)


def can_manage(record, user) -> bool:
    from .permissions import ProblemPolicy

    return ProblemPolicy.is_manager(user)


def _text(f: Firing, name: str) -> str:
    value = f.inputs.get(name)
    return value.strip() if isinstance(value, str) else ""


def _start(f: Firing) -> None:
    if f.record.assignee_id is None and not f.by_system:
        f.set("assignee", f.actor)
        f.data["assignee"] = f.actor.pk


def _known_error(f: Firing) -> None:
    """Root cause and workaround (or "none") from the inputs, over what the record holds already."""
    for name in ("root_cause", "workaround"):
        if _text(f, name):
            f.set(name, _text(f, name))
    if "no_workaround" in f.inputs:
        f.set("no_workaround", input_flag(f.inputs["no_workaround"]))
    errors = {}
    if not f.record.root_cause.strip():
        errors["root_cause"] = _("A known error needs its root cause.")
    if not f.record.workaround.strip() and not f.record.no_workaround:
        errors["workaround"] = _("Give the workaround, or say there is none.")
    if errors:
        raise ValidationError(errors)
    f.data["workaround"] = bool(f.record.workaround.strip())


def _resolve(f: Firing) -> None:
    f.set("fix", _text(f, "fix"))
    f.set("resolved_at", f.now)
    f.body = f.record.fix


def _reopen(f: Firing) -> None:
    f.set("resolved_at", None)


def _close(f: Firing) -> None:
    f.set("closed_at", f.now)


WORKFLOW = Workflow(
    [
        Transition("investigate", (NEW,), INVESTIGATING, _("Start investigating"), can_work, effect=_start,
                   event="investigating"),
        Transition("known_error", (NEW, INVESTIGATING), KNOWN_ERROR, _("Record the known error"), can_work,
                   accepts=RCA_INPUTS, effect=_known_error, event="known_error"),
        Transition("resolve", (INVESTIGATING, KNOWN_ERROR), RESOLVED, _("Resolve"), can_work,
                   requires=("fix",), effect=_resolve, event="resolved"),
        Transition("reopen", (RESOLVED,), INVESTIGATING, _("Reopen"), can_work, requires=("reason",),
                   effect=_reopen, event="reopened"),
        Transition("close", (RESOLVED,), CLOSED, _("Close"), can_manage, effect=_close, event="closed"),
        Transition("cancel", (NEW, INVESTIGATING, KNOWN_ERROR), CANCELLED, _("Cancel"), can_manage,
                   requires=("reason",), effect=_close, event="cancelled"),
    ]
)  # fmt: skip
EVENTS = (
    "created",
    "updated",
    "commented",
    "work_noted",
    *dict.fromkeys(t.event for t in WORKFLOW if t.event),
    "known_error_published",
    "known_error_retired",
    "workaround_applied",
)
