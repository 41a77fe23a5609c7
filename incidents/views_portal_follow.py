"""Following a record from the portal (issue 19, item 5): a requester follows an outage (an open major
incident) instead of filing a duplicate of it, and stops following it. The kernel's watchers do the work
(`servicedesk.services.watchers`); the follower is then told of its public updates by e-mail."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.errors import ApplicationError, PermissionDenied
from servicedesk.services.watchers import watcher_add, watcher_remove

from .selectors_portal import incident_followable_get


def _back(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("incidents:portal")


def _followable(request, number):
    if not request.user.has_perm("servicedesk.access_portal"):
        raise PermissionDenied(_("You may not use the self-service portal."))
    record = incident_followable_get(user=request.user, number=number)
    if record is None:
        raise Http404()
    return record


@login_required
@require_POST
def follow(request, number):
    """Watch the record: its public updates come by e-mail, and it is listed under "Following"."""
    record = _followable(request, number)
    try:
        watcher_add(record=record, user=request.user, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("You follow %(number)s: you will receive its updates by e-mail. Nothing new was filed.")
            % {"number": record.number},
        )
    return _back(request)


@login_required
@require_POST
def unfollow(request, number):
    """Stop watching the record (a no-op for someone who did not watch it)."""
    record = _followable(request, number)
    try:
        watcher_remove(record=record, user=request.user, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("You no longer follow %(number)s.") % {"number": record.number})
    return _back(request)
