"""Shapes of the change API: outputs read only what the views loaded; inputs only validate."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cmdb.api.serializers import CISummarySerializer
from servicedesk.api.serializers import (
    AllowedTransitionSerializer,
    GroupSummarySerializer,
    UserSummarySerializer,
)
from servicedesk.markdown import render_markdown

from ..models import Change

STATUS_HELP = format_lazy(_("One of: {values}."), values=", ".join(Change.Status.values))


class ChangeSerializer(serializers.ModelSerializer):
    """A list row: the change with its manager and implementer group as small objects."""

    status = serializers.CharField(help_text=STATUS_HELP)
    type = serializers.CharField(source="change_type", help_text=_("standard, normal or emergency."))
    assignee = UserSummarySerializer(allow_null=True, help_text=_("The change manager."))
    support_group = GroupSummarySerializer(allow_null=True, help_text=_("The group that implements it."))

    class Meta:
        model = Change
        fields = [
            "number",
            "title",
            "type",
            "status",
            "priority",
            "risk_level",
            "planned_start",
            "planned_end",
            "assignee",
            "support_group",
            "created_at",
            "updated_at",
            "closed_at",
            "version",
        ]


class ChangeDetailSerializer(ChangeSerializer):
    """One change in full, with the transitions the caller may fire (context `allowed_transitions`)."""

    description_html = serializers.SerializerMethodField()
    requester = UserSummarySerializer()
    services = CISummarySerializer(many=True)
    affected_cis = CISummarySerializer(many=True)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta(ChangeSerializer.Meta):
        fields = [
            *ChangeSerializer.Meta.fields,
            "description",
            "description_html",
            "reason",
            "requester",
            "services",
            "affected_cis",
            "impact",
            "urgency",
            "implementation_plan",
            "test_plan",
            "backout_plan",
            "risk_score",
            "risk_reasons",
            "assessed_at",
            "actual_start",
            "actual_end",
            "retro_approval",
            "retro_approval_due_at",
            "review_outcome",
            "review_lessons",
            "reviewed_at",
            "allowed_transitions",
        ]

    def get_description_html(self, record) -> str:
        return str(render_markdown(record.description))

    @extend_schema_field(AllowedTransitionSerializer(many=True))
    def get_allowed_transitions(self, record) -> list[dict]:
        return self.context.get("allowed_transitions", [])
