"""Shapes of the incident and request API: outputs read only what selectors loaded; inputs only validate."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cmdb.api.serializers import CISummarySerializer
from cmdb.models import ConfigurationItem
from cmdb.selectors import business_service_list
from servicedesk.api.serializers import (
    AllowedTransitionSerializer,
    GroupSummarySerializer,
    UserSummarySerializer,
)
from servicedesk.api.sla import SLAClockSerializer
from servicedesk.markdown import render_markdown
from servicedesk.models import Impact, SupportGroup, Urgency, User

from .. import workflow as wf
from ..models import Category, Incident, RequestType

# Plain strings in the outputs, not enums: the schema keeps one enum per input field.
STATUS_HELP = format_lazy(_("One of: {values}."), values=", ".join(wf.STATUSES))
IMPACT_HELP = _("1 enterprise, 2 department, 3 user.")


class RequestTypeSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CategorySummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class IncidentSerializer(serializers.ModelSerializer):
    """A list row: the record with its people, group, service and request type as small objects.

    `sla` reads the clocks the view computed for the whole page (context `sla`: record id → clock
    statuses), never per row; agents only: for anyone else it is empty. Without that context (a webhook
    payload) it is left out.
    """

    kind = serializers.CharField(help_text=_("incident or request"))
    status = serializers.CharField(help_text=STATUS_HELP)
    impact = serializers.IntegerField(help_text=IMPACT_HELP)
    requester = UserSummarySerializer()
    assignee = UserSummarySerializer(allow_null=True)
    support_group = GroupSummarySerializer(allow_null=True)
    service = CISummarySerializer(allow_null=True)
    request_type = RequestTypeSummarySerializer(allow_null=True)
    sla = serializers.SerializerMethodField(
        help_text=_("The record's SLA clocks, response first (agents only; empty for requesters).")
    )

    class Meta:
        model = Incident
        fields = [
            "number",
            "kind",
            "title",
            "status",
            "priority",
            "impact",
            "urgency",
            "channel",
            "is_major",
            "requester",
            "assignee",
            "support_group",
            "service",
            "request_type",
            "created_at",
            "updated_at",
            "resolved_at",
            "version",
            "sla",
        ]

    @extend_schema_field(SLAClockSerializer(many=True))
    def get_sla(self, record) -> list[dict]:
        statuses = (self.context.get("sla") or {}).get(record.pk, [])
        return SLAClockSerializer(statuses, many=True).data

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if "sla" not in self.context:
            data.pop("sla", None)
        return data


class IncidentDetailSerializer(IncidentSerializer):
    """One record in full. `allowed_transitions` comes from the context (computed once by the view)."""

    description_html = serializers.SerializerMethodField()
    category = CategorySummarySerializer(allow_null=True)
    subcategory = CategorySummarySerializer(allow_null=True)
    parent = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)
    merged_into = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)
    created_by = UserSummarySerializer(allow_null=True)
    affected_cis = CISummarySerializer(many=True, help_text=_("Agents only; empty for requesters."))
    allowed_transitions = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = [
            *IncidentSerializer.Meta.fields,
            "description",
            "description_html",
            "category",
            "subcategory",
            "affected_cis",
            "parent",
            "merged_into",
            "created_by",
            "hold_reason",
            "resolution_code",
            "resolution_notes",
            "first_contact_resolution",
            "responded_at",
            "closed_at",
            "reopen_count",
            "csat_score",
            "csat_comment",
            "rated_at",
            "form_data",
            "allowed_transitions",
        ]

    def get_description_html(self, record) -> str:
        return str(render_markdown(record.description))

    @extend_schema_field(AllowedTransitionSerializer(many=True))
    def get_allowed_transitions(self, record) -> list[dict]:
        return self.context.get("allowed_transitions", [])

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self.context.get("internal") is False:
            data["affected_cis"] = []  # CMDB data is for agents, as the SLA clocks are
        return data


# Inputs.


class IncidentCreateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    # The catalogue only: any other CI answers as a missing one does, so filing tells nothing of the CMDB.
    service = serializers.PrimaryKeyRelatedField(
        queryset=business_service_list(), required=False, allow_null=True
    )
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True
    )
    subcategory = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    requester = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, help_text=_("Agents only: file for someone else.")
    )
    channel = serializers.ChoiceField(
        choices=Incident.Channel.choices, required=False, help_text=_("Agents only; `api` when left out.")
    )
    impact = serializers.IntegerField(
        min_value=Impact.ENTERPRISE, max_value=Impact.USER, required=False, help_text=IMPACT_HELP
    )
    support_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(), required=False, allow_null=True, help_text=_("Agents only.")
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True, help_text=_("Agents only.")
    )
    affected_cis = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(),
        many=True,
        required=False,
        help_text=_("Agents only."),
    )


class RequestCreateInputSerializer(IncidentCreateInputSerializer):
    request_type = serializers.PrimaryKeyRelatedField(queryset=RequestType.objects.all())
    form_data = serializers.JSONField(
        required=False,
        default=dict,
        help_text=_(
            "The answers to the request type's form (its `form_schema`), by field name: people and CIs by "
            "id, dates as YYYY-MM-DD. File fields are answered by attaching the file afterwards."
        ),
    )


class IncidentUpdateInputSerializer(serializers.Serializer):
    """What an agent may change; group and assignee route the record, the rest are its working fields."""

    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True
    )
    subcategory = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True
    )
    service = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), required=False, allow_null=True
    )
    impact = serializers.IntegerField(
        min_value=Impact.ENTERPRISE, max_value=Impact.USER, required=False, help_text=IMPACT_HELP
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    channel = serializers.ChoiceField(choices=Incident.Channel.choices, required=False)
    affected_cis = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), many=True, required=False
    )
    support_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(), required=False, allow_null=True
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )


class TransitionInputSerializer(serializers.Serializer):
    """`to` and what that transition needs (see `requires` and `accepts` in the allowed transitions)."""

    to = serializers.ChoiceField(choices=Incident.Status.choices)
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)
    hold_reason = serializers.ChoiceField(choices=Incident.HoldReason.choices, required=False)
    resolution_code = serializers.ChoiceField(choices=Incident.ResolutionCode.choices, required=False)
    resolution_notes = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    first_contact_resolution = serializers.BooleanField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    csat_score = serializers.IntegerField(min_value=1, max_value=5, required=False)
    csat_comment = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class ParentInputSerializer(serializers.Serializer):
    parent = serializers.CharField(
        allow_null=True, max_length=30, help_text=_("The parent's number, or null to detach.")
    )


class MergeInputSerializer(serializers.Serializer):
    into = serializers.CharField(max_length=30, help_text=_("The number of the record to merge into."))


class MajorInputSerializer(serializers.Serializer):
    is_major = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class RatingInputSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


# The catalogue.


class BusinessServiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    support_group = GroupSummarySerializer(allow_null=True)


class RequestTypeSerializer(serializers.ModelSerializer):
    service = CISummarySerializer()
    support_group = GroupSummarySerializer(allow_null=True)

    class Meta:
        model = RequestType
        fields = [
            "id",
            "name",
            "description",
            "service",
            "support_group",
            "urgency",
            "approval",
            "form_schema",
        ]


class CategorySerializer(serializers.ModelSerializer):
    parent = CategorySummarySerializer(allow_null=True)

    class Meta:
        model = Category
        fields = ["id", "name", "parent"]


class PriorityCellSerializer(serializers.Serializer):
    impact = serializers.IntegerField()
    impact_label = serializers.CharField()
    urgency = serializers.IntegerField()
    urgency_label = serializers.CharField()
    priority = serializers.IntegerField()
    priority_label = serializers.CharField()
