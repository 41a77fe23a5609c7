"""The deployment of a release through the API (`/api/v1/releases/{number}/deployments/…`): its waves
(planned, changed with If-Match, removed, started at their gate, retried) and their tasks, whose results a
pipeline reports, in batches or one at a time, with an Idempotency-Key (the base classes replay a
retried report's answer). Views parse, call one service or selector and render; the services authorise."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from cmdb.permissions import CMDBPolicy
from servicedesk.api.conditional import expected_version, not_modified, with_etag
from servicedesk.api.pagination import CursorPagination
from servicedesk.api.records import NUMBER_PARAMETER
from servicedesk.api.schema import ErrorSerializer, error_responses_for
from servicedesk.errors import NotFound

from ..models import DeploymentTask
from ..selectors_waves import wave_get, wave_list, wave_tasks
from ..services.deployment import tasks_report, wave_retry, wave_start
from ..services.waves import wave_create, wave_delete, wave_update
from .serializers_deployments import (
    ReportSummarySerializer,
    TaskResultSerializer,
    TaskSerializer,
    TasksReportInputSerializer,
    WaveInputSerializer,
    WaveSerializer,
    WaveStartInputSerializer,
    WaveUpdateInputSerializer,
)

WAVE_PARAMETER = OpenApiParameter(
    name="wave_id", type=OpenApiTypes.INT, location=OpenApiParameter.PATH, description="The wave's id."
)
CI_PARAMETER = OpenApiParameter(
    name="ci_id", type=OpenApiTypes.INT, location=OpenApiParameter.PATH, description="The task's CI's id."
)
STATUS_PARAMETER = OpenApiParameter(
    name="status",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.QUERY,
    required=False,
    enum=DeploymentTask.Status.values,
    description="Only the tasks in this status.",
)
WAVE_CONFLICT = OpenApiResponse(
    ErrorSerializer,
    description="`wave_not_pending`, `wave_fixed` (past the start, only name, window and gate change), "
    "`release_not_deploying`, `wave_gate_closed` (the wave before has not succeeded), "
    "`wave_window_conflicts` (with `conflicts`: a release manager gives `override_reason`), "
    "`wave_not_failed`.",
)
REPORT_CONFLICT = OpenApiResponse(
    ErrorSerializer,
    description="`task_final`: a task already succeeded, failed or was skipped and is reported otherwise; "
    "`wave_not_running`: the wave (or the release) takes no results now.",
)
WAVE_PATH = r"deployments/(?P<wave_id>[0-9]+)"


class TaskPagination(CursorPagination):
    """A wave's tasks by CI, whatever the release list's own ordering."""

    page_size = 100

    def get_ordering(self, request, queryset, view):
        return ("ci_id", "id")


class DeploymentActions:
    """The deployment actions of the release resource (mixed into `ReleaseViewSet`)."""

    deployment_conditional_writes = ("deployment",)

    def _wave_cis(self, ids):
        """The CIs `ids` name, as the caller may see them; a field error for any other."""
        ids = list(dict.fromkeys(ids))
        found = {ci.pk: ci for ci in CMDBPolicy.cis_visible_to(self.request.user).filter(pk__in=ids)}
        missing = [str(pk) for pk in ids if pk not in found]
        if missing:
            raise ValidationError(
                {"cis": _("No CI you may see has these ids: %(ids)s.") % {"ids": ", ".join(missing[:20])}}
            )
        return [found[pk] for pk in ids]

    def _wave_artifact(self, record, fields: dict) -> None:
        if "artifact" not in fields:
            return
        pk = fields["artifact"]
        artifact = record.artifacts.filter(pk=pk).first() if pk is not None else None
        if pk is not None and artifact is None:
            raise ValidationError({"artifact": _("This release has no artifact with this id.")})
        fields["artifact"] = artifact

    def _wave_answer(self, request, wave, status_code=status.HTTP_200_OK) -> Response:
        return with_etag(Response(WaveSerializer(wave).data, status=status_code), wave)

    @extend_schema(
        methods=["GET"],
        summary="The release's waves in the order they run, with their task counts",
        responses=WaveSerializer(many=True),
        parameters=[NUMBER_PARAMETER],
    )
    @extend_schema(
        methods=["POST"],
        summary="Plan a wave: its CIs (or an environment of the target CIs), window, gate and package",
        request=WaveInputSerializer,
        responses={201: WaveSerializer, **error_responses_for("403"), 409: WAVE_CONFLICT},
        parameters=[NUMBER_PARAMETER],
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="deployments",
        filter_backends=[],
        pagination_class=None,
    )
    def deployments(self, request, number=None):
        record = self.get_object()
        if request.method == "GET":
            return Response(WaveSerializer(wave_list(record), many=True).data)
        data = WaveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields["cis"] = self._wave_cis(fields.pop("cis", []))
        self._wave_artifact(record, fields)
        wave = wave_create(release=record, actor=request.user, **fields)
        return self._wave_answer(request, wave_get(record, wave.pk), status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="One wave, with its ETag",
        responses=WaveSerializer,
        parameters=[NUMBER_PARAMETER, WAVE_PARAMETER],
    )
    @extend_schema(
        methods=["PATCH"],
        summary="Change a pending wave (If-Match): name, window, gate, package",
        request=WaveUpdateInputSerializer,
        responses={200: WaveSerializer, **error_responses_for("403", "412"), 409: WAVE_CONFLICT},
        parameters=[NUMBER_PARAMETER, WAVE_PARAMETER],
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Remove a pending wave and its tasks (If-Match); the later waves move up",
        responses={204: None, **error_responses_for("403", "412"), 409: WAVE_CONFLICT},
        parameters=[NUMBER_PARAMETER, WAVE_PARAMETER],
    )
    @action(
        detail=True,
        methods=["get", "patch", "delete"],
        url_path=WAVE_PATH,
        filter_backends=[],
        pagination_class=None,
    )
    def deployment(self, request, number=None, wave_id=None):
        record = self.get_object()
        wave = wave_get(record, wave_id)
        if request.method == "GET":
            return not_modified(request, self._wave_answer(request, wave))
        if request.method == "DELETE":
            wave_delete(wave=wave, actor=request.user, expected_version=expected_version(request, wave))
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = WaveUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        self._wave_artifact(record, fields)
        wave_update(wave=wave, actor=request.user, expected_version=expected_version(request, wave), **fields)
        return self._wave_answer(request, wave_get(record, wave.pk))

    @extend_schema(
        summary="Pass a wave's manual gate (release managers): start it once the wave before succeeded",
        request=WaveStartInputSerializer,
        responses={200: WaveSerializer, **error_responses_for("403"), 409: WAVE_CONFLICT},
        parameters=[NUMBER_PARAMETER, WAVE_PARAMETER],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=f"{WAVE_PATH}/start",
        filter_backends=[],
        pagination_class=None,
    )
    def deployment_start(self, request, number=None, wave_id=None):
        record = self.get_object()
        wave = wave_get(record, wave_id)
        data = WaveStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wave_start(
            wave=wave, actor=request.user, override_reason=data.validated_data.get("override_reason", "")
        )
        return self._wave_answer(request, wave_get(record, wave.pk))

    @extend_schema(
        summary="Retry a failed wave (release managers): its failed tasks run again",
        request=WaveStartInputSerializer,
        responses={200: WaveSerializer, **error_responses_for("403"), 409: WAVE_CONFLICT},
        parameters=[NUMBER_PARAMETER, WAVE_PARAMETER],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=f"{WAVE_PATH}/retry",
        filter_backends=[],
        pagination_class=None,
    )
    def deployment_retry(self, request, number=None, wave_id=None):
        record = self.get_object()
        wave = wave_get(record, wave_id)
        data = WaveStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wave_retry(
            wave=wave, actor=request.user, override_reason=data.validated_data.get("override_reason", "")
        )
        return self._wave_answer(request, wave_get(record, wave.pk))

    @extend_schema(
        methods=["GET"],
        summary="The wave's tasks, by CI, with their status and log",
        responses=TaskSerializer(many=True),
        parameters=[NUMBER_PARAMETER, WAVE_PARAMETER, STATUS_PARAMETER],
    )
    @extend_schema(
        methods=["POST"],
        summary="Report tasks' results (a pipeline), at most ITSM_DEPLOYMENT_REPORT_BATCH at a time",
        request=TasksReportInputSerializer,
        responses={200: ReportSummarySerializer, **error_responses_for("403"), 409: REPORT_CONFLICT},
        parameters=[NUMBER_PARAMETER, WAVE_PARAMETER],
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path=f"{WAVE_PATH}/tasks",
        filter_backends=[],
        pagination_class=TaskPagination,
    )
    def deployment_tasks(self, request, number=None, wave_id=None):
        """Reporting a task's final status again changes nothing; a retried request with the same
        Idempotency-Key replays the first answer."""
        record = self.get_object()
        wave = wave_get(record, wave_id)
        if request.method == "GET":
            wanted = request.query_params.get("status", "")
            if wanted and wanted not in DeploymentTask.Status.values:
                raise ValidationError(
                    {"status": _("One of: %(values)s.") % {"values": ", ".join(DeploymentTask.Status.values)}}
                )
            page = self.paginate_queryset(wave_tasks(wave, status=wanted))
            return self.get_paginated_response(TaskSerializer(page, many=True).data)
        data = TasksReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        summary = tasks_report(
            release=record, wave=wave, actor=request.user, results=data.validated_data["results"]
        )
        return Response(ReportSummarySerializer(summary).data)

    @extend_schema(
        summary="Report one task's result (a pipeline), by its CI",
        operation_id="releases_deployments_task_report",
        request=TaskResultSerializer,
        responses={200: ReportSummarySerializer, **error_responses_for("403"), 409: REPORT_CONFLICT},
        parameters=[NUMBER_PARAMETER, WAVE_PARAMETER, CI_PARAMETER],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=f"{WAVE_PATH}/tasks/(?P<ci_id>[0-9]+)",
        filter_backends=[],
        pagination_class=None,
    )
    def deployment_task(self, request, number=None, wave_id=None, ci_id=None):
        """404 for a CI that has no task in this wave."""
        record = self.get_object()
        wave = wave_get(record, wave_id)
        if not wave.tasks.filter(ci_id=int(ci_id)).exists():
            raise NotFound()
        data = TaskResultSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = {"ci": int(ci_id), **data.validated_data}
        summary = tasks_report(release=record, wave=wave, actor=request.user, results=[result])
        return Response(ReportSummarySerializer(summary).data)
