"""The change pages of the agent workspace: the list, raising a change (normal or emergency, from a
standard change of the catalogue, or from a problem: "resolve via change") and the catalogue. The record
page is `views_record`, the success rate `views_reports`.

Every page here is for agents who may see changes; anyone else, requesters included, gets 404. (A
requester sees only the record page of a change they requested, read-only: `views_record`.) The services
re-check every write.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from problems.selectors import problem_get_for_user
from servicedesk.errors import ApplicationError, NotFound
from servicedesk.form_errors import apply_service_errors
from servicedesk.form_once import form_token, submit_once
from servicedesk.kinds import parse_number
from servicedesk.pagination import CappedPaginator
from servicedesk.records.search import records_search

from . import workflow as wf
from .forms import DEFAULT_LIST_VIEW, LIST_VIEWS, ChangeFilterForm, ChangeNewForm, StandardNewForm
from .models import StandardChange
from .permissions import ChangePolicy
from .records import CHANGE_KIND
from .selectors import change_list_for_user, standard_change_list
from .services import change_create, change_from_problem, change_from_standard

PAGE_SIZE = 50


def may_read_changes(user) -> bool:
    """An agent of the workspace who may see changes (agents, change managers, CAB members...)."""
    return (
        user.is_authenticated
        and user.is_active
        and getattr(user, "is_agent", False)
        and ChangePolicy.sees_all(user)
    )


def changes_reader_required(view):
    """Signed in and allowed to see changes in the workspace; 404 otherwise."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_read_changes(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _filtered(user, view: str, form: ChangeFilterForm):
    rows = change_list_for_user(user=user)
    if view == "open":
        rows = rows.filter(status__in=wf.OPEN_STATUSES)
    elif view == "mine":
        rows = rows.filter(assignee=user).exclude(status__in=wf.FINAL_STATUSES)
    elif view == "awaiting":
        rows = rows.filter(status=wf.AWAITING_APPROVAL)
    elif view == "scheduled":
        rows = rows.filter(status__in=wf.ON_SCHEDULE_STATUSES)
    data = form.cleaned_data
    for name in ("support_group", "assignee"):
        if data.get(name) is not None:
            rows = rows.filter(**{name: data[name]})
    if data.get("service") is not None:
        rows = rows.filter(services=data["service"])
    for name in ("change_type", "status", "risk_level"):
        if data.get(name):
            rows = rows.filter(**{name: data[name]})
    if view == "scheduled":
        rows = rows.order_by("planned_start", "id")
    if data.get("q", "").strip():
        rows = records_search(rows, data["q"], kind=CHANGE_KIND)
    return rows


@changes_reader_required
@require_GET
def change_list(request):
    """The changes, a tab (open, mine, awaiting approval, scheduled, all) and filters (type, status, risk,
    group, manager, service, words), newest first (the scheduled ones by their start; best match first for
    words), paginated in SQL with a capped count. An invalid filter lists nothing and says why (400)."""
    view = request.GET.get("view", DEFAULT_LIST_VIEW)
    if view not in LIST_VIEWS:
        view = DEFAULT_LIST_VIEW
    form = ChangeFilterForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    if not form.is_bound:
        form.cleaned_data = {}
    rows = _filtered(request.user, view, form) if valid else change_list_for_user(user=request.user).none()
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
        "can_file": ChangePolicy.can_file(request.user),
    }
    return render(request, "changes/list.html", context, status=200 if valid else 400)


def _problem(request):
    """The problem a "resolve via change" names (`?problem=PRB…`), if the person may see it; else None."""
    parsed = parse_number(request.POST.get("problem") or request.GET.get("problem", ""))
    if parsed is None or parsed[0].code != "problem":
        return None
    try:
        return problem_get_for_user(user=request.user, number=parsed[1])
    except NotFound:
        return None


def _standard(request):
    value = request.POST.get("standard") or request.GET.get("standard", "")
    if not value.isdigit():
        return None
    return standard_change_list().filter(pk=int(value)).first()


def _made(request, record) -> str:
    messages.success(request, _("%(number)s was raised.") % {"number": record.number})
    return reverse("record", args=[record.number])


def _create(request, form, *, problem):
    data = dict(form.cleaned_data)
    data.pop("problem", None)
    data.pop("form_token", None)
    if problem is not None:
        return change_from_problem(actor=request.user, problem=problem, **data)
    return change_create(actor=request.user, **data)


def _create_standard(request, form, *, standard: StandardChange):
    data = form.cleaned_data
    return change_from_standard(
        actor=request.user,
        standard=standard,
        title=data.get("title") or "",
        affected_cis=data.get("affected_cis") or (),
        planned_start=data.get("planned_start"),
    )


@changes_reader_required
def change_new(request):
    """Raise a change: normal or emergency; from the catalogue (`?standard=<id>`: only a title, the CIs
    and the start are asked); from a problem (`?problem=PRB…`: prefilled from its known error and linked
    to it). The form's token makes a second submission of the same form go to the change the first made
    instead of raising another. 404 for who may not raise changes; 400 with the form's errors."""
    if not ChangePolicy.can_file(request.user):
        raise Http404
    standard = _standard(request)
    if standard is None and (request.POST.get("standard") or request.GET.get("standard")):
        raise Http404
    problem = _problem(request) if standard is None else None
    form_class = StandardNewForm if standard is not None else ChangeNewForm
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                location, again = submit_once(
                    request,
                    form.cleaned_data.get("form_token") or "",
                    lambda: _made(
                        request,
                        _create_standard(request, form, standard=standard)
                        if standard is not None
                        else _create(request, form, problem=problem),
                    ),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except ApplicationError as exc:
                form.add_error(None, str(exc.message))
            else:
                if again:
                    messages.info(request, _("This form was sent already: here is the change it raised."))
                return redirect(location)
        status = 400
    else:
        initial = {"form_token": form_token()}
        if standard is not None:
            initial.update({"standard": standard.pk, "title": standard.name})
        elif problem is not None:
            initial.update(ChangeNewForm.initial_from(problem))
        form = form_class(initial=initial)
        status = 200
    context = {"form": form, "standard": standard, "problem": problem}
    return render(request, "changes/new.html", context, status=status)


@changes_reader_required
@require_GET
def standard_catalogue(request):
    """The catalogue of standard changes (pre-approved: no CAB), each with its plans, risk, group and
    services, and "use this" for who may raise changes."""
    rows = standard_change_list().order_by("name", "id")
    context = {"standards": list(rows), "can_file": ChangePolicy.can_file(request.user)}
    return render(request, "changes/standard.html", context)
