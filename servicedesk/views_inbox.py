"""The notification centre: the bell's count and panel (htmx fragments), the full list, opening one."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from .errors import NotFound
from .notifications.inbox import (
    in_app_notification_get_for_user,
    in_app_notification_list_for_user,
    in_app_panel,
)
from .notifications.registry import notification_event_headline
from .pagination import CappedPaginator
from .services.notifications_in_app import in_app_notification_read, in_app_notifications_read_all

PER_PAGE = 25


def _decorate(rows):
    for row in rows:
        row.headline = notification_event_headline(row.event)
    return rows


@login_required
@require_GET
def notification_list(request):
    """Every notification of the signed-in person, newest first, 25 a page; `?unread=1`: unread only."""
    unread_only = request.GET.get("unread") == "1"
    rows = in_app_notification_list_for_user(user=request.user, unread_only=unread_only)
    page = CappedPaginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    _decorate(page.object_list)
    return render(
        request,
        "servicedesk/inbox/list.html",
        {"page": page, "unread_only": unread_only, "query": "unread=1" if unread_only else ""},
    )


@login_required
@require_GET
def notification_panel(request):
    """The bell's dropdown: the latest few."""
    return render(
        request, "servicedesk/inbox/_panel.html", {"rows": _decorate(in_app_panel(user=request.user))}
    )


@login_required
@require_GET
def notification_badge(request):
    """The bell's count, polled every minute."""
    return render(request, "servicedesk/inbox/_badge.html")


@login_required
@require_GET
def notification_open(request, pk: int):
    """Mark the notification read and go to its record (or to the list when it links nowhere)."""
    try:
        notification = in_app_notification_get_for_user(user=request.user, pk=pk)
    except NotFound:
        return redirect("notification_list")
    in_app_notification_read(notification=notification)
    url = notification.url
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return redirect(url)
    return redirect("notification_list")


@login_required
@require_POST
def notification_read_all(request):
    """Mark every notification read: the panel again (htmx, with the count) or back to the list."""
    in_app_notifications_read_all(user=request.user)
    if request.htmx:
        request._in_app_unread = 0
        rows = _decorate(in_app_panel(user=request.user))
        return render(request, "servicedesk/inbox/_panel.html", {"rows": rows, "with_badge": True})
    if request.POST.get("unread") == "1":
        return redirect(reverse("notification_list") + "?unread=1")
    return redirect("notification_list")
