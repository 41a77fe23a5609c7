"""The problem pages of the agent workspace: the list, raising a problem (blank, from an incident, from the
queue's selected incidents). The record page is `views_record`, the KEDB `views_kedb`.

Every page is for agents who may see problems; anyone else, requesters included, gets 404 (a requester
never learns problems exist). The services re-check every write.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from incidents.selectors import incident_list_for_user
from servicedesk.errors import ApplicationError
from servicedesk.form_errors import apply_service_errors
from servicedesk.pagination import CappedPaginator
from servicedesk.records.search import records_search
from servicedesk.redirects import safe_next

from . import workflow as wf
from .forms import DEFAULT_LIST_VIEW, LIST_VIEWS, ProblemFilterForm, ProblemNewForm
from .permissions import ProblemPolicy
from .records import PROBLEM_KIND
from .selectors import incident_by_number_for_user, problem_list_for_user
from .services import problem_create, problem_from_incidents

PAGE_SIZE = 50
MAX_SELECTED = 100


def may_read_problems(user) -> bool:
    """An agent of the workspace who may see problems (agents, problem managers, change managers...)."""
    return (
        user.is_authenticated
        and user.is_active
        and getattr(user, "is_agent", False)
        and user.has_perm("problems.view_problem")
    )


def problems_reader_required(view):
    """Signed in and allowed to see problems in the workspace; 404 otherwise."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_read_problems(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _filtered(user, view: str, form: ProblemFilterForm):
    rows = problem_list_for_user(user=user)
    if view == "open":
        rows = rows.filter(status__in=wf.OPEN_STATUSES)
    elif view == "mine":
        rows = rows.filter(assignee=user).exclude(status__in=wf.FINAL_STATUSES)
    data = form.cleaned_data
    for name in ("support_group", "assignee", "service"):
        if data.get(name) is not None:
            rows = rows.filter(**{name: data[name]})
    if data.get("status"):
        rows = rows.filter(status=data["status"])
    if data.get("q", "").strip():
        rows = records_search(rows, data["q"], kind=PROBLEM_KIND)
    return rows


@problems_reader_required
@require_GET
def problem_list(request):
    """The problems, a tab (open, mine, all) and filters (group, manager, service, status, words), most
    urgent first (best match first for words), paginated in SQL with a capped count. An invalid filter
    lists nothing and says why (400)."""
    view = request.GET.get("view", DEFAULT_LIST_VIEW)
    if view not in LIST_VIEWS:
        view = DEFAULT_LIST_VIEW
    form = ProblemFilterForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    if not form.is_bound:
        form.cleaned_data = {}
    rows = _filtered(request.user, view, form) if valid else problem_list_for_user(user=request.user).none()
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    filters = query.copy()
    filters.pop("view", None)
    context = {
        "view": view,
        "views": LIST_VIEWS.items(),
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "filter_query": filters.urlencode(),
        "can_file": ProblemPolicy.can_file(request.user),
    }
    return render(request, "problems/list.html", context, status=200 if valid else 400)


@problems_reader_required
def problem_new(request):
    """Raise a problem; `?incident=INC…` prefills it from that incident and links it (on both timelines).
    404 for who may not raise problems; 400 with the form's errors."""
    if not ProblemPolicy.can_file(request.user):
        raise Http404
    incident = incident_by_number_for_user(
        user=request.user, number=request.POST.get("incident") or request.GET.get("incident", "")
    )
    if request.method == "POST":
        form = ProblemNewForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("incident", None)
            try:
                record = problem_create(actor=request.user, incidents=[incident] if incident else [], **data)
            except (ValidationError, ApplicationError) as exc:
                if isinstance(exc, ValidationError):
                    apply_service_errors(form, exc)
                else:
                    form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("%(number)s was raised.") % {"number": record.number})
                return redirect("record", record.number)
        status = 400
    else:
        initial = ProblemNewForm.initial_from(incident) if incident is not None else {}
        form = ProblemNewForm(initial=initial)
        status = 200
    return render(request, "problems/new.html", {"form": form, "incident": incident}, status=status)


@problems_reader_required
@require_POST
def problem_from_queue(request):
    """The queue's bulk action "Create a problem from these incidents": the selected incidents (that the
    agent may see) linked to one new problem, titled after the first; then its page. Back to the queue with
    why when nothing was selected or the service refused."""
    back = safe_next(request, reverse("incidents:queue"))
    if not ProblemPolicy.can_file(request.user):
        raise Http404
    ids = [int(pk) for pk in request.POST.getlist("bulk-records") if pk.isdigit()][:MAX_SELECTED]
    by_id = {
        row.pk: row for row in incident_list_for_user(user=request.user, kind="incident").filter(pk__in=ids)
    }
    incidents = [by_id[pk] for pk in ids if pk in by_id]
    if not incidents:
        messages.error(request, _("Select the incidents the problem is about."))
        return redirect(back)
    try:
        record = problem_from_incidents(actor=request.user, incidents=incidents)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect(back)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return redirect(back)
    messages.success(
        request,
        _("%(number)s was raised with %(count)d incidents.")
        % {"number": record.number, "count": len(incidents)},
    )
    return redirect("record", record.number)
