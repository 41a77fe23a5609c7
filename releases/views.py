"""The release pages of the agent workspace: the list and raising a release. The record page is
`views_record`.

Every page here is for agents who see every release; anyone else gets 404 (a requester who raised a
release sees only its record page, read-only). The services re-check every write.
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

from servicedesk.api.records import records_from_numbers
from servicedesk.errors import ApplicationError
from servicedesk.form_errors import apply_service_errors
from servicedesk.form_once import form_token, submit_once
from servicedesk.pagination import CappedPaginator
from servicedesk.records.search import records_search

from . import workflow as wf
from .forms import DEFAULT_LIST_VIEW, LIST_VIEWS, ReleaseFilterForm, ReleaseNewForm
from .permissions import ReleasePolicy
from .records import RELEASE_KIND
from .selectors import release_list_for_user
from .services.lifecycle import release_create

PAGE_SIZE = 50


def may_read_releases(user) -> bool:
    """An agent of the workspace who sees every release (agents, release managers, change managers...)."""
    return (
        user.is_authenticated
        and user.is_active
        and getattr(user, "is_agent", False)
        and ReleasePolicy.sees_all(user)
    )


def releases_reader_required(view):
    """Signed in and allowed to see releases in the workspace; 404 otherwise."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_read_releases(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _filtered(user, view: str, form: ReleaseFilterForm):
    rows = release_list_for_user(user=user)
    if view == "open":
        rows = rows.filter(status__in=wf.OPEN_STATUSES)
    elif view == "mine":
        rows = rows.filter(assignee=user).exclude(status__in=wf.FINAL_STATUSES)
    data = form.cleaned_data
    for name in ("support_group", "assignee"):
        if data.get(name) is not None:
            rows = rows.filter(**{name: data[name]})
    if data.get("service") is not None:
        rows = rows.filter(
            pk__in=release_list_for_user(user=user).filter(services=data["service"]).values("pk")
        )
    for name in ("release_type", "status"):
        if data.get(name):
            rows = rows.filter(**{name: data[name]})
    if data.get("q", "").strip():
        rows = records_search(rows, data["q"], kind=RELEASE_KIND)
    return rows


@releases_reader_required
@require_GET
def release_list(request):
    """The releases, a tab (open, mine, all) and filters (status, type, build group, release manager,
    target service, words), newest first (best match first for words), paginated in SQL with a capped
    count. An invalid filter lists nothing and says why (400)."""
    view = request.GET.get("view", DEFAULT_LIST_VIEW)
    if view not in LIST_VIEWS:
        view = DEFAULT_LIST_VIEW
    form = ReleaseFilterForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    if not form.is_bound:
        form.cleaned_data = {}
    rows = _filtered(request.user, view, form) if valid else release_list_for_user(user=request.user).none()
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
        "can_file": ReleasePolicy.can_file(request.user),
    }
    return render(request, "releases/list.html", context, status=200 if valid else 400)


def _create(request, form) -> str:
    data = dict(form.cleaned_data)
    data.pop("form_token", None)
    numbers = data.pop("changes", [])
    changes = records_from_numbers(request.user, numbers, kind="change", field="changes")
    record = release_create(actor=request.user, changes=changes, **data)
    messages.success(request, _("%(number)s was raised.") % {"number": record.number})
    return reverse("record", args=[record.number])


@releases_reader_required
def release_new(request):
    """Raise a release: its name, version, type, targets, people, dates, back-out plan and the approved
    or scheduled changes it bundles. The form's token makes a second submission of the same form go to
    the release the first made. 404 for who may not raise releases; 400 with the form's errors; a change
    another release has or that is not approved is an error on the changes (the release is not made)."""
    if not ReleasePolicy.can_file(request.user):
        raise Http404
    status = 200
    if request.method == "POST":
        status = 400
        form = ReleaseNewForm(request.POST)
        if form.is_valid():
            try:
                location, again = submit_once(
                    request, form.cleaned_data.get("form_token") or "", lambda: _create(request, form)
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except ApplicationError as exc:
                form.add_error("changes" if exc.code.startswith("link_") else None, str(exc.message))
                status = exc.status_code
            else:
                if again:
                    messages.info(request, _("This form was sent already: here is the release it raised."))
                return redirect(location)
    else:
        form = ReleaseNewForm(initial={"form_token": form_token()})
    return render(request, "releases/new.html", {"form": form}, status=status)
