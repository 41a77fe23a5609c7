"""The API of changes (`/api/v1/changes/`): the kernel's record resource (comments, timeline,
attachments, transitions, links, approvals), addressed by number (`CHG0000001`). Only those who may see
changes see them all; anyone else sees the ones they requested (404 for the others). Here: raising one
(normal, emergency, or from the catalogue's standard changes, with the problems and incidents it fixes),
editing it with If-Match, its post-implementation review, and a pipeline's one-call completion of a
standard change. Views parse, call one service and render; the services authorise."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.api.conditional import expected_version
from servicedesk.api.records import (
    NUMBER_PARAMETER,
    RecordViewSet,
    record_api_url,
    record_writes,
    records_from_numbers,
)
from servicedesk.api.schema import error_responses_for
from servicedesk.errors import PermissionDenied

from .. import services
from .. import workflow as wf
from ..conflicts import change_conflicts
from ..permissions import ChangePolicy
from ..selectors import change_list_for_user
from ..services.assessment import change_assess, change_impact
from ..services.implementation import change_review
from ..services.pipeline import change_complete
from . import assessment, serializers
from .filters import ChangeFilter
from .schedule import ConflictSerializer

# What a change raised from the catalogue takes besides its template: the rest is the template's.
FROM_STANDARD = {"title", "description", "affected_cis", "planned_start", "planned_end", "assignee"}
# Fields naming the desk's people, groups and CIs by id: only agents of changes send them.
AGENT_FIELDS = ("support_group", "assignee", "services", "affected_cis")


COMPLETE_EXAMPLES = [
    OpenApiExample(
        "Deployed",
        value={"outcome": "successful", "notes": "Release 2.4.1 deployed by pipeline #812."},
        request_only=True,
    ),
    OpenApiExample(
        "Rolled back",
        value={
            "outcome": "backed_out",
            "reason": "Health checks failed after the deploy; the previous release is back.",
            "notes": "Pipeline #813.",
        },
        request_only=True,
    ),
]


@extend_schema_view(
    list=extend_schema(summary="The changes you may see, newest first"),
    retrieve=extend_schema(
        summary="One change, with its ETag and the transitions you may fire",
        responses={200: serializers.ChangeDetailSerializer},
    ),
    create=extend_schema(
        summary="Raise a change: normal (a draft), emergency (submitted), or standard from the catalogue",
        request=serializers.ChangeCreateInputSerializer,
        responses={201: serializers.ChangeDetailSerializer, **error_responses_for("409")},
    ),
    partial_update=extend_schema(
        summary="Change a change being planned; after approval only its dates (change managers)",
        request=serializers.ChangeUpdateInputSerializer,
        responses={200: serializers.ChangeDetailSerializer, **error_responses_for("409")},
    ),
)
class ChangeViewSet(RecordViewSet):
    """Requests for change: assessed, approved by the CAB, scheduled, implemented and reviewed."""

    kind = "change"
    serializer_class = serializers.ChangeSerializer
    detail_serializer_class = serializers.ChangeDetailSerializer
    transition_input_serializer_class = serializers.ChangeTransitionInputSerializer
    filterset_class = ChangeFilter
    ordering = ("-created_at", "-id")
    conditional_writes = (*RecordViewSet.conditional_writes, "review", "complete", "assess")

    def records_for(self, user):
        return change_list_for_user(user=user)

    def sla_of(self, records) -> dict:
        return {}  # changes run no SLA clocks

    def _created(self, record) -> Response:
        response = self.render(record, status.HTTP_201_CREATED)
        response["Location"] = record_api_url(record)
        return response

    def create(self, request, *args, **kwargs):
        if not ChangePolicy.can_file(request.user):
            raise PermissionDenied(_("You may not raise changes."))
        data = serializers.ChangeCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        standard = fields.pop("standard_change", None)
        if standard is not None:
            others = sorted(set(fields) - FROM_STANDARD)
            if others:
                raise ValidationError(
                    {name: _("A standard change takes this from the catalogue.") for name in others}
                )
            record = services.change_from_standard(actor=request.user, standard=standard, **fields)
            return self._created(record)
        if not fields.get("title", "").strip():
            raise ValidationError({"title": _("This field cannot be blank.")})
        problems = records_from_numbers(
            request.user, fields.pop("problems", []), kind="problem", field="problems"
        )
        incidents = records_from_numbers(
            request.user, fields.pop("incidents", []), kind="incident", field="incidents"
        )
        record = services.change_create(
            actor=request.user,
            change_type=fields.pop("type", wf.NORMAL),
            problems=problems,
            incidents=incidents,
            **fields,
        )
        return self._created(record)

    def partial_update(self, request, *args, **kwargs):
        record = self.get_object()
        self.refuse_agent_fields(AGENT_FIELDS, allowed=ChangePolicy.is_agent(request.user))
        data = serializers.ChangeUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        record = services.change_update(
            record=record,
            actor=request.user,
            expected_version=expected_version(request, record),
            **data.validated_data,
        )
        return self.render(record)

    @extend_schema(
        summary="Record the post-implementation review: outcome, lessons, incidents it caused",
        request=serializers.ChangeReviewInputSerializer,
        responses={200: serializers.ChangeDetailSerializer, **error_responses_for("409")},
        parameters=[NUMBER_PARAMETER],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def review(self, request, number=None):
        """409 `not_reviewable` before the change is implemented, failed or backed out; may be recorded
        again until it is closed."""
        record = self.get_object()
        data = serializers.ChangeReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        caused = records_from_numbers(request.user, fields.pop("caused", []), kind="incident", field="caused")
        record = change_review(
            record=record,
            actor=request.user,
            outcome=fields["outcome"],
            lessons=fields.get("lessons", ""),
            caused=caused,
            expected_version=expected_version(request, record),
        )
        return self.render(record)

    @extend_schema(
        summary="A pipeline finishes a standard change: implemented (or failed, backed out), reviewed, "
        "closed in one call",
        description=(
            "For deployment pipelines (a token of a user who may raise and work changes): open the "
            "change with `POST /api/v1/changes/` and `standard_change`, deploy, then report here how it "
            "went. A scheduled change is started first; then it is implemented (`successful`), failed or "
            "backed out (both need `reason`), its review recorded with `notes` as the lessons, and closed: "
            "all or nothing, each step on the timeline and in the audit, and published to webhooks "
            "(`change.implemented`, `change.failed`, ...). 409 `not_standard` for a normal or emergency "
            "change; 409 `invalid_transition` unless the change is scheduled or implementing."
        ),
        request=serializers.ChangeCompleteInputSerializer,
        responses={200: serializers.ChangeDetailSerializer, **error_responses_for("409")},
        parameters=[NUMBER_PARAMETER],
        examples=COMPLETE_EXAMPLES,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def complete(self, request, number=None):
        record = self.get_object()
        data = serializers.ChangeCompleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = change_complete(
            record=record,
            actor=request.user,
            expected_version=expected_version(request, record),
            **data.validated_data,
        )
        return self.render(record)

    @record_writes(
        "Assess the risk: answer every active risk question (change managers; submitted or in assessment)",
        assessment.ChangeAssessInputSerializer,
        error_responses_for("403", "409", "412"),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def assess(self, request, number=None):
        record = self.get_object()
        data = assessment.ChangeAssessInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = change_assess(
            record=record,
            actor=request.user,
            answers=data.validated_data["answers"],
            expected_version=expected_version(request, record),
        )
        return self.render(record)

    @extend_schema(
        summary="What the change's affected CIs take down: services and CIs with their owners (agents)",
        responses={200: assessment.ChangeImpactSerializer, **error_responses_for("403")},
        parameters=[NUMBER_PARAMETER],
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def impact(self, request, number=None):
        record = self.get_object()
        if not self.can_see_internal(record):
            raise PermissionDenied(_("The impact is for agents."))
        return Response(assessment.ChangeImpactSerializer(change_impact(record)).data)

    @extend_schema(
        summary="What stands in the way of the change's planned slot", responses=ConflictSerializer(many=True)
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def conflicts(self, request, number=None):
        return Response([conflict.as_dict() for conflict in change_conflicts(self.get_object())])
