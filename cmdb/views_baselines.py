"""Baseline pages: take one, list them, see one's diff against today, restore a CI from it."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from servicedesk.errors import NotFound
from servicedesk.form_errors import apply_service_errors

from .models import Baseline, CIClass, ConfigurationItem
from .permissions import CMDBPolicy
from .selectors import ci_get_for_user
from .services.baselines import baseline_diff, baseline_restore_ci, baseline_take


class BaselineForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    classes = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Classes (with their subclasses)"),
        queryset=CIClass.objects.order_by("path"),
        to_field_name="code",
        required=False,
    )
    service = forms.ModelChoiceField(
        label=gettext_lazy("A business service and everything it depends on"),
        queryset=ConfigurationItem.objects.filter(ci_class__path__startswith="/business_service/").order_by(
            "name"
        ),
        required=False,
    )


def _require_view(user) -> None:
    if not CMDBPolicy.can_view(user):
        raise NotFound()


def _can_take(user) -> bool:
    return user.has_perm("cmdb.add_baseline")


def baseline_list(request):
    _require_view(request.user)
    form = BaselineForm(request.POST or None)
    if request.method == "POST":
        if not _can_take(request.user):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                baseline = baseline_take(
                    actor=request.user,
                    name=data["name"],
                    description=data["description"],
                    classes=[c.code for c in data["classes"]],
                    service=data["service"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return redirect("cmdb:baseline_detail", pk=baseline.pk)
    baselines = Baseline.objects.select_related("taken_by").annotate(ci_count=Count("items"))[:50]
    return render(
        request,
        "cmdb/baseline_list.html",
        {"form": form, "baselines": baselines, "can_take": _can_take(request.user)},
    )


def baseline_detail(request, pk):
    _require_view(request.user)
    baseline = Baseline.objects.select_related("taken_by").filter(pk=pk).first()
    if baseline is None:
        raise NotFound()
    return render(
        request,
        "cmdb/baseline_detail.html",
        {
            "baseline": baseline,
            "diff": baseline_diff(baseline=baseline),
            "can_restore": CMDBPolicy.can_change_ci(request.user),
        },
    )


@require_POST
def baseline_restore(request, pk, ci_pk):
    _require_view(request.user)
    baseline = Baseline.objects.filter(pk=pk).first()
    if baseline is None:
        raise NotFound()
    ci = ci_get_for_user(user=request.user, pk=ci_pk)
    try:
        baseline_restore_ci(baseline=baseline, ci=ci, actor=request.user, via="web")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s has its recorded attributes again.") % {"name": ci.name})
    return redirect("cmdb:baseline_detail", pk=baseline.pk)
