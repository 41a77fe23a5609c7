"""Shapes of the foundation's API: output serializers never query per row; inputs only validate."""

import zoneinfo

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from servicedesk.models import ApiToken, AuditEvent, Organisation, SupportGroup, User
from servicedesk.roles import ROLE_PERMISSIONS


class OrganisationSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AllowedTransitionSerializer(serializers.Serializer):
    """A transition the caller may fire now: the one shape of every kind's `allowed_transitions` and
    `…/transitions` answer (records and CIs alike)."""

    name = serializers.CharField(help_text=_("The transition's name."))
    to = serializers.CharField(help_text=_("The status it leads to: send it as `to` to fire it."))
    label = serializers.CharField(help_text=_("What to call it on a button, in your language."))
    requires = serializers.ListField(child=serializers.CharField(), help_text=_("Inputs it needs."))
    accepts = serializers.ListField(child=serializers.CharField(), help_text=_("Inputs it also takes."))


class UserSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)


class GroupSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "email_domain",
            "phone",
            "is_active",
            "shares_records",
            "created_at",
            "updated_at",
        ]


class OrganisationInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email_domain = serializers.CharField(max_length=253, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    shares_records = serializers.BooleanField(
        required=False, help_text=_("Requesters of the organisation may follow each other's records.")
    )


class UserSerializer(serializers.ModelSerializer):
    organisation = OrganisationSummarySerializer(allow_null=True)
    roles = serializers.SerializerMethodField()
    support_groups = GroupSummarySerializer(many=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "full_name",
            "phone",
            "organisation",
            "department",
            "language",
            "time_zone",
            "is_active",
            "roles",
            "support_groups",
            "date_joined",
            "last_login",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_roles(self, user) -> list[str]:
        return sorted(group.name for group in user.groups.all() if group.name in ROLE_PERMISSIONS)


class MeSerializer(UserSerializer):
    is_agent = serializers.BooleanField()

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "is_agent"]


def _validate_time_zone(value: str) -> str:
    if value and value not in zoneinfo.available_timezones():
        raise serializers.ValidationError(_("Not a known time zone."))
    return value


class ProfileInputSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False, allow_blank=True)
    time_zone = serializers.CharField(
        max_length=64, required=False, allow_blank=True, validators=[_validate_time_zone]
    )


class UserInputSerializer(ProfileInputSerializer):
    email = serializers.EmailField(required=False, allow_blank=True)
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), required=False, allow_null=True
    )
    department = serializers.CharField(max_length=100, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=list(ROLE_PERMISSIONS)), required=False
    )


class UserCreateInputSerializer(UserInputSerializer):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    password = serializers.CharField(
        required=False, write_only=True, style={"input_type": "password"}, trim_whitespace=False
    )

    def validate(self, attrs):
        if attrs.get("password"):
            validate_password(
                attrs["password"], User(username=attrs["username"], email=attrs.get("email", ""))
            )
        return attrs


class SupportGroupSerializer(serializers.ModelSerializer):
    manager = UserSummarySerializer(allow_null=True)
    escalation_group = GroupSummarySerializer(allow_null=True)
    members = UserSummarySerializer(many=True)

    class Meta:
        model = SupportGroup
        fields = [
            "id",
            "name",
            "email",
            "tier",
            "description",
            "manager",
            "escalation_group",
            "members",
            "is_active",
            "is_default",
            "created_at",
            "updated_at",
        ]


class SupportGroupInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(required=False, allow_blank=True)
    tier = serializers.ChoiceField(choices=SupportGroup.Tier.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    manager = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    escalation_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(), required=False, allow_null=True
    )
    is_active = serializers.BooleanField(required=False)
    is_default = serializers.BooleanField(
        required=False,
        help_text=_(
            "Administrators: true makes this the group that records no rule routes go to (the previous "
            "default stops being it); false on the default group leaves the desk without one."
        ),
    )


class SupportGroupCreateInputSerializer(SupportGroupInputSerializer):
    members = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), many=True, required=False)


class SupportGroupMemberInputSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())


class ApiTokenSerializer(serializers.ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "is_active",
        ]


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(
        allow_null=True,
        help_text=_(
            "The token itself. Shown only in this answer: store it now. Null when the answer is a replay "
            "(Idempotent-Replayed: true); revoke the token and create another if the first answer was lost."
        ),
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]


class ApiTokenCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class AuditEventSerializer(serializers.ModelSerializer):
    object_type = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "data",
            "correlation_id",
        ]

    def get_object_type(self, event) -> str:
        if event.content_type is None:
            return ""
        return f"{event.content_type.app_label}.{event.content_type.model}"
