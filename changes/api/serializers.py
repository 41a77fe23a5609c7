"""Shapes of the change API: outputs read only what the views loaded; inputs only validate (numbers of
problems and incidents are turned into records by the views, as the caller may see them)."""

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
from servicedesk.models import Impact, SupportGroup, Urgency, User

from ..links import CHANGE_CAUSED, CHANGE_INCIDENTS, CHANGE_PROBLEMS
from ..models import Change, ChangeType, StandardChange
from ..selectors import change_links

STATUS_HELP = format_lazy(_("One of: {values}."), values=", ".join(Change.Status.values))
IMPACT_HELP = _("1 enterprise, 2 department, 3 user.")
MAX_NUMBERS = 100
# What a pipeline reports of a standard change (a partial success is a person's judgement, in a review).
COMPLETE_OUTCOMES = [
    (value, label)
    for value, label in Change.Outcome.choices
    if value in (Change.Outcome.SUCCESSFUL, Change.Outcome.FAILED, Change.Outcome.BACKED_OUT)
]
LINK_TYPES = [CHANGE_PROBLEMS, CHANGE_INCIDENTS, CHANGE_CAUSED]
TEXT_MAX = 100_000


def _html(text: str) -> str:
    return str(render_markdown(text))


class StandardChangeSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ChangeSerializer(serializers.ModelSerializer):
    """A list row: the change with its manager and implementer group as small objects."""

    status = serializers.CharField(help_text=STATUS_HELP)
    type = serializers.CharField(source="change_type", help_text=_("standard, normal or emergency."))
    risk_level = serializers.CharField(help_text=_("low, medium, high, very_high; empty: not assessed."))
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
    """One change in full, with the numbers of the problems and incidents it fixes (and those it possibly
    caused) that the caller may see, and the transitions the caller may fire (context
    `allowed_transitions`)."""

    description_html = serializers.SerializerMethodField()
    requester = UserSummarySerializer()
    standard_change = StandardChangeSummarySerializer(allow_null=True)
    services = CISummarySerializer(many=True)
    affected_cis = CISummarySerializer(many=True)
    problems = serializers.SerializerMethodField(help_text=_("Problems it fixes (numbers)."))
    incidents = serializers.SerializerMethodField(help_text=_("Incidents it fixes (numbers)."))
    caused_incidents = serializers.SerializerMethodField(
        help_text=_("Incidents it possibly caused (numbers).")
    )
    conflict_override_reason = serializers.CharField(
        help_text=_("Why it goes ahead despite its conflicts (a change manager's).")
    )
    allowed_transitions = serializers.SerializerMethodField()

    class Meta(ChangeSerializer.Meta):
        fields = [
            *ChangeSerializer.Meta.fields,
            "description",
            "description_html",
            "reason",
            "requester",
            "standard_change",
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
            "conflict_override_reason",
            "actual_start",
            "actual_end",
            "failure_reason",
            "backout_reason",
            "retro_approval",
            "retro_approval_due_at",
            "review_outcome",
            "review_lessons",
            "reviewed_at",
            "problems",
            "incidents",
            "caused_incidents",
            "allowed_transitions",
        ]

    def get_description_html(self, record) -> str:
        return _html(record.description)

    def _numbers(self, record, code: str) -> list[str]:
        """The numbers of the records linked to `record` by `code` that the caller may see (the links read
        once for the three lists)."""
        cache = self.context.setdefault("links", {})
        if record.pk not in cache:
            request = self.context.get("request")
            cache[record.pk] = (
                change_links(change=record, user=request.user, types=LINK_TYPES) if request else []
            )
        return [link.record.number for link in cache[record.pk] if link.link_type.code == code]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_problems(self, record) -> list[str]:
        return self._numbers(record, CHANGE_PROBLEMS)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_incidents(self, record) -> list[str]:
        return self._numbers(record, CHANGE_INCIDENTS)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_caused_incidents(self, record) -> list[str]:
        return self._numbers(record, CHANGE_CAUSED)

    @extend_schema_field(AllowedTransitionSerializer(many=True))
    def get_allowed_transitions(self, record) -> list[dict]:
        return self.context.get("allowed_transitions", [])


# Inputs.


def _numbers_field(help_text):
    return serializers.ListField(
        child=serializers.CharField(max_length=30),
        required=False,
        max_length=MAX_NUMBERS,
        help_text=help_text,
    )


def _cis_field(queryset, help_text=""):
    return serializers.PrimaryKeyRelatedField(
        queryset=queryset, many=True, required=False, help_text=help_text
    )


