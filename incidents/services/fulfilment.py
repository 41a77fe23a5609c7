"""Fulfilment tasks: a request type's checklist, worked stage by stage, resolving the request when done.

A request gets its tasks when it may be worked: at once when its type needs no approval, else when the
approval is granted (`records._on_approval`). A stage's tasks become ready together once every earlier
stage is done, and its group is told; the last task done resolves the request through the workflow
(as the system, "request fulfilled"); reopening a task of a resolved request reopens it.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.concurrency import bump, lock
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.models import TimelineEntry, User
from servicedesk.records.services import record_lock
from servicedesk.services import audit_record
from servicedesk.services.notifications import notify
from servicedesk.services.timeline import timeline_add

from .. import workflow as wf
from ..models import FulfilmentTask, Incident, TaskTemplate
from ..notifications import TASK_READY, task_group
from ..permissions import FulfilmentTaskPolicy
from .events import incident_event
from .transitions import incident_transition

Status = FulfilmentTask.Status


def _stages(templates: list[TaskTemplate]) -> list[int]:
    """Each template's stage: a parallel one shares the previous one's, any other starts the next."""
    stages, stage = [], 0
    for index, template in enumerate(templates):
        if index and not template.parallel:
            stage += 1
        stages.append(stage)
    return stages


def _note(record, actor, event: str, **data) -> None:
    timeline_add(
        record=record,
        kind=TimelineEntry.Kind.SYSTEM,
        author=actor,
        is_public=False,
        data={"event": event, **data},
    )


def fulfilment_start(*, record: Incident, actor: User | None) -> list[FulfilmentTask]:
    """Give a request its request type's tasks (once) and make the first stage ready. Does nothing for an
    incident, a type without tasks, a request that has its tasks already or one that is no longer open.
    Runs inside the caller's transaction."""
    if not record.is_request or record.status not in wf.OPEN_STATUSES:
        return []
    if FulfilmentTask.objects.filter(record=record).exists():
        return []
    templates = list(
        TaskTemplate.objects.filter(request_type_id=record.request_type_id).order_by("position", "id")
    )
    if not templates:
        return []
    tasks = FulfilmentTask.objects.bulk_create(
        FulfilmentTask(
            record=record,
            template=template,
            position=index,
            stage=stage,
            name=template.name,
            description=template.description,
            support_group_id=template.support_group_id,
        )
        for index, (template, stage) in enumerate(zip(templates, _stages(templates), strict=True))
    )
    _note(record, actor, "tasks_created", count=len(tasks))
    _advance(record=record, actor=actor)
    return tasks


def _advance(*, record: Incident, actor: User | None) -> None:
    """Make the earliest unfinished stage ready (telling each task's group), or resolve the request when
    every task is done."""
    tasks = list(
        FulfilmentTask.objects.select_related("support_group").filter(record=record).order_by("position")
    )
    undone = [task for task in tasks if task.status != Status.DONE]
    if not tasks:
        return
    if not undone:
        if record.status in wf.OPEN_STATUSES:
            _note(record, actor, "tasks_done", count=len(tasks))
            incident_transition(
                record=record,
                actor=None,
                to=wf.RESOLVED,
                resolution_code=Incident.ResolutionCode.FULFILLED,
                resolution_notes=_("Every fulfilment task is done: %(tasks)s.")
                % {"tasks": ", ".join(task.name for task in tasks)},
            )
        return
    stage = min(task.stage for task in undone)
    now = timezone.now()
    for task in undone:
        if task.stage != stage or task.status != Status.PENDING:
            continue
        task.status = Status.READY
        task.ready_at = now
        task.save(update_fields=["status", "ready_at", bump(task)])
        data = {"task": task.name, "group": task.support_group_id, "group_name": task.support_group.name}
        notify(
            event=TASK_READY,
            record=record,
            recipients=task_group(record, actor, None, data),
            actor=actor,
            context={"data": data},
        )


def _locked(
    task: FulfilmentTask, *, actor: User, expected_version: int | None
) -> tuple[Incident, FulfilmentTask]:
    record = record_lock(task.record)
    task = lock(task, expected=expected_version)
    task.record = record
    if not FulfilmentTaskPolicy.can_work(actor, task):
        raise PermissionDenied(_("Only a member of the task's group or an agent does this task."))
    return record, task


@transaction.atomic
def fulfilment_task_complete(
    *, task: FulfilmentTask, actor: User, expected_version: int | None = None, note: str = ""
) -> FulfilmentTask:
    """Mark a ready task done; the next stage becomes ready, or the request resolves when it was the last.

    Raises PermissionDenied for someone who may not do it, Conflict (409) for a task not ready or a request
    no longer open, StaleWrite (412) when the task moved past `expected_version`.
    """
    record, task = _locked(task, actor=actor, expected_version=expected_version)
    if record.status not in wf.OPEN_STATUSES:
        raise Conflict(
            _("%(number)s is no longer open.") % {"number": record.number}, code="request_not_open"
        )
    if task.status != Status.READY:
        raise Conflict(
            _("“%(task)s” is not ready: it waits for an earlier task, or it is done already.")
            % {"task": task.name},
            code="task_not_ready",
            extra={"status": task.status},
        )
    task.status = Status.DONE
    task.completed_at = timezone.now()
    task.completed_by = actor
    task.save(update_fields=["status", "completed_at", "completed_by", bump(task)])
    _note(record, actor, "task_completed", task=task.name, note=note.strip()[:2000])
    audit_record(actor=actor, action="incident.task_completed", target=record, data={"task": task.pk})
    incident_event(record=record, event="task_completed", actor=actor, data={"task": task.name})
    _advance(record=record, actor=actor)
    return task


@transaction.atomic
def fulfilment_task_reopen(
    *, task: FulfilmentTask, actor: User, reason: str, expected_version: int | None = None
) -> FulfilmentTask:
    """Make a done task ready again, while its request is not closed: later tasks not yet done wait for it
    again, and a resolved request is reopened (as the system, with the reason).

    Raises ValidationError without a reason, PermissionDenied for someone who may not do the task, Conflict
    for a closed or cancelled request or a task not done, StaleWrite for an out-of-date `expected_version`.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the task is reopened.")})
    record, task = _locked(task, actor=actor, expected_version=expected_version)
    if record.status in wf.FINAL_STATUSES:
        raise Conflict(
            _("%(number)s is closed: its tasks cannot be reopened.") % {"number": record.number},
            code="request_closed",
        )
    if task.status != Status.DONE:
        raise Conflict(_("“%(task)s” is not done.") % {"task": task.name}, code="task_not_done")
    now = timezone.now()
    task.status = Status.READY
    task.ready_at = now
    task.completed_at = None
    task.completed_by = None
    task.save(update_fields=["status", "ready_at", "completed_at", "completed_by", bump(task)])
    later = FulfilmentTask.objects.filter(record=record, stage__gt=task.stage, status=Status.READY)
    for waiting in later.select_for_update():
        waiting.status = Status.PENDING
        waiting.ready_at = None
        waiting.save(update_fields=["status", "ready_at", bump(waiting)])
    _note(record, actor, "task_reopened", task=task.name, reason=reason[:2000])
    audit_record(actor=actor, action="incident.task_reopened", target=record, data={"task": task.pk})
    incident_event(
        record=record, event="task_reopened", actor=actor, data={"task": task.name, "reason": reason}
    )
    if record.status == wf.RESOLVED:
        incident_transition(
            record=record,
            actor=None,
            to=wf.IN_PROGRESS,
            reason=_("The task “%(task)s” was reopened: %(reason)s") % {"task": task.name, "reason": reason},
        )
    return task
