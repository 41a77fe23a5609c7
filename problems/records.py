"""The record kind this app registers with the kernel: problems (PRB)."""

from django.utils.translation import gettext_lazy as _

from servicedesk.kinds import RecordKind

from .notifications import NOTIFICATION_RULES, problem_publish_event
from .permissions import ProblemPolicy
from .workflow import EVENTS, OPEN_STATUSES, WORKFLOW


def _get_problem(*, user, number):
    from .selectors import problem_get_for_user

    return problem_get_for_user(user=user, number=number)


def _represent(record) -> dict:
    """The problem as `GET /api/v1/problems/{number}/` shows it, less what depends on who asks."""
    return {
        "number": record.number,
        "title": record.title,
        "status": record.status,
        "priority": record.priority,
        "service": record.service_id,
        "support_group": record.support_group_id,
        "assignee": record.assignee_id,
        "version": record.version,
    }


PROBLEM_KIND = RecordKind(
    code="problem",
    prefix="PRB",
    label=_("Problem"),
    model="problems.Problem",
    get_for_user=_get_problem,
    represent=_represent,
    events=tuple(EVENTS),
    policy=ProblemPolicy,
    workflow=WORKFLOW,
    open_statuses=tuple(OPEN_STATUSES),
    notifications=NOTIFICATION_RULES,
    publish=problem_publish_event,
)
