"""Shapes of the problem and known-error API: outputs read only what the views loaded; inputs only
validate (numbers of incidents are turned into records by the views, as the caller may see them)."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cmdb.api.serializers import CISummarySerializer
from cmdb.models import ConfigurationItem
from cmdb.selectors import business_service_list
from incidents.api.serializers import CategorySummarySerializer
from incidents.models import Category
from servicedesk.api.serializers import (
    AllowedTransitionSerializer,
    GroupSummarySerializer,
    UserSummarySerializer,
)
from servicedesk.markdown import render_markdown
from servicedesk.models import Impact, SupportGroup, Urgency, User

from ..models import KnownError, Problem
from ..selectors import problem_incidents

STATUS_HELP = format_lazy(_("One of: {values}."), values=", ".join(Problem.Status.values))
IMPACT_HELP = _("1 enterprise, 2 department, 3 user.")
MAX_NUMBERS = 100
NUMBERS_HELP = _("Incident numbers, such as INC0000001 (at most 100).")


def _html(text: str) -> str:
    return str(render_markdown(text))


class ProblemSerializer(serializers.ModelSerializer):
    """A list row: the problem with its manager, group and service as small objects."""

    status = serializers.CharField(help_text=STATUS_HELP)
    impact = serializers.IntegerField(help_text=IMPACT_HELP)
    assignee = UserSummarySerializer(allow_null=True, help_text=_("The problem manager."))
    support_group = GroupSummarySerializer(allow_null=True)
    service = CISummarySerializer(allow_null=True)

    class Meta:
        model = Problem
        fields = [
            "number",
            "title",
            "status",
            "priority",
            "impact",
            "urgency",
            "assignee",
            "support_group",
            "service",
            "created_at",
            "updated_at",
            "resolved_at",
            "closed_at",
            "version",
        ]


class ProblemDetailSerializer(ProblemSerializer):
    """One problem in full: its root-cause analysis, its error control, its known error's id, the numbers
    of its incidents the caller may see and the transitions the caller may fire (context
    `allowed_transitions`)."""

    description_html = serializers.SerializerMethodField()
    category = CategorySummarySerializer(allow_null=True)
    requester = UserSummarySerializer(help_text=_("Who raised it."))
    created_by = UserSummarySerializer(allow_null=True)
    affected_cis = CISummarySerializer(many=True)
    contributing_cis = CISummarySerializer(many=True)
    method = serializers.CharField(help_text=_("5 whys, fishbone, fault tree or other; empty: not chosen."))
    known_error = serializers.SerializerMethodField(help_text=_("The id of its known error, once published."))
    incidents = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta(ProblemSerializer.Meta):
        fields = [
            *ProblemSerializer.Meta.fields,
            "description",
            "description_html",
            "category",
            "requester",
            "created_by",
            "affected_cis",
            "symptoms",
            "root_cause",
            "method",
            "worksheet",
            "contributing_cis",
            "time_spent_minutes",
            "workaround",
            "no_workaround",
            "fix",
            "known_error",
            "incidents",
            "allowed_transitions",
        ]

    def get_description_html(self, record) -> str:
        return _html(record.description)

    def get_known_error(self, record) -> int | None:
        try:
            return record.known_error.pk
        except KnownError.DoesNotExist:
            return None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_incidents(self, record) -> list[str]:
        """The numbers of its incidents the caller may see (two queries, for one record)."""
        request = self.context.get("request")
        if request is None:
            return []
        return [link.record.number for link in problem_incidents(problem=record, user=request.user)]

    @extend_schema_field(AllowedTransitionSerializer(many=True))
    def get_allowed_transitions(self, record) -> list[dict]:
        return self.context.get("allowed_transitions", [])


class LinkedIncidentSerializer(serializers.Serializer):
    """An incident linked to the problem."""

    number = serializers.CharField(source="record.number")
    title = serializers.CharField(source="record.title")
    status = serializers.CharField(source="record.status")
    priority = serializers.IntegerField(source="record.priority")
    linked_at = serializers.DateTimeField(source="created_at")
    linked_by = UserSummarySerializer(source="created_by", allow_null=True)


# Inputs.


def _services():
    return business_service_list()


class ProblemFieldsInputSerializer(serializers.Serializer):
    """What a problem's raiser may give, and an agent change."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    # The catalogue only, as the services check again.
    service = serializers.PrimaryKeyRelatedField(queryset=_services(), required=False, allow_null=True)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True
    )
    impact = serializers.IntegerField(
        min_value=Impact.ENTERPRISE, max_value=Impact.USER, required=False, help_text=IMPACT_HELP
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    support_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(), required=False, allow_null=True
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True, help_text=_("The problem manager.")
    )
    affected_cis = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), many=True, required=False
    )
    symptoms = serializers.CharField(required=False, allow_blank=True, max_length=100_000)


class ProblemCreateInputSerializer(ProblemFieldsInputSerializer):
    incidents = serializers.ListField(
        child=serializers.CharField(max_length=30),
        required=False,
        max_length=MAX_NUMBERS,
        help_text=NUMBERS_HELP,
    )


class ProblemFromIncidentsInputSerializer(ProblemFieldsInputSerializer):
    """The incidents, and what to change of what the first of them gives (its title, service, category)."""

    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    incidents = serializers.ListField(
        child=serializers.CharField(max_length=30),
        allow_empty=False,
        max_length=MAX_NUMBERS,
        help_text=NUMBERS_HELP,
    )


