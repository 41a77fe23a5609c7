"""The import page: upload a CSV file, follow its progress, read the report."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from servicedesk.errors import NotFound

from .csvimport import read_rows
from .models import ImportJob, ImportRow
from .permissions import CMDBPolicy
from .services.imports import import_start


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportJob.Kind.choices)
    file = forms.FileField(label=_("CSV file"), help_text=_("UTF-8, with a header line; at most 50 MB."))


def _require_import(user) -> None:
    if not CMDBPolicy.can_view(user):
        raise NotFound()
    if not CMDBPolicy.can_import(user):
        raise PermissionDenied()


def import_page(request):
    """Upload a CSV file; recent imports below."""
    _require_import(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        upload = form.cleaned_data["file"]
        try:
            job = import_start(
                actor=request.user,
                kind=kind,
                rows=read_rows(upload, kind),
                source=ImportJob.Source.CSV,
                filename=upload.name,
            )
        except ValidationError as exc:
            for message in exc.message_dict.get("file", []) + exc.message_dict.get("rows", []):
                form.add_error("file", message)
        else:
            return redirect("cmdb:import_detail", pk=job.pk)
    jobs = ImportJob.objects.select_related("created_by")[:20]
    return render(request, "cmdb/import.html", {"form": form, "jobs": jobs})


def import_detail(request, pk):
    """An import's progress (refreshed by htmx while it runs) and its rejected rows."""
    _require_import(request.user)
    job = ImportJob.objects.select_related("created_by").filter(pk=pk).first()
    if job is None:
        raise NotFound()
    rejected = Paginator(job.rows.filter(outcome=ImportRow.Outcome.REJECTED).order_by("number"), 50)
    context = {"job": job, "rejected": rejected.get_page(request.GET.get("page"))}
    if request.htmx:
        return render(request, "cmdb/_import_progress.html", context)
    return render(request, "cmdb/import_detail.html", context)
