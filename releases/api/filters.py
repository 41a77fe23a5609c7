"""The filters of the release list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from cmdb.models import ConfigurationItem
from cmdb.selectors import business_service_list
from servicedesk.api.filters import DateTimeFilter, RecordFilter, RecordWordsFilter
from servicedesk.models import SupportGroup, User

from ..models import Release, ReleaseType
from ..permissions import ReleasePolicy

# Filters on people, groups and CIs by id; left out for who may not see every release.
STAFF_ONLY_FILTERS = ("support_group", "assignee", "service", "ci")


class ReleaseFilter(RecordFilter):
    """Releases by status, type, build group, release manager, target service, target CI, planned time
    (`planned_from`, `planned_to`: the planned slot overlaps them) and words (`q`, or a number)."""

    status = django_filters.MultipleChoiceFilter(
        choices=Release.Status.choices, label=_("Status"), distinct=False
    )
    type = django_filters.MultipleChoiceFilter(
        field_name="release_type", choices=ReleaseType.choices, label=_("Type"), distinct=False
    )
    support_group = django_filters.ModelChoiceFilter(
        queryset=SupportGroup.objects.all(), label=_("Build group")
    )
    assignee = django_filters.ModelChoiceFilter(
        queryset=User.objects.all(), label=_("Release manager"), null_label=_("Unassigned"), null_value="none"
    )
    service = django_filters.ModelChoiceFilter(
        field_name="services", queryset=business_service_list(), label=_("Target service")
    )
    ci = django_filters.ModelChoiceFilter(
        field_name="target_cis", queryset=ConfigurationItem.objects.all(), label=_("Target CI")
    )
    planned_from = DateTimeFilter(field_name="planned_end", lookup_expr="gt", label=_("Planned to end after"))
    planned_to = DateTimeFilter(
        field_name="planned_start", lookup_expr="lt", label=_("Planned to start before")
    )
    q = RecordWordsFilter(kind="release")

    class Meta:
        model = Release
        fields = []

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None and not ReleasePolicy.sees_all(request.user):
            for name in STAFF_ONLY_FILTERS:
                self.filters.pop(name, None)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if any(self.form.cleaned_data.get(name) is not None for name in ("service", "ci")):
            queryset = queryset.distinct()
        return queryset
