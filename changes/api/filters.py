"""The filters of the change list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from cmdb.models import ConfigurationItem
from cmdb.selectors import business_service_list
from servicedesk.api.filters import DateTimeFilter, RecordFilter, RecordWordsFilter
from servicedesk.models import SupportGroup, User

from ..models import Change, ChangeType, RiskLevel
from ..permissions import ChangePolicy

# Filters on people, groups and CIs by id; left out for who may not see every change (a requester).
STAFF_ONLY_FILTERS = ("support_group", "assignee", "service", "ci")


class ChangeFilter(RecordFilter):
    """Changes by status, type, risk, implementer group, change manager, service, CI, planned time
    (`planned_from`, `planned_to`: the planned slot overlaps them) and words (`q`, or a number)."""

    status = django_filters.MultipleChoiceFilter(
        choices=Change.Status.choices, label=_("Status"), distinct=False
    )
    type = django_filters.MultipleChoiceFilter(
        field_name="change_type", choices=ChangeType.choices, label=_("Type"), distinct=False
    )
    risk = django_filters.MultipleChoiceFilter(
        field_name="risk_level", choices=RiskLevel.choices, label=_("Risk"), distinct=False
    )
    support_group = django_filters.ModelChoiceFilter(
        queryset=SupportGroup.objects.all(), label=_("Implementer group")
    )
    assignee = django_filters.ModelChoiceFilter(
        queryset=User.objects.all(), label=_("Change manager"), null_label=_("Unassigned"), null_value="none"
    )
    service = django_filters.ModelChoiceFilter(
        field_name="services", queryset=business_service_list(), label=_("Affected service")
    )
    ci = django_filters.ModelChoiceFilter(
        field_name="affected_cis", queryset=ConfigurationItem.objects.all(), label=_("Affected CI")
    )
    planned_from = DateTimeFilter(field_name="planned_end", lookup_expr="gt", label=_("Planned to end after"))
    planned_to = DateTimeFilter(
        field_name="planned_start", lookup_expr="lt", label=_("Planned to start before")
    )
    q = RecordWordsFilter(kind="change")

    class Meta:
        model = Change
        fields = []

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None and not ChangePolicy.sees_all(request.user):
            # Who sees only their own changes learns nothing from the filters either: whether a person,
            # group or CI id exists.
            for name in STAFF_ONLY_FILTERS:
                self.filters.pop(name, None)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # The service and CI filters join many-to-many tables; a change may match once only.
        if any(self.form.cleaned_data.get(name) is not None for name in ("service", "ci")):
            queryset = queryset.distinct()
        return queryset
