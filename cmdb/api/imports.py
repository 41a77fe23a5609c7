"""Reconciliation imports over the API: `POST /api/v1/cis/import`, then follow the job."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from cmdb.api.views import CMDBViewSet
from cmdb.models import ImportJob, ImportRow
from cmdb.permissions import CMDBPolicy
from cmdb.services.imports import import_start
from servicedesk.api.base import APIView
from servicedesk.errors import NotFound


class ImportJobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "source",
            "filename",
            "status",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "total",
            "processed",
            "percent",
            "created",
            "updated",
            "unchanged",
            "rejected",
        ]


class ImportRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportRow
        fields = ["number", "outcome", "object_id", "errors", "data"]


class ImportInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportJob.Kind.choices, default=ImportJob.Kind.CIS)
    rows = serializers.ListField(child=serializers.DictField(), allow_empty=False, max_length=200_000)


class ImportRowPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ImportRowSerializer(many=True)


def _visible_jobs(user):
    if not CMDBPolicy.can_import(user):
        return ImportJob.objects.none()
    return ImportJob.objects.all()


class CIImportView(APIView):
    """Import CIs (`kind: cis`) or relationships (`kind: relationships`).

    Rows are matched to CIs by `external_id`, `serial_number`, `asset_tag`, `hostname`, in that order,
    else by class and name. Small imports answer 200 with the finished report; large ones answer 202 and
    run on a worker: follow `/api/v1/imports/{id}/`.
    """

    @extend_schema(
        request=ImportInputSerializer,
        responses={
            200: ImportJobSerializer,
            202: OpenApiResponse(ImportJobSerializer, description="Queued."),
        },
    )
    def post(self, request):
        if not CMDBPolicy.can_view(request.user):
            raise NotFound()
        data = ImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = import_start(actor=request.user, source=ImportJob.Source.API, **data.validated_data)
        finished = job.status == ImportJob.Status.FINISHED
        return Response(
            ImportJobSerializer(job).data, status=status.HTTP_200_OK if finished else status.HTTP_202_ACCEPTED
        )


class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CMDBViewSet):
    """Imports and their progress; for people who may import (others get 404)."""

    serializer_class = ImportJobSerializer
    queryset = ImportJob.objects.none()
    ordering = "-id"

    def get_queryset(self):
        return _visible_jobs(self.request.user)

    def get_object(self):
        job = _visible_jobs(self.request.user).filter(pk=self.kwargs["pk"]).first()
        if job is None:
            raise NotFound()
        return job

    @extend_schema(
        parameters=[OpenApiParameter("outcome", enum=ImportRow.Outcome.values, required=False)],
        responses=ImportRowPageSerializer,
    )
    @action(detail=True, methods=["get"])
    def rows(self, request, pk=None):
        """Each row with its outcome and, for rejected rows, the reasons (`?outcome=rejected`)."""
        job = self.get_object()
        rows = job.rows.all()
        outcomes = request.query_params.getlist("outcome")
        if outcomes:
            outcome = outcomes[0]
            if len(outcomes) > 1 or outcome not in ImportRow.Outcome.values:
                raise serializers.ValidationError({"outcome": [_("Not a known outcome.")]})
            rows = rows.filter(outcome=outcome)
        self.ordering = "number"
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ImportRowSerializer(page, many=True).data)
