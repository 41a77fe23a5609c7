"""A service request's fulfilment tasks in the API: listed on the request, and marked done.

`GET /api/v1/requests/{number}/tasks/` lists them (whoever may see the request); `POST
/api/v1/requests/{number}/tasks/{id}/complete/` marks one done (a member of its group, or an agent): 409
when it is not ready or the request is no longer open, 412 when If-Match names an older version of the task.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.api.conditional import expected_version, with_etag
from servicedesk.api.records import NUMBER_PARAMETER
from servicedesk.api.schema import error_responses_for
from servicedesk.api.serializers import GroupSummarySerializer, UserSummarySerializer
from servicedesk.errors import NotFound

from ..models import FulfilmentTask
from ..selectors_fulfilment import request_tasks
from ..services.fulfilment import fulfilment_task_complete

TASK_PARAMETER = OpenApiParameter(
    name="task_id", type=OpenApiTypes.INT, location=OpenApiParameter.PATH, description="The task's id."
)


class FulfilmentTaskSerializer(serializers.ModelSerializer):
    status = serializers.CharField(help_text=_("pending (waits for an earlier task), ready or done."))
    support_group = GroupSummarySerializer()
    completed_by = UserSummarySerializer(allow_null=True)
    version = serializers.IntegerField(
        source="revision", help_text=_('Send it back as If-Match: "<id>-<version>".')
    )

    class Meta:
        model = FulfilmentTask
        fields = [
            "id",
            "position",
            "stage",
            "name",
            "description",
            "support_group",
            "status",
            "ready_at",
            "completed_at",
            "completed_by",
            "version",
        ]


class TaskCompleteInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class RequestTasksMixin:
    """The fulfilment tasks of a service request (the request's viewset)."""

    @extend_schema(
        summary="The request's fulfilment tasks, in order",
        parameters=[NUMBER_PARAMETER],
        responses={200: FulfilmentTaskSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def tasks(self, request, number=None):
        record = self.get_object()
        return Response(FulfilmentTaskSerializer(request_tasks(record=record), many=True).data)

    @extend_schema(
        summary="Mark a ready fulfilment task done (its group's members, or agents)",
        parameters=[NUMBER_PARAMETER, TASK_PARAMETER],
        request=TaskCompleteInputSerializer,
        responses={200: FulfilmentTaskSerializer, **error_responses_for("409", "412")},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"tasks/(?P<task_id>\d+)/complete",
        filter_backends=[],
        pagination_class=None,
    )
    def complete_task(self, request, number=None, task_id=None):
        record = self.get_object()
        task = FulfilmentTask.objects.filter(record=record, pk=task_id).select_related("record").first()
        if task is None:
            raise NotFound()
        data = TaskCompleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task = fulfilment_task_complete(
            task=task,
            actor=request.user,
            expected_version=expected_version(request, task),
            note=data.validated_data.get("note", ""),
        )
        task = FulfilmentTask.objects.select_related("support_group", "completed_by").get(pk=task.pk)
        return with_etag(Response(FulfilmentTaskSerializer(task).data), task)
