"""The record kind this app registers with the kernel: problems (PRB)."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from servicedesk.kinds import RecordKind
from servicedesk.records.cis import CIRelation

from .notifications import NOTIFICATION_RULES, problem_publish_event
from .permissions import ProblemPolicy
from .workflow import EVENTS, OPEN_STATUSES, WORKFLOW


def _get_problem(*, user, number):
    from .selectors import problem_get_for_user

    return problem_get_for_user(user=user, number=number)


def _page(request, record):
    from .views_record import problem_page

    return problem_page(request, record)


def _list_url(words: str) -> str:
    """The problem list; with words, every problem matching them."""
    url = reverse("problems:list")
    return f"{url}?{urlencode({'view': 'all', 'q': words})}" if words else url


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
    api_path="problems",
    api_viewset="problems.api.views.ProblemViewSet",
    get_for_user=_get_problem,
    represent=_represent,
    events=tuple(EVENTS),
    policy=ProblemPolicy,
    workflow=WORKFLOW,
    open_statuses=tuple(OPEN_STATUSES),
    page=_page,
    list_url=_list_url,
    notifications=NOTIFICATION_RULES,
    publish=problem_publish_event,
)

# The CIs its records name, for the CI page (servicedesk.records.cis).
CI_RELATIONS = (
    CIRelation(kind="problem", field="affected_cis", label=_("Affected")),
    CIRelation(kind="problem", field="contributing_cis", label=_("Contributing")),
)
