"""The filters of CMDB lists, defined once for the pages and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cmdb.models import CIClass, CIRelationship, ConfigurationItem, RelationshipType
from servicedesk.api.filters import FilterSet, WordsFilter
from servicedesk.models import SupportGroup, User

# What the words of `q` are looked for in, on the CI list page and in the API alike.
WORD_FIELDS = ("name", "hostname", "serial_number", "asset_tag", "external_id", "version", "description")


class CIFilter(FilterSet):
    """The CI filters of the API and of the CI list page (which sends its form's choices through it).

    `class` (set below: a keyword) takes a class code and matches the class and its subclasses."""

    ci_class = django_filters.ModelChoiceFilter(
        queryset=CIClass.objects.all(),
        to_field_name="code",
        method="filter_class",
        label=_("Class code; includes its subclasses"),
    )
    status = django_filters.MultipleChoiceFilter(choices=ConfigurationItem.Status.choices, distinct=False)
    environment = django_filters.ChoiceFilter(choices=ConfigurationItem.Environment.choices)
    support_group = django_filters.ModelChoiceFilter(queryset=SupportGroup.objects.all())
    owner = django_filters.ModelChoiceFilter(queryset=User.objects.all())
    location = django_filters.ModelChoiceFilter(queryset=ConfigurationItem.objects.all())
    serial_number = django_filters.CharFilter()
    asset_tag = django_filters.CharFilter()
    hostname = django_filters.CharFilter(lookup_expr="iexact")
    external_id = django_filters.CharFilter()
    q = WordsFilter(search_fields=WORD_FIELDS)

    class Meta:
        model = ConfigurationItem
        fields = []

    def filter_class(self, queryset, name, value):
        return queryset.filter(ci_class__path__startswith=value.path)


CIFilter.declared_filters["class"] = CIFilter.base_filters["class"] = CIFilter.base_filters.pop("ci_class")
del CIFilter.declared_filters["ci_class"]


class CIRelationshipFilter(FilterSet):
    source = django_filters.ModelChoiceFilter(queryset=ConfigurationItem.objects.all())
    target = django_filters.ModelChoiceFilter(queryset=ConfigurationItem.objects.all())
    type = django_filters.ModelChoiceFilter(
        queryset=RelationshipType.objects.all(), to_field_name="code", label=_("Relationship type code")
    )
    ci = django_filters.ModelChoiceFilter(
        queryset=ConfigurationItem.objects.all(),
        field_name="source",
        method="filter_ci",
        label=_("Either end"),
    )

    class Meta:
        model = CIRelationship
        fields = []

    def filter_ci(self, queryset, name, value):
        return queryset.filter(Q(source=value) | Q(target=value))


class CIClassFilter(FilterSet):
    parent = django_filters.ModelChoiceFilter(
        queryset=CIClass.objects.all(), to_field_name="code", label=_("Parent class code")
    )
    q = WordsFilter(search_fields=("code", "name", "description"))

    class Meta:
        model = CIClass
        fields = []
