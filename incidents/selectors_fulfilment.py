"""Reads of catalogue forms and fulfilment tasks: a request's answers and tasks, a group's task list."""

from django.db.models import QuerySet

from servicedesk.errors import NotFound

from . import workflow as wf
from .models import FulfilmentTask, Incident
from .permissions import FulfilmentTaskPolicy
from .request_forms import form_answers_display

TASK_TABS = ("mine", "all")


def request_form_answers(*, record: Incident) -> list[dict]:
    """The record's answers to its request type's form, shown (at most two queries)."""
    if not record.form_data or record.request_type_id is None:
        return []
    return form_answers_display(record.request_type.form_schema, record.form_data)


def request_tasks(*, record: Incident) -> list[FulfilmentTask]:
    if not record.is_request:
        return []
    return list(
        FulfilmentTask.objects.filter(record=record)
        .select_related("support_group", "completed_by")
        .order_by("position")
    )


def user_group_ids(user) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(user.support_groups.values_list("pk", flat=True))


def request_fulfilment_context(*, record: Incident, user) -> dict:
    """What a record page shows of the form and the tasks, and which tasks `user` may work (constant
    queries: the answers' people and CIs, the tasks, the user's groups)."""
    tasks = request_tasks(record=record)
    group_ids = user_group_ids(user) if tasks else set()
    for task in tasks:
        task.can_work = FulfilmentTaskPolicy.can_work(user, task, group_ids=group_ids)
        task.can_complete = task.can_work and task.is_ready and record.status in wf.OPEN_STATUSES
        task.can_reopen = task.can_work and task.is_done and record.status not in wf.FINAL_STATUSES
    return {
        "form_answers": request_form_answers(record=record),
        "tasks": tasks,
        "tasks_done": sum(1 for task in tasks if task.is_done),
    }


def fulfilment_task_list_for_user(*, user, tab: str = "mine") -> QuerySet[FulfilmentTask]:
    """Ready tasks of open requests that `user` may work: of their groups (`mine`) or every one they may
    work (`all`), the longest waiting first."""
    tasks = FulfilmentTaskPolicy.tasks_visible_to(user).filter(
        status=FulfilmentTask.Status.READY, record__status__in=wf.OPEN_STATUSES
    )
    if tab == "mine":
        tasks = tasks.filter(support_group__in=user.support_groups.all())
    return tasks.select_related("record", "support_group").order_by("ready_at", "pk")


def fulfilment_task_get_for_user(*, user, pk) -> FulfilmentTask:
    """A task `user` may work, with its record and group; NotFound otherwise."""
    task = (
        FulfilmentTaskPolicy.tasks_visible_to(user)
        .select_related("record", "support_group")
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise NotFound()
    return task
