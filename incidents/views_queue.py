"""The agent queue: tabs, filters, saved views and bulk actions (the jump by number is the kernel's)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from servicedesk.errors import ApplicationError, NotFound, StaleWrite
from servicedesk.listing import COLUMNS_PARAM, SORT_PARAM
from servicedesk.pagination import CappedPaginator, count_display
from servicedesk.records.visits import records_unread
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
from .queue_layout import QUEUE_COLUMNS, QUEUE_SORTING
from .selectors import incident_get_for_user, incident_list_for_user, incident_queue, incident_queue_counts
from .views_workspace import agent_required

SAVED_VIEW_SCOPE = "incidents.queue"
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
FAILURES_SHOWN = 10
# Not filters: kept out of saved views and of the filter form (a saved view keeps its columns apart).
NON_FILTER_KEYS = ("page", COLUMNS_PARAM)
# How often an open queue refreshes its rows (seconds; setting `ITSM_QUEUE_REFRESH_SECONDS`), keeping
# the agent's place and ticks.
DEFAULT_REFRESH_SECONDS = 45
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


def _saved_views(user) -> list:
    """The person's views, each with the address that opens it (its filters and sort, its columns)."""
    views = list(saved_view_list(owner=user, scope=SAVED_VIEW_SCOPE))
    for saved in views:
        query = QueryDict(saved.query, mutable=True)
        if saved.columns:
            query.setlist(COLUMNS_PARAM, saved.columns)
        saved.href = (
            f"{reverse('incidents:queue')}?{query.urlencode()}" if query else reverse("incidents:queue")
        )
    return views


def _tabs(user, view: str) -> list[dict]:
    """The queue's tabs with how many records each lists (capped: "1,000+"), counted in one query."""
    counts = incident_queue_counts(user=user, views=QUEUE_VIEWS)
    return [
        {"code": code, "label": label, "count": count_display(*counts[code]), "active": code == view}
        for code, label in QUEUE_VIEWS.items()
    ]


def _row_clocks(statuses) -> list:
    """What a row shows: the clocks still counting, else how the finished ones ended (not cancelled)."""
    running = [status for status in statuses if status.clock.is_open]
    return running or [status for status in statuses if status.level != Level.CANCELLED]


def _headers(columns, sort_headers: dict) -> list[dict]:
    """Each shown column's header: its label and, when it sorts, its link and `aria-sort`."""
    return [{"column": column, **sort_headers.get(column.sort, {})} for column in columns]


def _filter_errors(form) -> list[tuple[str, list[str]]]:
    """Each invalid filter by its label, with its errors."""
    return [
        (str(form[name].label) if name in form.fields else _("Filters"), list(errors))
        for name, errors in form.errors.items()
    ]


def _queue_context(request, params: QueryDict, *, bulk_form=None, selected=(), choices=None) -> dict:
    """The queue for `params` (the queue's own query: tab, filters, sort, columns, page): one tab's rows,
    filtered with the API's filters, in the order asked (the most urgent SLA first by default; words
    without a sort: the best matches first), paginated in SQL, each row with its SLA clocks and whether
    its requester replied since the agent last opened it (each read for the whole page at once), and
    the tabs with their counts. An invalid filter lists nothing and says why, as the API answers 400
    rather than ignoring it. The filters and the bulk actions list the same agents and groups, read once
    (`choices`)."""
    choices = choices or QueueChoices()
    view = params.get("view", DEFAULT_QUEUE_VIEW)
    if view not in QUEUE_VIEWS:
        view = DEFAULT_QUEUE_VIEW
    sort = QUEUE_SORTING.parse(params.get(SORT_PARAM))
    ranked = bool(params.get("q", "").strip()) and not params.get(SORT_PARAM)
    filterset = QueueFilter(
        params or None,
        queryset=incident_queue(user=request.user, view=view, order=sort.order_by()),
        choices=choices,
    )
    filterset.search_ranked = ranked
    valid = not filterset.is_bound or filterset.is_valid()
    per_page = _page_size(params)
    rows = filterset.qs if valid else filterset.queryset.none()
    # Counted up to a cap ("1,000+"): an exact count of a large tab would read all of it.
    page = CappedPaginator(rows, per_page).get_page(params.get("page"))
    clocks = records_sla(page.object_list)
    unread = records_unread(user=request.user, records=page.object_list)
    for record in page.object_list:
        record.sla_clocks = _row_clocks(clocks.get(record.pk, []))
        record.is_unread = record.pk in unread
    query = _query_without(params, "page")
    columns = QUEUE_COLUMNS.chosen(params)
    return {
        "view": view,
        "tabs": _tabs(request.user, view),
        "sort": None if ranked else sort,
        "headers": _headers(columns, QUEUE_SORTING.headers(None if ranked else sort, params)),
        "columns": columns,
        # The query less the columns and page: what the column chooser sends again with its choice.
        "layout_params": [(k, v) for k, values in params.lists() if k not in NON_FILTER_KEYS for v in values],
        # The sort and columns: what the filter form sends again with the filters.
        "shape_params": [
            (k, v) for k, values in params.lists() if k in (SORT_PARAM, COLUMNS_PARAM) for v in values
        ],
        "column_choices": QUEUE_COLUMNS.choices(columns),
        "column_codes": [column.code for column in columns],
        "refresh_seconds": getattr(settings, "ITSM_QUEUE_REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS),
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
    params = QueryDict(form.cleaned_data["query"] or "")
    query = _query_without(params, *NON_FILTER_KEYS)
    columns = [column.code for column in QUEUE_COLUMNS.chosen(params)]
    try:
        saved = saved_view_create(
            owner=request.user,
            scope=SAVED_VIEW_SCOPE,
            name=form.cleaned_data["name"],
            query=query,
            columns=[] if QUEUE_COLUMNS.is_default_codes(columns) else columns,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(safe_next(request, back))
    messages.success(request, _("The view “%(name)s” was saved.") % {"name": saved.name})
    shown = _query_without(params, "page")
    return redirect(f"{back}?{shown}" if shown else back)


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


@agent_required
@require_POST
def queue_assign_to_me(request):
    """The queue's "a": assign the record (`record`, its id, at `version`, as the row showed it) to the
    agent in its group, through the service. The queue comes back (its rows alone for htmx) saying what
    happened: 412 when the record changed since the list was drawn (nobody's assignment is taken
    silently), 400 when the service refuses (not a member of the record's group, a final record)."""
    back = safe_next(request, reverse("incidents:queue"))
    raw_version = request.POST.get("version", "")
    status, level = 200, messages.SUCCESS
    try:
        record = incident_get_for_user(user=request.user, pk=request.POST.get("record"))
        record = services.incident_assign(
            record=record,
            actor=request.user,
            assignee=request.user,
            expected_version=int(raw_version) if raw_version.isdigit() else None,
        )
        text = _("%(number)s is assigned to you.") % {"number": record.number}
    except NotFound:
        raise Http404 from None
    except StaleWrite:
        status, level = 412, messages.ERROR
        text = _("%(number)s changed since the list was shown; here it is as it is now.") % {
            "number": record.number
        }
    except (ApplicationError, ValidationError, PermissionDenied) as exc:
        status, level = 400, messages.ERROR
        reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        text = _("%(number)s: %(reason)s") % {"number": record.number, "reason": reason}
    if not request.htmx:
        messages.add_message(request, level, text)
        return redirect(back)
    context = _queue_context(request, QueryDict(urlsplit(back).query))
    context["flash"] = {"text": text, "is_error": status != 200}
    return render(request, "incidents/workspace/_queue_table.html", context, status=status)
