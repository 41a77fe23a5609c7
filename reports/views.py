"""Management information pages: the dashboards, the report index and each measure's report page."""

from datetime import timedelta
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from servicedesk.errors import NotFound
from servicedesk.reporting.dimensions import dimension

from .exports import MEDIA_TYPES, csv_response, export_bytes, export_filename, sheet_of, xlsx_response
from .forms import ReportForm, SavedReportForm
from .models import ReportSchedule
from .scope import reader_scope
from .selectors import (
    chart_payload,
    dashboard_tiles,
    dashboards_for,
    measure_for,
    readable_measures,
    result_for,
)

REFRESH_SECONDS = 60
EXPORT_FORMATS = ReportSchedule.Format.choices


def reader_required(view):
    """Signed in and with figures to read; anyone else gets the 404 a record they may not see gets."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        scope = reader_scope(request.user)
        if scope is None:
            raise Http404
        request.report_scope = scope
        return view(request, *args, **kwargs)

    return wrapper


@reader_required
@require_GET
def dashboard(request, board: str | None = None):
    boards = dashboards_for(request.report_scope)
    if not boards:
        raise Http404
    if board is None:
        return redirect("reports:board", board=boards[0][0])
    if board not in dict(boards):
        raise Http404
    tiles = dashboard_tiles(board, request.report_scope, zone=timezone.get_current_timezone_name())
    context = {"boards": boards, "board": board, "tiles": tiles, "refresh_seconds": REFRESH_SECONDS}
    if request.htmx and request.htmx.target == "dashboard-tiles":
        return render(request, "reports/_tiles.html", context)
    return render(request, "reports/dashboard.html", context)


@reader_required
@require_GET
def report_index(request):
    sections = {}
    for found in readable_measures(request.report_scope):
        sections.setdefault(str(found.section), []).append(found)
    return render(request, "reports/index.html", {"sections": sections.items()})


def _report_query(request, found):
    """The report form on the request's query and, when it is valid (or empty: the defaults), its query;
    (form, query or None)."""
    if not request.GET:
        form = ReportForm({}, measure=found, user=request.user)
        form.is_valid()
        return form, form.query(request.report_scope)
    form = ReportForm(request.GET, measure=found, user=request.user)
    if form.is_valid():
        return form, form.query(request.report_scope)
    return form, None


def _measure_or_404(request, key: str):
    try:
        return measure_for(request.report_scope, key)
    except NotFound:
        raise Http404 from None


def _render_report(request, found, form, query):
    result = result_for(found, query) if query else None
    context = {
        "measure": found,
        "form": form,
        "filter_names": form.filter_names,
        "result": result,
        "query": query,
        "by_label": (dimension(query.by).label if query and query.by != "period" else None),
        "chart": chart_payload(result) if result else None,
        "querystring": request.GET.urlencode(),
        "save_form": SavedReportForm(initial={"query": request.GET.urlencode()}),
        "export_formats": EXPORT_FORMATS,
        # the period is [start, end): its last day is the day before the end
        "last_day": (query.end - timedelta(days=1)) if query else None,
    }
    return render(request, "reports/report.html", context, status=200 if query else 400)


@reader_required
@require_GET
def report(request, key: str):
    found = _measure_or_404(request, key)
    form, query = _report_query(request, found)
    return _render_report(request, found, form, query)


@reader_required
@require_GET
def export(request, key: str, format: str):
    """The report as a file, with the report page's scope and form: 400 (the page with its errors) for
    a bad filter."""
    if format not in dict(EXPORT_FORMATS):
        raise Http404
    found = _measure_or_404(request, key)
    form, query = _report_query(request, found)
    if query is None:
        return _render_report(request, found, form, None)
    sheet = sheet_of(result_for(found, query), measure=found, query=query)
    filename = export_filename(found, query, format)
    if format == "csv":
        return csv_response(sheet, filename)
    if format == "xlsx":
        return xlsx_response(sheet, filename)
    response = HttpResponse(export_bytes(sheet, "pdf"), content_type=MEDIA_TYPES["pdf"])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
