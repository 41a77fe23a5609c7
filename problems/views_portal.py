"""The portal's deflection (issue 15, item 4): the suggestions shown under the title of a new incident
(the slot "portal_new_incident" of `incidents`), and "this solved it"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cmdb.selectors import business_service_list
from servicedesk.errors import PermissionDenied
from servicedesk.services.watchers import watcher_add

from .deflection import (
    deflection_accept,
    deflection_record_shown,
    deflection_suggestions,
    deflection_token,
    open_major_incident_get,
    portal_known_error_get,
)

TOKEN_FIELD = "deflection_token"


def may_use_portal(user) -> bool:
    return user.is_authenticated and user.has_perm("servicedesk.access_portal")


def _require_portal(user) -> None:
    if not may_use_portal(user):
        raise PermissionDenied(_("You may not use the self-service portal."))


def deflection_slot_context(request, form=None, **values) -> dict | None:
    """The slot's content for the new-incident form: its token (kept when the form comes back with
    errors), and whether to ask for suggestions straight away (a title is typed already)."""
    if not may_use_portal(request.user):
        return None
    given = request.POST.get(TOKEN_FIELD, "") if request.method == "POST" else ""
    title = form["title"].value() if form is not None and "title" in form.fields else ""
    return {"deflection_token": deflection_token(request, given), "suggest_now": bool((title or "").strip())}


@login_required
@require_GET
def suggestions(request):
    """What the portal knows of the title typed (htmx, debounced): workarounds published to the portal
    and open major incidents on the chosen service. Counts each as shown once per form."""
    _require_portal(request.user)
    service = None
    service_id = request.GET.get("service", "")
    if service_id.isdigit():
        service = business_service_list().filter(pk=service_id).first()
    found = deflection_suggestions(user=request.user, text=request.GET.get("title", ""), service=service)
    deflection_record_shown(request=request, token=request.GET.get(TOKEN_FIELD, ""), suggestions=found)
    return render(request, "problems/portal/_suggestions.html", found)


@login_required
@require_POST
def solved(request):
    """ "This solved it": nothing is filed, the suggestion is counted, and the requester goes back to the
    portal. A known error not published to the portal, or a major incident no longer open, is a 404."""
    _require_portal(request.user)
    known_error = major_incident = None
    follow = False
    if "known_error" in request.POST:
        known_error = portal_known_error_get(request.POST["known_error"])
        if known_error is None:
            raise Http404()
    else:
        follow = "follow_major_incident" in request.POST
        major_incident = open_major_incident_get(
            request.POST.get("follow_major_incident" if follow else "major_incident")
        )
        if major_incident is None:
            raise Http404()
    deflection_accept(
        request=request,
        token=request.POST.get(TOKEN_FIELD, ""),
        known_error=known_error,
        major_incident=major_incident,
    )
    if known_error is not None:
        message = _("Glad that solved it. Nothing was filed; if it comes back, report it here.")
    elif follow:
        watcher_add(record=major_incident, user=request.user, actor=request.user)
        message = _("Nothing was filed: you follow %(number)s and will receive its updates by e-mail.") % {
            "number": major_incident.number
        }
    else:
        message = _(
            "Nothing was filed: the service desk is working on it and will tell everyone when it is fixed."
        )
    messages.success(request, message)
    return redirect("incidents:portal")


def register_deflection_slot() -> None:
    """Put the suggestions under the title of the portal's new-incident form, and count filing anyway."""
    from servicedesk.slots import SlotContent, register_slot_content

    from .deflection import deflection_filed

    register_slot_content(
        SlotContent(
            slot="portal_new_incident",
            name="problems.deflection",
            template="problems/portal/_deflection.html",
            context=deflection_slot_context,
            on_submit=deflection_filed,
        )
    )
