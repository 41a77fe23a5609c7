"""Agent entry: a record filed on behalf of a caller (phone by default)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from servicedesk.form_errors import apply_service_errors
from servicedesk.models import User

from . import services
from .forms_record import AssignForm, DeskEntryForm
from .forms_workspace import BulkForm
from .views_workspace import agent_required

SEARCH_LIMIT = 20
# The forms whose assignee menu follows their group (`forms_workspace.GroupAssigneeMixin`).
ASSIGNEE_FORMS = {"assign": AssignForm, "entry": DeskEntryForm, "bulk": BulkForm}


@agent_required
def desk_new(request):
    """File an incident or request for a requester; the service checks who may file for whom."""
    form = DeskEntryForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.incident_create(actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(number)s was filed for %(name)s.")
                % {"number": record.number, "name": record.requester.get_full_name()},
            )
            return redirect("record", record.number)
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


@agent_required
@require_GET
def assignee_options(request):
    """The assignee menu of one of `ASSIGNEE_FORMS` (`form`) for the group just chosen: its members,
    keeping the person already chosen if they are one (htmx, on the group's change)."""
    form_class = ASSIGNEE_FORMS.get(request.GET.get("form", ""))
    if form_class is None:
        raise Http404
    chosen = form_class(request.GET)
    group, person = chosen.chosen("support_group"), chosen.chosen("assignee")
    if group is not None and person is not None and not group.members.filter(pk=person.pk).exists():
        person = None
    form = form_class(initial={"support_group": group, "assignee": person})
    return render(request, "incidents/workspace/_assignee_field.html", {"field": form["assignee"]})
