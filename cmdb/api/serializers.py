"""Shapes of the CMDB API: output serializers read only what the selectors loaded; inputs only validate."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cmdb.models import CIClass, CIRelationship, ConfigurationItem, RelationshipType
from cmdb.services.items import ci_allowed_transitions
from servicedesk.api.serializers import (
    AllowedTransitionSerializer,
    GroupSummarySerializer,
    UserSummarySerializer,
)
from servicedesk.inputs import NUL_MESSAGE, has_null_character
from servicedesk.models import SLAPolicy, SupportGroup, User


# Plain strings, not an enum: one status enum per schema (spectacular names an enum per field).
def _no_null_characters(value):
    """PostgreSQL's jsonb cannot store U+0000, in keys or in strings: refuse it as bad input."""
    if has_null_character(value):
        raise serializers.ValidationError(NUL_MESSAGE)


class CIClassSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class CISummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class RelatedCISerializer(CISummarySerializer):
    ci_class = CIClassSummarySerializer()
    status = serializers.ChoiceField(choices=ConfigurationItem.Status.choices)


class CIClassSerializer(serializers.ModelSerializer):
    """A class with its own schema fragment and the effective schema (inherited fragments merged).

    The effective schemas come from the context (`effective_schemas`: class id -> schema), computed
    once per request from the one list of classes, so rendering never queries.
    """

    parent = CIClassSummarySerializer(allow_null=True)
    effective_schema = serializers.SerializerMethodField()

    class Meta:
        model = CIClass
        fields = [
            "id",
            "code",
            "name",
            "name_translations",
            "parent",
            "path",
            "description",
            "attribute_schema",
            "effective_schema",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.DictField(child=serializers.JSONField()))
    def get_effective_schema(self, ci_class) -> dict:
        return self.context["effective_schemas"][ci_class.pk]


class CIClassInputSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=64)
    name = serializers.CharField(max_length=100)
    parent = serializers.SlugRelatedField(
        slug_field="code", queryset=CIClass.objects.all(), required=False, allow_null=True
    )
    description = serializers.CharField(required=False, allow_blank=True)
    attribute_schema = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        validators=[_no_null_characters],
        help_text=_("JSON Schema fragment for the class."),
    )


class RelationshipTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = RelationshipType
        fields = ["id", "code", "name", "reverse_name", "is_symmetric", "impact"]


class CISerializer(serializers.ModelSerializer):
    ci_class = CIClassSummarySerializer()
    owner = UserSummarySerializer(allow_null=True)
    support_group = GroupSummarySerializer(allow_null=True)
    location = CISummarySerializer(allow_null=True)
    sla_policy = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text=_("The SLA policy's id (business services only).")
    )
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = ConfigurationItem
        fields = [
            "id",
            "name",
            "name_translations",
            "ci_class",
            "status",
            "allowed_transitions",
            "owner",
            "support_group",
            "location",
            "sla_policy",
            "environment",
            "version",
            "description",
            "attributes",
            "serial_number",
            "asset_tag",
            "hostname",
            "external_id",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(AllowedTransitionSerializer(many=True))
    def get_allowed_transitions(self, ci) -> list[dict]:
        """What the caller may fire now (context `request`; none without one)."""
        request = self.context.get("request")
        return ci_allowed_transitions(ci=ci, user=request.user) if request is not None else []


class CIInputSerializer(serializers.Serializer):
    """A CI's editable fields. The class is given by its code; people, groups and locations by id."""

    name = serializers.CharField(max_length=200)
    name_translations = serializers.DictField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        required=False,
        help_text=_('The name in the site\'s other languages, by language code: {"zh-hans": "服务台"}.'),
    )
    ci_class = serializers.SlugRelatedField(slug_field="code", queryset=CIClass.objects.all())
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    support_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(), required=False, allow_null=True
    )
    location = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), required=False, allow_null=True
    )
    sla_policy = serializers.PrimaryKeyRelatedField(
        queryset=SLAPolicy.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("An SLA policy's id; business services only."),
    )
    environment = serializers.ChoiceField(
        choices=ConfigurationItem.Environment.choices, required=False, allow_blank=True
    )
    version = serializers.CharField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    attributes = serializers.DictField(
        child=serializers.JSONField(), required=False, validators=[_no_null_characters]
    )
    serial_number = serializers.CharField(max_length=100, required=False, allow_blank=True)
    asset_tag = serializers.CharField(max_length=100, required=False, allow_blank=True)
    hostname = serializers.CharField(max_length=253, required=False, allow_blank=True)
    external_id = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CICreateInputSerializer(CIInputSerializer):
    status = serializers.ChoiceField(choices=ConfigurationItem.Status.choices, required=False)


class CITransitionsSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ConfigurationItem.Status.choices)
    allowed = AllowedTransitionSerializer(many=True)


class CITransitionInputSerializer(serializers.Serializer):
    to = serializers.CharField(help_text=_("The target status (see the CI's `status` values)."))

    def validate_to(self, value):
        if value not in ConfigurationItem.Status.values:
            raise serializers.ValidationError(_("Not a known status."))
        return value


class CIRelationshipSerializer(serializers.ModelSerializer):
    source = RelatedCISerializer()
    target = RelatedCISerializer()
    type = RelationshipTypeSerializer()

    class Meta:
        model = CIRelationship
        fields = ["id", "source", "type", "target", "description", "created_at"]


class CIRelationshipInputSerializer(serializers.Serializer):
    source = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all())
    target = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all())
    type = serializers.SlugRelatedField(slug_field="code", queryset=RelationshipType.objects.all())
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CINeighbourSerializer(serializers.Serializer):
    """One relationship seen from a CI: which way it points, its name that way, the CI at the other end."""

    id = serializers.IntegerField()
    direction = serializers.ChoiceField(choices=[("outgoing", "outgoing"), ("incoming", "incoming")])
    type = serializers.CharField(help_text=_("The relationship type's code."))
    name = serializers.CharField(help_text=_("The type's name read from this CI: “runs on” or “hosts”."))
    ci = RelatedCISerializer()
    description = serializers.CharField()
    created_at = serializers.DateTimeField()


# `from` is a keyword: declare the fields through type() to keep the audit trail's {"from", "to"} shape.
FieldChangeSerializer = type(
    "FieldChangeSerializer",
    (serializers.Serializer,),
    {
        "field": serializers.CharField(),
        "from": serializers.JSONField(allow_null=True),
        "to": serializers.JSONField(allow_null=True),
    },
)


class CIHistoryRecordSerializer(serializers.Serializer):
    """One historical record of a CI; `changes` is filled by the view from the record before it."""

    id = serializers.IntegerField(source="history_id")
    at = serializers.DateTimeField(source="history_date")
    kind = serializers.SerializerMethodField()
    user = UserSummarySerializer(source="history_user", allow_null=True)
    via = serializers.CharField(source="history_change_reason", allow_null=True)
    changes = FieldChangeSerializer(many=True)

    KINDS = {"+": "created", "~": "changed", "-": "deleted"}

    @extend_schema_field(serializers.ChoiceField(choices=["created", "changed", "deleted"]))
    def get_kind(self, record) -> str:
        return self.KINDS[record.history_type]
