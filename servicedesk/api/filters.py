from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from servicedesk.models import AuditEvent, Organisation, SupportGroup, User
from servicedesk.permissions import OrganisationPolicy, SupportGroupPolicy, UserPolicy
from servicedesk.roles import ROLE_PERMISSIONS


class _BoundedIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
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


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time that must stay within years 1-9999 in UTC."""

    field_class = _BoundedIsoDateTimeField


class WordsFilter(django_filters.CharFilter):
    """`q`: every word must appear in one of the given fields (case-insensitive)."""

    def __init__(self, *args, search_fields=(), **kwargs):
        self.search_fields = search_fields
        kwargs.setdefault("label", _("Words"))
        kwargs.setdefault("method", self.filter_words)
        super().__init__(*args, **kwargs)

    def filter_words(self, queryset, name, value):
        for word in value.split()[:10]:
            condition = Q()
            for field in self.search_fields:
                condition |= Q(**{f"{field}__icontains": word})
            queryset = queryset.filter(condition)
        return queryset


def _visible(policy):
    """A filter's choices: what the caller may see, so that an id they may not see answers exactly as a
    missing one does (400, "not one of the available choices") and tells nothing of its existence."""

    def queryset(request):
        return policy.visible_to(getattr(request, "user", None))

    return queryset


class UserFilter(django_filters.FilterSet):
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


class OrganisationFilter(django_filters.FilterSet):
    q = WordsFilter(search_fields=("name", "email_domain"))

    class Meta:
        model = Organisation
        fields = ["q", "is_active"]


class SupportGroupFilter(django_filters.FilterSet):
    q = WordsFilter(search_fields=("name", "email", "description"))
    member = django_filters.ModelChoiceFilter(field_name="members", queryset=_visible(UserPolicy))
    manager = django_filters.ModelChoiceFilter(queryset=_visible(UserPolicy))

    class Meta:
        model = SupportGroup
        fields = ["q", "tier", "member", "manager", "is_active", "is_default"]


class AuditEventFilter(django_filters.FilterSet):
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
