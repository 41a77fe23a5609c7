"""The chore's transition table: every feature of the kernel's engine, once."""

from servicedesk.errors import Conflict
from servicedesk.records.workflow import Firing, Transition, Workflow, nobody

OPEN = "open"
DOING = "doing"
DONE = "done"
DROPPED = "dropped"
FINAL_STATUSES = (DONE, DROPPED)
WORK_PERMISSION = "kernelkind.work_chore"


def can_work(record, user) -> bool:
    from .policy import ChorePolicy

    return ChorePolicy.is_agent(user)


def can_drop(record, user) -> bool:
    """The requester drops their own chore; an agent any."""
    from .policy import ChorePolicy

    return ChorePolicy.is_requester(user, record) or ChorePolicy.is_agent(user)


def needs_check(record) -> str | None:
    """A guard: a chore is finished only once it was checked."""
    return None if record.checked else "Check the chore before finishing it."


def drop_refusal(record, user):
    return Conflict("Only its requester or an agent drops a chore.", code="not_yours")


def _start(f: Firing) -> None:
    if f.record.assignee_id is None and not f.by_system:
        f.set("assignee", f.actor)
        f.data["assignee"] = f.actor.pk


def _finish(f: Firing) -> None:
    f.set("outcome", f.inputs["outcome"].strip())
    f.set("resolved_at", f.now)
    f.body = f.record.outcome


def _drop(f: Firing) -> None:
    f.set("closed_at", f.now)


AFTER_CALLS = []  # what `after` saw, for the tests


def _after_finish(f: Firing) -> None:
    AFTER_CALLS.append((f.record.number, f.record.status))


WORKFLOW = Workflow(
    [
        Transition("start", (OPEN,), DOING, "Start", can_work, effect=_start, event="started"),
        Transition(
            "finish",
            (OPEN, DOING),
            DONE,
            "Finish",
            can_work,
            requires=("outcome",),
            guard=needs_check,
            effect=_finish,
            after=_after_finish,
            event="finished",
        ),
        Transition(
            "drop",
            (OPEN, DOING),
            DROPPED,
            "Drop",
            can_drop,
            requires=("reason",),
            accepts=("note",),
            effect=_drop,
            refusal=drop_refusal,
            event="dropped",
        ),
        Transition("reset", (DOING,), OPEN, "Reset", nobody, internal=True),
    ]
)
