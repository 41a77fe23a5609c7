"""The agent queue: tabs, filters, saved views and bulk actions (the jump by number is the kernel's)."""

from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from servicedesk.errors import ApplicationError, NotFound
from servicedesk.pagination import CappedPaginator
from servicedesk.redirects import safe_next
from servicedesk.services.saved_views import saved_view_create, saved_view_delete, saved_view_list
from servicedesk.sla.status import Level, records_sla

from . import services
from .forms_workspace import (
    DEFAULT_QUEUE_VIEW,
    QUEUE_VIEWS,
    BulkForm,
    QueueChoices,
    QueueFilter,
    SavedViewForm,
)
from .selectors import incident_list_for_user, incident_queue
from .views_workspace import agent_required

SAVED_VIEW_SCOPE = "incidents.queue"
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
FAILURES_SHOWN = 10
# Not filters: kept out of saved views and of the filter form.
NON_FILTER_KEYS = ("page",)
# Filters folded under "More filters" (opened when one is in use).
MORE_FILTERS = (
    "status", "priority", "channel", "service", "category", "request_type", "ci", "is_major", "requester",
    "created_after", "created_before", "updated_after", "resolved_after", "resolved_before", "per_page",
    "sla_breached", "sla_breaching_within",
)  # fmt: skip


def _query_without(params: QueryDict, *keys: str) -> str:
    query = params.copy()
    for key in keys:
        query.pop(key, None)
    return query.urlencode()


def _page_size(params) -> int:
    raw = params.get("per_page", "")
    return int(raw) if raw.isdigit() and int(raw) in PAGE_SIZES else DEFAULT_PAGE_SIZE


def _saved_views(user):
    return saved_view_list(owner=user, scope=SAVED_VIEW_SCOPE)


def _row_clocks(statuses) -> list:
    """What a row shows: the clocks still counting, else how the finished ones ended (not cancelled)."""
    running = [status for status in statuses if status.clock.is_open]
    return running or [status for status in statuses if status.level != Level.CANCELLED]


def _filter_errors(form) -> list[tuple[str, list[str]]]:
    """Each invalid filter by its label, with its errors."""
    return [
        (str(form[name].label) if name in form.fields else _("Filters"), list(errors))
        for name, errors in form.errors.items()
    ]


def _queue_context(request, params: QueryDict, *, bulk_form=None, selected=(), choices=None) -> dict:
    """The queue for `params` (the queue's own query: tab, filters, page): one tab's rows, filtered with
    the API's filters, the most urgent SLA first (then priority and age), paginated in SQL, each row with
    its SLA clocks (read for the whole page at once). An invalid filter lists nothing and says why, as the
    API answers 400 rather than ignoring it. The filters and the bulk actions list the same agents and
    groups, read once (`choices`)."""
    choices = choices or QueueChoices()
    view = params.get("view", DEFAULT_QUEUE_VIEW)
    if view not in QUEUE_VIEWS:
        view = DEFAULT_QUEUE_VIEW
    filterset = QueueFilter(
        params or None, queryset=incident_queue(user=request.user, view=view), choices=choices
    )
    valid = not filterset.is_bound or filterset.is_valid()
    per_page = _page_size(params)
    rows = filterset.qs if valid else filterset.queryset.none()
    # Counted up to a cap ("1,000+"): an exact count of a large tab would read all of it.
    page = CappedPaginator(rows, per_page).get_page(params.get("page"))
    clocks = records_sla(page.object_list)
    for record in page.object_list:
        record.sla_clocks = _row_clocks(clocks.get(record.pk, []))
    query = _query_without(params, "page")
    return {
        "view": view,
        "views": QUEUE_VIEWS.items(),
        "filter": filterset,
        "form": filterset.form,
        "filter_errors": [] if valid else _filter_errors(filterset.form),
        "page": page,
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
        "query": query,
        "filter_query": _query_without(params, "page", "view"),
        # The queue's own address (the bulk action re-renders the queue from another one).
        "queue_url": reverse("incidents:queue"),
        "queue_path": f"{reverse('incidents:queue')}?{params.urlencode()}" if params else "",
        "bulk_form": bulk_form or BulkForm(choices=choices),
        "selected": set(selected),
        "more_filters_used": any(params.get(name) for name in MORE_FILTERS),
    }


def _render_queue(request, context, *, status: int = 200):
    if request.htmx and request.htmx.target == "queue-table":
        return render(request, "incidents/workspace/_queue_table.html", context, status=status)
    context["saved_views"] = _saved_views(request.user)
    context["saved_view_form"] = SavedViewForm(initial={"query": context["query"]})
    return render(request, "incidents/workspace/queue.html", context, status=status)


