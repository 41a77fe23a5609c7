"""The change success rate page (issue 16, item 7): for agents who may see changes (404 otherwise)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from .selectors_reports import TREND_MONTHS, success_rate_report
from .views import changes_reader_required


@changes_reader_required
@require_GET
def success_rate(request):
    """The closed changes' review outcomes as a success rate overall, by type, implementer group and
    service, and by month over the last year: tables, read in a constant number of statements."""
    context = {**success_rate_report(user=request.user), "months": TREND_MONTHS}
    return render(request, "changes/success.html", context)
