"""The forward schedule's filters (GET): its view, the day it shows, a service, a CI, a group, a risk."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cmdb.models import ConfigurationItem
from cmdb.pickers import CIS, SERVICES
from cmdb.selectors import business_service_list
from servicedesk.models import SupportGroup
from servicedesk.pickers import use_picker

from .models import RiskLevel
from .schedule import LIST, MONTH, VIEWS, WEEK

VIEW_LABELS = {MONTH: _("Month"), WEEK: _("Week"), LIST: _("List")}


class ScheduleFilterForm(forms.Form):
    view = forms.ChoiceField(label=_("View"), required=False, choices=[(v, VIEW_LABELS[v]) for v in VIEWS])
    date = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    service = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.none(),
        required=False,
        label=_("Service"),
        empty_label=_("Any service"),
    )
    ci = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.none(), required=False, label=_("CI"), empty_label=_("Any CI")
    )
    group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.none(), required=False, label=_("Group"), empty_label=_("Any group")
    )
    risk = forms.ChoiceField(
        label=_("Risk"), required=False, choices=[("", _("Any risk")), *RiskLevel.choices]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.fields
        fields["service"].queryset = business_service_list().order_by("name")
        use_picker(fields["service"], SERVICES)
        fields["ci"].queryset = ConfigurationItem.objects.select_related("ci_class").order_by("name", "pk")
        use_picker(fields["ci"], CIS)
        # Groups are few: a plain menu (the kernel has no group picker).
        fields["group"].queryset = SupportGroup.objects.filter(is_active=True).order_by("name")

    def clean_view(self):
        return self.cleaned_data.get("view") or MONTH

    def clean_date(self):
        return self.cleaned_data.get("date") or timezone.localdate()
