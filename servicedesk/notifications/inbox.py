"""Reads of the notification centre: a person's own in-app notifications, and nobody else's.

The bell's count is bounded: it counts at most `BELL_CAP` + 1 unread rows (shown as "99+") over the
partial index of unread ones, so it stays cheap on every page however much piles up.
"""

from django.db.models import QuerySet

from servicedesk.errors import NotFound
from servicedesk.models import InAppNotification

BELL_CAP = 99
PANEL_SIZE = 8


def in_app_notification_list_for_user(*, user, unread_only: bool = False) -> QuerySet[InAppNotification]:
    """The notifications of `user`, newest first, with who caused them."""
    if not getattr(user, "is_authenticated", False):
        return InAppNotification.objects.none()
    rows = InAppNotification.objects.filter(user=user).select_related("actor")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-created_at", "-id")


def in_app_notification_get_for_user(*, user, pk) -> InAppNotification:
    """One notification of `user`; NotFound for another person's, or none."""
    found = in_app_notification_list_for_user(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def in_app_unread_count(*, user, cap: int = BELL_CAP) -> int:
    """How many notifications `user` has not read, up to `cap` + 1 (one query; 0 for anonymous)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return InAppNotification.objects.filter(user=user, read_at__isnull=True).order_by()[: cap + 1].count()


def in_app_panel(*, user, size: int = PANEL_SIZE) -> list[InAppNotification]:
    """The latest notifications for the bell's panel (one query)."""
    return list(in_app_notification_list_for_user(user=user)[:size])
