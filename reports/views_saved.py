"""A reader's saved reports ("My reports") and their schedules. Another reader's report is a 404."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from servicedesk.errors import NotFound
from servicedesk.form_errors import apply_service_errors

from .forms import RenameForm, SavedReportForm, ScheduleForm
from .selectors import saved_report_get_for_user, saved_report_list_for_user, schedule_get_for_user
from .services import (
    saved_report_create,
    saved_report_delete,
    saved_report_rename,
    schedule_delete,
    schedule_save,
)
from .views import _measure_or_404, reader_required


def _own_report(request, pk: int):
    try:
        return saved_report_get_for_user(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


@reader_required
@require_GET
def saved_list(request):
    reports = list(saved_report_list_for_user(request.user))
    for report in reports:
        report.rename_form = RenameForm(initial={"name": report.name}, prefix=f"r{report.pk}")
    return render(request, "reports/saved_list.html", {"reports": reports})


@reader_required
@require_POST
def saved_create(request, key: str):
    found = _measure_or_404(request, key)
    form = SavedReportForm(request.POST)
    if form.is_valid():
        try:
            report = saved_report_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                measure=found.key,
                query=form.cleaned_data["query"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return redirect("reports:saved_open", pk=report.pk)
    return render(request, "reports/saved_form.html", {"form": form, "measure": found}, status=400)


@reader_required
@require_GET
def saved_open(request, pk: int):
    """The report page with the saved filters."""
    report = _own_report(request, pk)
    url = reverse("reports:report", args=[report.measure])
    return redirect(f"{url}?{report.query}" if report.query else url)


@reader_required
@require_POST
def saved_rename(request, pk: int):
    report = _own_report(request, pk)
    form = RenameForm(request.POST, prefix=f"r{report.pk}")
    if form.is_valid():
        try:
            saved_report_rename(actor=request.user, report=report, name=form.cleaned_data["name"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return redirect("reports:saved")
    report.rename_form = form
    return render(request, "reports/saved_list.html", {"reports": [report], "renaming": True}, status=400)


@reader_required
@require_POST
def saved_delete(request, pk: int):
    saved_report_delete(actor=request.user, report=_own_report(request, pk))
    return redirect("reports:saved")


@reader_required
@require_http_methods(["GET", "POST"])
def schedule_edit(request, pk: int, schedule_pk: int | None = None):
    """A new schedule of the reader's report, or one of its schedules to change."""
    report = _own_report(request, pk)
    schedule = None
    if schedule_pk is not None:
        try:
            schedule = schedule_get_for_user(user=request.user, report=report, pk=schedule_pk)
        except NotFound:
            raise Http404 from None
    if schedule is not None:
        initial = {
            "frequency": schedule.frequency,
            "weekday": schedule.weekday,
            "day": schedule.day,
            "hour": schedule.hour,
            "format": schedule.format,
            "recipients": list(schedule.recipients.all()),
        }
    else:
        initial = {"recipients": [request.user]}
    form = ScheduleForm(request.POST or None, initial=initial, owner=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            schedule_save(actor=request.user, report=report, schedule=schedule, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return redirect("reports:saved")
    context = {"report": report, "schedule": schedule, "form": form, "title": _("Schedule")}
    return render(request, "reports/schedule_form.html", context, status=400 if form.errors else 200)


@reader_required
@require_POST
def schedule_remove(request, pk: int, schedule_pk: int):
    report = _own_report(request, pk)
    try:
        schedule = schedule_get_for_user(user=request.user, report=report, pk=schedule_pk)
    except NotFound:
        raise Http404 from None
    schedule_delete(actor=request.user, schedule=schedule)
    return redirect("reports:saved")
