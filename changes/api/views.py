"""The API of changes (`/api/v1/changes/`): the kernel's record resource (comments, timeline,
attachments, transitions, links, approvals), addressed by number (`CHG0000001`). Only those who may see
changes see them all; anyone else sees the ones they requested."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.api.conditional import expected_version
from servicedesk.api.records import NUMBER_PARAMETER, RecordViewSet, record_writes
from servicedesk.api.schema import error_responses_for
from servicedesk.errors import PermissionDenied

from ..selectors import change_list_for_user
from ..services.assessment import change_assess, change_impact
from . import assessment, serializers


@extend_schema_view(
    list=extend_schema(summary="The changes you may see, newest first"),
    retrieve=extend_schema(
        summary="One change, with its ETag and the transitions you may fire",
        responses={200: serializers.ChangeDetailSerializer},
    ),
)
class ChangeViewSet(RecordViewSet):
    """Requests for change: assessed, approved by the CAB, scheduled, implemented and reviewed."""

    kind = "change"
    serializer_class = serializers.ChangeSerializer
    detail_serializer_class = serializers.ChangeDetailSerializer
    ordering = ("-created_at", "-id")
    conditional_writes = (*RecordViewSet.conditional_writes, "assess")

    def records_for(self, user):
        return change_list_for_user(user=user).prefetch_related("services", "affected_cis")

    def sla_of(self, records) -> dict:
        return {}  # changes run no SLA clocks

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
