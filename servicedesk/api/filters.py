"""The API's filters: a FilterSet base that refuses what it cannot read, and filters shared by the apps.

django-filter answers 400 for an invalid value of most filters (an unknown id, a bad date, a choice not
offered), but its yes/no filter reads anything it does not know ("maybe", "1", "yes") as "no filter", so
the list silently ignores it. Every FilterSet of the API and the pages derives from `FilterSet` here,
whose `BooleanFilter` refuses such values instead.
"""

import re
from datetime import UTC

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from django_filters.filterset import FILTER_FOR_DBFIELD_DEFAULTS
from drf_spectacular.utils import extend_schema_field

from servicedesk.kinds import record_kind
from servicedesk.lookups import match_words
from servicedesk.models import AuditEvent, Organisation, SupportGroup, User
from servicedesk.permissions import OrganisationPolicy, SupportGroupPolicy, UserPolicy
from servicedesk.records.search import records_search
from servicedesk.roles import ROLE_PERMISSIONS

TRUE_WORDS = ("true", "1", "yes", "on")
FALSE_WORDS = ("false", "0", "no", "off")
UNSET_WORDS = ("", "unknown")  # "unknown" is what Django's yes/no menu sends for "either"


def _yes_no(value) -> bool | None:
    """True, False, None for "either", or ValueError for anything else."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    if text in UNSET_WORDS:
        return None
    raise ValueError(value)


class _YesNoSelect(forms.NullBooleanSelect):
    """Django's yes/no/either menu, passing on what was sent for the field to judge."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)

    def format_value(self, value):
        try:
            parsed = _yes_no(value)
        except ValueError:
            parsed = None
        return {True: "true", False: "false"}.get(parsed, "unknown")


class YesNoField(forms.NullBooleanField):
    """Yes, no or either (empty); any other value is an error rather than "either"."""

    widget = _YesNoSelect
    default_error_messages = {"invalid": _("Enter true or false.")}

    def to_python(self, value):
        try:
            return _yes_no(value)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class BooleanFilter(django_filters.BooleanFilter):
    field_class = YesNoField


class FilterSet(django_filters.FilterSet):
    """The base of every FilterSet here: yes/no filters (declared or generated from `Meta.fields`) refuse
    a value they cannot read, and a filter that takes one value refuses to be sent twice (`q=a&q=b`), which
    would otherwise quietly keep the last."""

    FILTER_DEFAULTS = {
        **FILTER_FOR_DBFIELD_DEFAULTS,
        **{
            field: {**options, "filter_class": BooleanFilter}
            for field, options in FILTER_FOR_DBFIELD_DEFAULTS.items()
            if options.get("filter_class") is django_filters.BooleanFilter
        },
    }

    def is_valid(self):
        valid = super().is_valid()
        sent_twice = _repeated(self.data)
        repeated = [name for name in self.filters if name in sent_twice and not _takes_many(self, name)]
        for name in repeated:
            self.form.add_error(name, _("Send this filter once."))
        return valid and not repeated


def _repeated(data) -> set[str]:
    getlist = getattr(data, "getlist", None)
    return {name for name in data if getlist is not None and len(getlist(name)) > 1}


def _takes_many(filterset, name: str) -> bool:
    field_class = filterset.filters[name].field_class
    return issubclass(field_class, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)


# What the date filters read, and the schema documents: a date, or a date and a time (minutes, seconds or
# fractions), with an optional UTC offset; a time without an offset is in the desk's time zone.
ISO_DATE_TIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,6})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?$"
)


class _BoundedIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        if value not in self.empty_values and not re.fullmatch(ISO_DATE_TIME, str(value)):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        value = super().to_python(value)
        if value is not None:
            try:
                # In UTC: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 allows.
                value = value.astimezone(UTC)
            except OverflowError as exc:
                raise ValidationError(
                    _("Enter a date between the years 1 and 9999."), code="invalid"
                ) from exc
        return value


