"""The filters of the problem and known-error lists."""

import django_filters
from django.utils.translation import gettext_lazy as _

from cmdb.models import ConfigurationItem
from cmdb.selectors import business_service_list
from servicedesk.api.filters import FilterSet, RecordFilter, RecordWordsFilter
from servicedesk.models import Priority, SupportGroup, User

from ..models import KnownError, Problem
from ..permissions import ProblemPolicy

# Filters on people, groups and CIs by id; left out for who may not see problems.
AGENT_ONLY_FILTERS = ("support_group", "assignee", "ci")


class ProblemFilter(RecordFilter):
    """Problems by status, priority, group, manager, service, CI and words (`q`, or a number)."""

    status = django_filters.MultipleChoiceFilter(
        choices=Problem.Status.choices, label=_("Status"), distinct=False
    )
    priority = django_filters.MultipleChoiceFilter(
        choices=Priority.choices, label=_("Priority"), distinct=False
    )
    support_group = django_filters.ModelChoiceFilter(
        queryset=SupportGroup.objects.all(), label=_("Support group")
    )
    assignee = django_filters.ModelChoiceFilter(
        queryset=User.objects.all(), label=_("Problem manager"), null_label=_("Unassigned"), null_value="none"
    )
    service = django_filters.ModelChoiceFilter(queryset=business_service_list(), label=_("Business service"))
    ci = django_filters.ModelChoiceFilter(
        field_name="affected_cis", queryset=ConfigurationItem.objects.all(), label=_("Affected CI")
    )
    q = RecordWordsFilter(kind="problem")

    class Meta:
        model = Problem
        fields = []

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None and not ProblemPolicy.can_see(request.user, None):
            # Who sees no problem learns nothing from the filters either: whether a person, group or
            # CI id exists.
            for name in AGENT_ONLY_FILTERS:
                self.filters.pop(name, None)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # An affected-CI filter joins a many-to-many table; a problem may match once only.
        if self.form.cleaned_data.get("ci") is not None:
            queryset = queryset.distinct()
        return queryset


class KnownErrorFilter(FilterSet):
    """Known errors by status, service and CI. `q` is read by the view (`known_error_search`), which
    ranks the matches."""

    q = django_filters.CharFilter(
        method="keep", label=_("Words"), help_text=_("Words; the best matches come first, on one page.")
    )
    status = django_filters.MultipleChoiceFilter(
        choices=KnownError.Status.choices, label=_("Status"), distinct=False
    )
    service = django_filters.ModelChoiceFilter(
        field_name="services", queryset=business_service_list(), label=_("Affected service")
    )
    ci = django_filters.ModelChoiceFilter(
        field_name="cis", queryset=ConfigurationItem.objects.all(), label=_("Affected CI")
    )

    class Meta:
        model = KnownError
        fields = []

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None and not ProblemPolicy.can_see(request.user, None):
            # CMDB data is for agents: a requester learns nothing of which CI ids exist.
            self.filters.pop("ci", None)

    def keep(self, queryset, name, value):
        return queryset
