"""Management information pages: the dashboards, the report index and each measure's report page."""

from datetime import timedelta
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from servicedesk.errors import NotFound
from servicedesk.reporting.dimensions import dimension

from .forms import ReportForm
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


@reader_required
@require_GET
def report(request, key: str):
    try:
        found = measure_for(request.report_scope, key)
    except NotFound:
        raise Http404 from None
    form = ReportForm(request.GET or None, measure=found, user=request.user)
    result = query = None
    status = 200
    if not request.GET or form.is_valid():
        if not request.GET:
            form = ReportForm({}, measure=found, user=request.user)
            form.is_valid()
        query = form.query(request.report_scope)
        result = result_for(found, query)
    else:
        status = 400
    context = {
        "measure": found,
        "form": form,
        "filter_names": form.filter_names,
        "result": result,
        "query": query,
        "by_label": (dimension(query.by).label if query and query.by != "period" else None),
        "chart": chart_payload(result) if result else None,
        "querystring": request.GET.urlencode(),
        # the period is [start, end): its last day is the day before the end
        "last_day": (query.end - timedelta(days=1)) if query else None,
    }
    return render(request, "reports/report.html", context, status=status)