class ChangeFieldsInputSerializer(serializers.Serializer):
    """What a change's raiser gives, and an agent changes while it is planned."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    services = _cis_field(business_service_list(), _("Business services of the catalogue (ids)."))
    affected_cis = _cis_field(ConfigurationItem.objects.all(), _("CIs (ids)."))
    impact = serializers.IntegerField(
        min_value=Impact.ENTERPRISE, max_value=Impact.USER, required=False, help_text=IMPACT_HELP
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    planned_start = serializers.DateTimeField(required=False, allow_null=True)
    planned_end = serializers.DateTimeField(required=False, allow_null=True)
    implementation_plan = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    test_plan = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    backout_plan = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    support_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Implementer group."),
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True, help_text=_("The change manager.")
    )


class ChangeCreateInputSerializer(ChangeFieldsInputSerializer):
    """A normal or emergency change; or, with `standard_change`, one from the catalogue (its plans,
    services, group and risk are the template's: only the title, description, CIs, dates and manager are
    read; the planned end defaults to the start plus its usual duration)."""

    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    type = serializers.ChoiceField(
        choices=[ChangeType.NORMAL, ChangeType.EMERGENCY],
        required=False,
        help_text=_("normal (default) or emergency; standard changes come from `standard_change`."),
    )
    standard_change = serializers.PrimaryKeyRelatedField(
        queryset=StandardChange.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The catalogue's standard change to raise this change from (id)."),
    )
    problems = _numbers_field(_("Problems it fixes: numbers such as PRB0000001 (at most 100)."))
    incidents = _numbers_field(_("Incidents it fixes: numbers such as INC0000001 (at most 100)."))


class ChangeUpdateInputSerializer(ChangeFieldsInputSerializer):
    """Only the fields sent change; after approval only the dates (a change manager's)."""

    title = serializers.CharField(max_length=200, required=False)
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=10_000,
        help_text=_("A scheduled change moved onto conflicts: why it goes ahead anyway (change managers)."),
    )


class ChangeTransitionInputSerializer(serializers.Serializer):
    """`to` and what that transition needs (see `requires` and `accepts` in the allowed transitions)."""

    to = serializers.ChoiceField(choices=Change.Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=10_000,
        help_text=_("Scheduling despite conflicts: why it goes ahead (change managers)."),
    )
    maintenance = serializers.BooleanField(
        required=False,
        help_text=_("Starting: put the affected CIs in maintenance while implementing (default yes)."),
    )


class ChangeReviewInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Change.Outcome.choices)
    lessons = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    caused = serializers.ListField(
        child=serializers.CharField(max_length=30),
        required=False,
        max_length=MAX_NUMBERS,
        help_text=_("Incidents it caused: numbers such as INC0000001 (at most 100)."),
    )


class ChangeCompleteInputSerializer(serializers.Serializer):
    """A pipeline's end of a standard change: how it went, in one call."""

    outcome = serializers.ChoiceField(
        choices=COMPLETE_OUTCOMES,
        help_text=_("successful, failed or backed_out."),
    )
    notes = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_MAX, help_text=_("The review's lessons.")
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=10_000,
        help_text=_("Why it failed or was backed out (required for those outcomes)."),
    )


# The catalogue of standard changes.


class StandardChangeSerializer(serializers.ModelSerializer):
    services = CISummarySerializer(many=True)
    support_group = GroupSummarySerializer(allow_null=True, help_text=_("The implementer group."))
    risk_level = serializers.CharField(help_text=_("low, medium, high or very_high."))
    description_html = serializers.SerializerMethodField()

    class Meta:
        model = StandardChange
        fields = [
            "id",
            "name",
            "description",
            "description_html",
            "services",
            "implementation_plan",
            "test_plan",
            "backout_plan",
            "risk_level",
            "support_group",
            "duration_minutes",
            "is_active",
            "created_at",
            "updated_at",
            "version",
        ]

    def get_description_html(self, standard) -> str:
        return _html(standard.description)


class StandardChangeInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    services = _cis_field(business_service_list(), _("Business services of the catalogue (ids)."))
    implementation_plan = serializers.CharField(max_length=TEXT_MAX)
    test_plan = serializers.CharField(max_length=TEXT_MAX)
    backout_plan = serializers.CharField(max_length=TEXT_MAX)
    risk_level = serializers.ChoiceField(choices=StandardChange._meta.get_field("risk_level").choices)
    support_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(), required=False, allow_null=True
    )
    duration_minutes = serializers.IntegerField(min_value=1, max_value=7 * 24 * 60, required=False)
    is_active = serializers.BooleanField(required=False)


class StandardChangeUpdateInputSerializer(StandardChangeInputSerializer):
    name = serializers.CharField(max_length=200, required=False)
    implementation_plan = serializers.CharField(max_length=TEXT_MAX, required=False)
    test_plan = serializers.CharField(max_length=TEXT_MAX, required=False)
    backout_plan = serializers.CharField(max_length=TEXT_MAX, required=False)
    risk_level = serializers.ChoiceField(
        choices=StandardChange._meta.get_field("risk_level").choices, required=False
    )