@extend_schema_field(
    {
        "type": "string",
        "pattern": ISO_DATE_TIME,
        "description": "ISO 8601: a date (its midnight), or a date and time with an optional UTC offset.",
    }
)
class DateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date or date-time that must stay within years 1-9999 in UTC."""

    field_class = _BoundedIsoDateTimeField


class WordsFilter(django_filters.CharFilter):
    """`q`: every word must appear in one of the given fields (case-insensitive)."""

    def __init__(self, *args, search_fields=(), **kwargs):
        self.search_fields = search_fields
        kwargs.setdefault("label", _("Words"))
        kwargs.setdefault("method", self.filter_words)
        super().__init__(*args, **kwargs)

    def filter_words(self, queryset, name, value):
        return match_words(queryset, value, self.search_fields)


class RecordWordsFilter(django_filters.CharFilter):
    """`q` on a list of records: a number, or words searched as the kind declares
    (`servicedesk.records.search`). Applied by `RecordFilter` after every other filter, since a ranked
    search narrows to its best candidates among what the others leave."""

    def __init__(self, *args, kind: str = "", **kwargs):
        self.kind = kind
        kwargs.setdefault("label", _("Words or number"))
        kwargs.setdefault("method", self.keep_words)
        super().__init__(*args, **kwargs)

    def keep_words(self, queryset, name, value):
        self.parent.search_words = value
        return queryset


class RecordFilter(FilterSet):
    """The lists of a record kind: words or a number (`q`), and what a kind's subclass adds. Listed in
    the order the API's cursor keeps (newest first) unless `search_ranked` (pages): best match first."""

    search_ranked = False
    q = RecordWordsFilter()

    def filter_queryset(self, queryset):
        self.search_words = ""
        queryset = super().filter_queryset(queryset)
        if self.search_words:
            words = self.filters["q"]
            kind = record_kind(words.kind) if words.kind else None
            queryset = records_search(queryset, self.search_words, kind=kind, ranked=self.search_ranked)
        return queryset


def _visible(policy):
    """A filter's choices: what the caller may see, so that an id they may not see answers exactly as a
    missing one does (400, "not one of the available choices") and tells nothing of its existence."""

    def queryset(request):
        return policy.visible_to(getattr(request, "user", None))

    return queryset


class UserFilter(FilterSet):
    q = WordsFilter(search_fields=("username", "full_name", "email"))
    organisation = django_filters.ModelChoiceFilter(queryset=_visible(OrganisationPolicy))
    support_group = django_filters.ModelChoiceFilter(
        field_name="support_groups", queryset=_visible(SupportGroupPolicy)
    )
    role = django_filters.ChoiceFilter(
        field_name="groups__name", choices=[(name, name) for name in ROLE_PERMISSIONS]
    )

    class Meta:
        model = User
        fields = ["q", "organisation", "support_group", "role", "is_active"]


class OrganisationFilter(FilterSet):
    q = WordsFilter(search_fields=("name", "email_domain"))

    class Meta:
        model = Organisation
        fields = ["q", "is_active"]


class SupportGroupFilter(FilterSet):
    q = WordsFilter(search_fields=("name", "email", "description"))
    member = django_filters.ModelChoiceFilter(field_name="members", queryset=_visible(UserPolicy))
    manager = django_filters.ModelChoiceFilter(queryset=_visible(UserPolicy))

    class Meta:
        model = SupportGroup
        fields = ["q", "tier", "member", "manager", "is_active", "is_default"]


class AuditEventFilter(FilterSet):
    action = django_filters.CharFilter()
    action_prefix = django_filters.CharFilter(field_name="action", lookup_expr="startswith")
    object_type = django_filters.CharFilter(method="filter_object_type")
    since = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = [
            "action",
            "action_prefix",
            "actor",
            "object_type",
            "object_id",
            "correlation_id",
            "since",
            "until",
        ]

    def filter_object_type(self, queryset, name, value):
        app_label, _sep, model = value.partition(".")
        return queryset.filter(content_type__app_label=app_label, content_type__model=model.lower())
