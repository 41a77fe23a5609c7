"""Reads of changes, for pages, the API and tasks."""

from django.db.models import QuerySet

from servicedesk.errors import NotFound

from .models import Change, StandardChange
from .permissions import ChangePolicy


def change_list_for_user(*, user) -> QuerySet[Change]:
    return ChangePolicy.visible_to(user).select_related("support_group", "assignee", "standard_change")


def change_get_for_user(*, user, number: str) -> Change:
    found = (
        change_list_for_user(user=user)
        .select_related("requester", "created_by")
        .filter(number=number)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def standard_change_list(*, active_only: bool = True) -> QuerySet[StandardChange]:
    rows = StandardChange.objects.select_related("support_group").prefetch_related("services")
    return rows.filter(is_active=True) if active_only else rows


def change_links(*, change: Change, user, types: list[str]) -> list:
    """The links of `change` of `types` to records `user` may see (`LinkedRecord`s, oldest first)."""
    from servicedesk.records.selectors import record_links

    return record_links(record=change, user=user, types=types)
