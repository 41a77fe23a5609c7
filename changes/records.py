"""The record kind this app registers with the kernel: changes (CHG)."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from servicedesk.kinds import RecordKind
from servicedesk.records.cis import CIRelation

from .notifications import NOTIFICATION_RULES
from .permissions import ChangePolicy
from .workflow import EVENTS, OPEN_STATUSES, WORKFLOW


def _get_change(*, user, number):
    from .selectors import change_get_for_user

    return change_get_for_user(user=user, number=number)


def _page(request, record):
    from .views_record import change_page

    return change_page(request, record)


def _list_url(words: str) -> str:
    """The change list; with words, every change matching them."""
    url = reverse("changes:list")
    return f"{url}?{urlencode({'view': 'all', 'q': words})}" if words else url


def _represent(record) -> dict:
    """The change as webhooks carry it: what an integration needs to act on it."""
    return {
        "number": record.number,
        "title": record.title,
        "type": record.change_type,
        "status": record.status,
        "risk": record.risk_level,
        "priority": record.priority,
        "planned_start": record.planned_start.isoformat() if record.planned_start else None,
        "planned_end": record.planned_end.isoformat() if record.planned_end else None,
        "support_group": record.support_group_id,
        "assignee": record.assignee_id,
        "version": record.version,
    }


def _on_approval(approval, actor) -> None:
    from .services.cab import cab_settled

    cab_settled(approval=approval, actor=actor)


def _publish(**kwargs) -> None:
    from .notifications import change_publish_event

    change_publish_event(**kwargs)


CHANGE_KIND = RecordKind(
    code="change",
    prefix="CHG",
    label=_("Change"),
    model="changes.Change",
    api_path="changes",
    api_viewset="changes.api.views.ChangeViewSet",
    get_for_user=_get_change,
    represent=_represent,
    events=tuple(EVENTS),
    policy=ChangePolicy,
    workflow=WORKFLOW,
    open_statuses=tuple(OPEN_STATUSES),
    page=_page,
    list_url=_list_url,
    notifications=NOTIFICATION_RULES,
    on_approval=_on_approval,
    publish=_publish,
)

# The CIs its records name, for the CI page (servicedesk.records.cis).
CI_RELATIONS = (CIRelation(kind="change", field="affected_cis", label=_("Affected")),)
