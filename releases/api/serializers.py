"""Shapes of the release API: outputs read only what the views loaded; inputs only validate (numbers of
changes are turned into records by the views, as the caller may see them)."""

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
from servicedesk.markdown import render_markdown
from servicedesk.models import SupportGroup, User

from ..links import RELEASE_CHANGES
from ..models import Release, ReleaseType

STATUS_HELP = format_lazy(_("One of: {values}."), values=", ".join(Release.Status.values))
MAX_NUMBERS = 100
TEXT_MAX = 100_000


class ReleaseSerializer(serializers.ModelSerializer):
    """A list row: the release with its manager and build group as small objects."""

    status = serializers.CharField(help_text=STATUS_HELP)
    type = serializers.CharField(source="release_type", help_text=_("major, minor or emergency."))
    assignee = UserSummarySerializer(allow_null=True, help_text=_("The release manager."))
    support_group = GroupSummarySerializer(
        allow_null=True, help_text=_("The group that builds and deploys it.")
    )

    class Meta:
        model = Release
        fields = [
            "number",
            "title",
            "release_version",
            "type",
            "status",
            "rollback_extent",
            "planned_start",
            "planned_end",
            "assignee",
            "support_group",
            "created_at",
            "updated_at",
            "closed_at",
            "version",
        ]


class ChecklistItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    done = serializers.BooleanField()
    missing = serializers.CharField(help_text=_("What is missing; empty when done."))


class ReleaseDetailSerializer(ReleaseSerializer):
    """One release in full: what it targets, the numbers of the changes it bundles that the caller may see,
    its checklist, and the transitions the caller may fire (context `allowed_transitions`)."""

    description_html = serializers.SerializerMethodField()
    requester = UserSummarySerializer()
    test_lead = UserSummarySerializer(allow_null=True)
    services = CISummarySerializer(many=True)
    target_cis = CISummarySerializer(many=True)
    changes = serializers.SerializerMethodField(help_text=_("The changes it bundles (numbers)."))
    checklist = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta(ReleaseSerializer.Meta):
        fields = [
            *ReleaseSerializer.Meta.fields,
            "description",
            "description_html",
            "requester",
            "test_lead",
            "services",
            "target_cis",
            "changes",
            "backout_plan",
            "tests_passed_at",
            "test_summary",
            "communication_sent_at",
            "communication_note",
            "checklist",
            "approved_at",
            "baseline",
            "actual_start",
            "actual_end",
            "failure_reason",
            "rollback_reason",
            "outcome",
            "outcome_notes",
            "allowed_transitions",
        ]

    def get_description_html(self, record) -> str:
        return str(render_markdown(record.description))

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_changes(self, record) -> list[str]:
        from servicedesk.records.selectors import record_links

        request = self.context.get("request")
        if request is None:
            return []
        return [
            link.record.number
            for link in record_links(record=record, user=request.user, types=[RELEASE_CHANGES])
        ]

    @extend_schema_field(ChecklistItemSerializer(many=True))
    def get_checklist(self, record) -> list[dict]:
        from ..services.gonogo import checklist

        return [
            {**item, "label": str(item["label"]), "missing": str(item["missing"])}
            for item in checklist(record)
        ]

    @extend_schema_field(AllowedTransitionSerializer(many=True))
    def get_allowed_transitions(self, record) -> list[dict]:
        return self.context.get("allowed_transitions", [])


# Inputs.


def _cis_field(queryset, help_text=""):
    return serializers.PrimaryKeyRelatedField(
        queryset=queryset, many=True, required=False, help_text=help_text
    )


class ReleaseFieldsInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, help_text=_("The release's name."))
    release_version = serializers.CharField(max_length=64)
    type = serializers.ChoiceField(choices=ReleaseType.choices, required=False, source="release_type")
    description = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    services = _cis_field(business_service_list(), _("Target business services (ids)."))
    target_cis = _cis_field(ConfigurationItem.objects.all(), _("Target CIs (ids)."))
    planned_start = serializers.DateTimeField(required=False, allow_null=True)
    planned_end = serializers.DateTimeField(required=False, allow_null=True)
    backout_plan = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    support_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(), required=False, allow_null=True, help_text=_("Build group.")
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True, help_text=_("The release manager.")
    )
    test_lead = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )


class ReleaseCreateInputSerializer(ReleaseFieldsInputSerializer):
    changes = serializers.ListField(
        child=serializers.CharField(max_length=30),
        required=False,
        max_length=MAX_NUMBERS,
        help_text=_("Approved or scheduled changes it bundles: numbers such as CHG0000001 (at most 100)."),
    )


class ReleaseUpdateInputSerializer(ReleaseFieldsInputSerializer):
    """Only the fields sent change; from the go/no-go on only the dates (a release manager's)."""

    title = serializers.CharField(max_length=200, required=False)
    release_version = serializers.CharField(max_length=64, required=False)


class ReleaseTransitionInputSerializer(serializers.Serializer):
    """`to` and what that transition needs (see `requires` and `accepts` in the allowed transitions)."""

    to = serializers.ChoiceField(choices=Release.Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=10_000,
        help_text=_("Deploying despite the first wave's window: why it goes ahead (release managers)."),
    )
    outcome = serializers.ChoiceField(
        choices=Release.Outcome.choices, required=False, help_text=_("Closing: how it went.")
    )
    notes = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_MAX, help_text=_("Closing: lessons learned.")
    )


class ReleaseChangesInputSerializer(serializers.Serializer):
    changes = serializers.ListField(
        child=serializers.CharField(max_length=30),
        min_length=1,
        max_length=MAX_NUMBERS,
        help_text=_("Change numbers such as CHG0000001."),
    )


class ChecklistInputSerializer(serializers.Serializer):
    tests_passed = serializers.BooleanField(required=False)
    test_summary = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    communication_sent = serializers.BooleanField(required=False)
    communication_note = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