@agent_required
@require_GET
def queue(request):
    """The queue page; an htmx request from the filter form gets the table alone. 400 for a filter
    that is not valid (an unknown group, a malformed date), shown on the page."""
    context = _queue_context(request, request.GET)
    return _render_queue(request, context, status=400 if context["filter_errors"] else 200)


@agent_required
@require_POST
def saved_view_save(request):
    form = SavedViewForm(request.POST)
    back = reverse("incidents:queue")
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(safe_next(request, back))
    query = _query_without(QueryDict(form.cleaned_data["query"] or ""), *NON_FILTER_KEYS)
    try:
        saved = saved_view_create(
            owner=request.user, scope=SAVED_VIEW_SCOPE, name=form.cleaned_data["name"], query=query
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(safe_next(request, back))
    messages.success(request, _("The view “%(name)s” was saved.") % {"name": saved.name})
    return redirect(f"{back}?{saved.query}" if saved.query else back)


@agent_required
@require_POST
def saved_view_delete_view(request, pk):
    try:
        saved_view_delete(owner=request.user, scope=SAVED_VIEW_SCOPE, pk=pk)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("The saved view was deleted."))
    return redirect(safe_next(request, reverse("incidents:queue")))


def _bulk_one(form: BulkForm, record, actor) -> None:
    data = form.cleaned_data
    if data["action"] == BulkForm.ASSIGN:
        services.incident_assign(
            record=record,
            actor=actor,
            support_group=data["support_group"] or services.UNSET,
            assignee=data["assignee"] or services.UNSET,
        )
    else:
        services.incident_transition(record=record, actor=actor, to=data["to"], **form.transition_inputs())


def _reasons(exc: Exception) -> list[tuple[str | None, str]]:
    """Why a record was not updated: (field or None, message) pairs."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return [(field, text) for field, texts in exc.message_dict.items() for text in texts]
        return [(None, text) for text in exc.messages]
    return [(None, str(exc.message))]


def _numbers(numbers: list[str]) -> str:
    shown = ", ".join(numbers[:FAILURES_SHOWN])
    if len(numbers) > FAILURES_SHOWN:
        more = len(numbers) - FAILURES_SHOWN
        return _("%(numbers)s and %(count)d more") % {"numbers": shown, "count": more}
    return shown


def _report_failures(request, form: BulkForm, failed: list) -> None:
    """Each distinct reason once, naming its field and the records it stopped; a reason about one of
    the bulk form's fields also marks that field."""
    messages.error(
        request,
        ngettext("%(count)d record was not updated:", "%(count)d records were not updated:", len(failed))
        % {"count": len(failed)},
    )
    grouped: dict[tuple[str | None, str], list[str]] = {}
    for record, exc in failed:
        for reason in _reasons(exc):
            grouped.setdefault(reason, []).append(record.number)
    for (field, text), numbers in grouped.items():
        if field in form.fields and field != "records":
            if text not in form.errors.get(field, []):
                form.add_error(field, text)
            text = _("%(field)s: %(message)s") % {"field": form.fields[field].label, "message": text}
        messages.error(request, _("%(records)s: %(reason)s") % {"records": _numbers(numbers), "reason": text})


def _bulk_answer(request, back: str, form: BulkForm, *, selected, status: int, choices=None):
    """The queue again, as it was (tab, filters, page), with the form's errors and the rows to retry
    still ticked."""
    params = QueryDict(urlsplit(back).query)
    context = _queue_context(request, params, bulk_form=form, selected=selected, choices=choices)
    return _render_queue(request, context, status=status)


@agent_required
@require_POST
def bulk(request):
    """Assign or transition the selected records one by one through the services. A refused form, or
    records that were not updated, show the queue again with the reasons and those rows still selected."""
    back = safe_next(request, reverse("incidents:queue"))
    choices = QueueChoices()
    form = BulkForm(request.POST, records=incident_list_for_user(user=request.user), choices=choices)
    if not form.is_valid():
        selected = {int(pk) for pk in request.POST.getlist("bulk-records") if pk.isdigit()}
        return _bulk_answer(request, back, form, selected=selected, status=400, choices=choices)
    done, failed = 0, []
    for record in form.cleaned_data["records"]:
        try:
            _bulk_one(form, record, request.user)
        except (ApplicationError, ValidationError) as exc:
            failed.append((record, exc))
        else:
            done += 1
    if done:
        messages.success(
            request,
            ngettext("%(count)d record was updated.", "%(count)d records were updated.", done)
            % {"count": done},
        )
    if not failed:
        return redirect(back)
    _report_failures(request, form, failed)
    selected = {record.pk for record, _exc in failed}
    return _bulk_answer(request, back, form, selected=selected, status=200 if done else 400, choices=choices)