class ProblemUpdateInputSerializer(ProblemFieldsInputSerializer):
    """The working fields of a problem and its root-cause analysis; only the fields sent change."""

    title = serializers.CharField(max_length=200, required=False)
    method = serializers.ChoiceField(choices=[("", "—"), *Problem.Method.choices], required=False)
    worksheet = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    root_cause = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    contributing_cis = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), many=True, required=False
    )
    time_spent_minutes = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False)
    workaround = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    no_workaround = serializers.BooleanField(required=False)


class ProblemTransitionInputSerializer(serializers.Serializer):
    """`to` and what that transition needs (see `requires` and `accepts` in the allowed transitions)."""

    to = serializers.ChoiceField(choices=Problem.Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    root_cause = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    workaround = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    no_workaround = serializers.BooleanField(required=False)
    fix = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100_000,
        help_text=_("Resolving: how the cause was removed."),
    )


class IncidentNumbersInputSerializer(serializers.Serializer):
    incidents = serializers.ListField(
        child=serializers.CharField(max_length=30),
        allow_empty=False,
        max_length=MAX_NUMBERS,
        help_text=NUMBERS_HELP,
    )


class PublishInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=KnownError.Status.choices,
        help_text=_("draft, agents (published to agents), portal (also to requesters) or retired."),
    )


# The known error database.


class KnownErrorSerializer(serializers.ModelSerializer):
    """A KEDB entry, with how often its workaround was applied and how many of those incidents were
    reopened since (context `usage`: id → counts, read once per page), and how often the portal suggested
    it, it solved the requester's issue and they filed anyway (context `deflections`, likewise). For who
    does not work incidents (requesters), the problem, root cause and CIs are left empty: they see the
    symptoms and workaround."""

    status = serializers.CharField(
        help_text=format_lazy(_("One of: {values}."), values=", ".join(KnownError.Status.values))
    )
    problem = serializers.SerializerMethodField(help_text=_("The problem's number (agents only)."))
    symptoms_html = serializers.SerializerMethodField()
    workaround_html = serializers.SerializerMethodField()
    services = CISummarySerializer(many=True)
    cis = CISummarySerializer(many=True, help_text=_("Agents only; empty for requesters."))
    applied_count = serializers.SerializerMethodField(help_text=_("Times its workaround was applied."))
    reopened_count = serializers.SerializerMethodField(
        help_text=_("Incidents it was applied to that were reopened since.")
    )
    shown_count = serializers.SerializerMethodField(
        help_text=_("Times the portal suggested it under a new incident's title (once per form).")
    )
    accepted_count = serializers.SerializerMethodField(
        help_text=_("Times a requester said it solved the issue, filing nothing.")
    )
    filed_count = serializers.SerializerMethodField(
        help_text=_("Times a requester it was suggested to filed the incident anyway.")
    )
    search_rank = serializers.SerializerMethodField(help_text=_("With `q`: how well it matches."))

    class Meta:
        model = KnownError
        fields = [
            "id",
            "title",
            "status",
            "problem",
            "symptoms",
            "symptoms_html",
            "root_cause",
            "workaround",
            "workaround_html",
            "services",
            "cis",
            "published_at",
            "retired_at",
            "created_at",
            "updated_at",
            "version",
            "applied_count",
            "reopened_count",
            "shown_count",
            "accepted_count",
            "filed_count",
            "search_rank",
        ]

    def get_problem(self, known_error) -> str | None:
        return known_error.problem.number if self.context.get("internal") else None

    def get_symptoms_html(self, known_error) -> str:
        return _html(known_error.symptoms)

    def get_workaround_html(self, known_error) -> str:
        return _html(known_error.workaround)

    def _usage(self, known_error) -> dict:
        return (self.context.get("usage") or {}).get(known_error.pk, {})

    def get_applied_count(self, known_error) -> int:
        return self._usage(known_error).get("applied", 0)

    def get_reopened_count(self, known_error) -> int:
        return self._usage(known_error).get("reopened", 0)

    def _deflections(self, known_error) -> dict:
        return (self.context.get("deflections") or {}).get(known_error.pk, {})

    def get_shown_count(self, known_error) -> int:
        return self._deflections(known_error).get("shown", 0)

    def get_accepted_count(self, known_error) -> int:
        return self._deflections(known_error).get("accepted", 0)

    def get_filed_count(self, known_error) -> int:
        return self._deflections(known_error).get("filed", 0)

    def get_search_rank(self, known_error) -> float | None:
        rank = getattr(known_error, "search_rank", None)
        return None if rank is None else round(float(rank), 4)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("internal"):
            data["root_cause"] = ""
            data["cis"] = []
        return data


class KnownErrorUpdateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    symptoms = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    root_cause = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    workaround = serializers.CharField(
        required=False, allow_blank=True, max_length=100_000, help_text=_("Markdown; empty: none.")
    )
    services = serializers.PrimaryKeyRelatedField(queryset=_services(), many=True, required=False)
    cis = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), many=True, required=False
    )


class ApplyInputSerializer(serializers.Serializer):
    incident = serializers.CharField(max_length=30, help_text=_("The incident's number."))
    resolve = serializers.BooleanField(
        default=False, help_text=_("Also resolve the incident, with the resolution code “workaround”.")
    )
