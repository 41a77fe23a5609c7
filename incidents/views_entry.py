"""Agent entry: a record filed on behalf of a caller (phone by default)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from servicedesk.models import User

from . import services
from .forms_record import DeskEntryForm, apply_errors
from .views_workspace import agent_required

SEARCH_LIMIT = 20


@agent_required
def desk_new(request):
    """File an incident or request for a requester; the service checks who may file for whom."""
    form = DeskEntryForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.incident_create(actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(number)s was filed for %(name)s.")
                % {"number": record.number, "name": record.requester.get_full_name()},
            )
            return redirect("incidents:detail", record.number)
    status = 400 if form.is_bound else 200
    return render(request, "incidents/workspace/new.html", {"form": form}, status=status)


@agent_required
@require_GET
def requester_search(request):
    """People whose name, user name or e-mail matches, as options for the requester field (htmx)."""
    text = request.GET.get("requester_q", "").strip()
    people = User.objects.none()
    if text:
        people = User.objects.filter(is_active=True).select_related("organisation")
        for word in text.split()[:5]:
            people = people.filter(
                Q(full_name__icontains=word) | Q(username__icontains=word) | Q(email__icontains=word)
            )
        people = people.order_by("full_name", "username")[:SEARCH_LIMIT]
    return render(request, "incidents/workspace/_requester_options.html", {"people": people, "q": text})
