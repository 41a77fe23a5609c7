"""The API of changes (`/api/v1/changes/`): the kernel's record resource (comments, timeline,
attachments, transitions, links, approvals), addressed by number (`CHG0000001`). Only those who may see
changes see them all; anyone else sees the ones they requested."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.api.records import RecordViewSet

from ..conflicts import change_conflicts
from ..selectors import change_list_for_user
from . import serializers
from .schedule import ConflictSerializer


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

    def records_for(self, user):
        return change_list_for_user(user=user).prefetch_related("services", "affected_cis")

    def sla_of(self, records) -> dict:
        return {}  # changes run no SLA clocks

    @extend_schema(
        summary="What stands in the way of the change's planned slot", responses=ConflictSerializer(many=True)
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def conflicts(self, request, number=None):
        return Response([conflict.as_dict() for conflict in change_conflicts(self.get_object())])
