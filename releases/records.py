"""The record kind this app registers with the kernel: releases (REL)."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from servicedesk.kinds import RecordKind
from servicedesk.records.cis import CIRelation

from .notifications import NOTIFICATION_RULES
from .permissions import ReleasePolicy
from .workflow import EVENTS, OPEN_STATUSES, WORKFLOW


def _get_release(*, user, number):
    from .selectors import release_get_for_user

    return release_get_for_user(user=user, number=number)


def _page(request, record):
    from .views_record import release_page

    return release_page(request, record)


def _list_url(words: str) -> str:
    """The release list; with words, every release matching them."""
    url = reverse("releases:list")
    return f"{url}?{urlencode({'view': 'all', 'q': words})}" if words else url


def _represent(record) -> dict:
    """The release as webhooks carry it: what an integration needs to act on it."""
    return {
        "number": record.number,
        "title": record.title,
        "release_version": record.release_version,
        "type": record.release_type,
        "status": record.status,
        "rollback_extent": record.rollback_extent,
        "outcome": record.outcome,
        "planned_start": record.planned_start.isoformat() if record.planned_start else None,
        "planned_end": record.planned_end.isoformat() if record.planned_end else None,
        "support_group": record.support_group_id,
        "assignee": record.assignee_id,
        "baseline": record.baseline_id,
        "version": record.version,
    }


def _on_approval(approval, actor) -> None:
    from .services.gonogo import go_settled

    go_settled(approval=approval, actor=actor)


def _publish(**kwargs) -> None:
    from .notifications import release_publish_event

    release_publish_event(**kwargs)


RELEASE_KIND = RecordKind(
    code="release",
    prefix="REL",
    label=_("Release"),
    model="releases.Release",
    api_path="releases",
    api_viewset="releases.api.views.ReleaseViewSet",
    get_for_user=_get_release,
    represent=_represent,
    events=tuple(EVENTS),
    policy=ReleasePolicy,
    workflow=WORKFLOW,
    open_statuses=tuple(OPEN_STATUSES),
    page=_page,
    list_url=_list_url,
    notifications=NOTIFICATION_RULES,
    on_approval=_on_approval,
    publish=_publish,
)

# The CIs its records name, for the CI page (servicedesk.records.cis).
CI_RELATIONS = (CIRelation(kind="release", field="target_cis", label=_("Target")),)
