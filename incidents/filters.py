"""The filters of the agent queue and of the API lists: one FilterSet for both."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from cmdb.models import ConfigurationItem
from servicedesk.api.filters import BooleanFilter, DateTimeFilter, RecordFilter, RecordWordsFilter
from servicedesk.models import Priority, SupportGroup, User

from .models import Category, Incident, RequestType
from .permissions import IncidentPolicy
from .selectors import incidents_breaching_within, incidents_sla_breached

# Filters on what only agents see (SLA, CMDB, people and groups by id); left out for anyone else.
AGENT_ONLY_FILTERS = (
    "sla_breached",
    "sla_breaching_within",
    "ci",
    "assignee",
    "requester",
    "support_group",
)

# A year of minutes: far enough ahead for any target, small enough for any date arithmetic.
MAX_MINUTES = 525_600


@extend_schema_field(OpenApiTypes.INT)
class MinutesFilter(django_filters.Filter):
    """A whole number of minutes, from 0: anything else is a field error (400 in the API)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_MINUTES)
        super().__init__(*args, **kwargs)


class IncidentFilter(RecordFilter):
    """Filters by status, priority, group, assignee, service, CI, dates, SLA (breached; falling due
    within N minutes) and words (`q`, or a number). Given a request from someone who may not see
    internal data (a requester), the `AGENT_ONLY_FILTERS` are left out."""

    status = django_filters.MultipleChoiceFilter(
        choices=Incident.Status.choices, label=_("Status"), distinct=False
    )
    priority = django_filters.MultipleChoiceFilter(
        choices=Priority.choices, label=_("Priority"), distinct=False
    )
    support_group = django_filters.ModelChoiceFilter(
        queryset=SupportGroup.objects.all(), label=_("Support group")
    )
    assignee = django_filters.ModelChoiceFilter(
        queryset=User.objects.all(), label=_("Assignee"), null_label=_("Unassigned"), null_value="none"
    )
    requester = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("Requester"))
    service = django_filters.ModelChoiceFilter(
        queryset=ConfigurationItem.objects.filter(ci_class__path__startswith="/business_service/"),
        label=_("Business service"),
    )
    ci = django_filters.ModelChoiceFilter(
        field_name="affected_cis", queryset=ConfigurationItem.objects.all(), label=_("Affected CI")
    )
    category = django_filters.ModelChoiceFilter(queryset=Category.objects.all(), label=_("Category"))
    kind = django_filters.ChoiceFilter(choices=Incident.Kind.choices, label=_("Kind"))
    request_type = django_filters.ModelChoiceFilter(
        queryset=RequestType.objects.all(), label=_("Request type")
    )
    channel = django_filters.MultipleChoiceFilter(
        choices=Incident.Channel.choices, label=_("Channel"), distinct=False
    )
    is_major = BooleanFilter(label=_("Major incident"))
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte", label=_("Created from"))
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt", label=_("Created before"))
    updated_after = DateTimeFilter(field_name="updated_at", lookup_expr="gte", label=_("Updated from"))
    resolved_after = DateTimeFilter(field_name="resolved_at", lookup_expr="gte", label=_("Resolved from"))
    resolved_before = DateTimeFilter(field_name="resolved_at", lookup_expr="lt", label=_("Resolved before"))
    sla_breached = BooleanFilter(method="filter_sla_breached", label=_("SLA breached"))
    sla_breaching_within = MinutesFilter(
        method="filter_sla_breaching_within",
        label=_("SLA due within (minutes)"),
        help_text=_("Open records whose SLA falls due within this many minutes, not yet breached."),
    )
    q = RecordWordsFilter(kind="incident")

    class Meta:
        model = Incident
        fields = []

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None and not IncidentPolicy.can_see_internal(request.user):
            # Not the caller's business: dropped, so they are ignored like any unknown parameter. A
            # requester learns neither SLA state nor whether a person, group or CI id exists.
            for name in AGENT_ONLY_FILTERS:
                self.filters.pop(name, None)

    def filter_sla_breached(self, queryset, name, value):
        return incidents_sla_breached(queryset, breached=value)

    def filter_sla_breaching_within(self, queryset, name, value):
        return incidents_breaching_within(queryset, minutes=value)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # An affected-CI filter joins a many-to-many table; a record may match once only.
        if self.form.cleaned_data.get("ci") is not None:
            queryset = queryset.distinct()
        return queryset
