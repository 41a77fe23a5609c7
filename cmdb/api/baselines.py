"""Baselines over the API: take one, list them, diff one against today, restore a CI from one."""

from django.db.models import Count
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from cmdb.api.views import CMDBViewSet
from cmdb.models import Baseline, ConfigurationItem
from cmdb.selectors import ci_get_for_user
from cmdb.services.baselines import baseline_diff, baseline_restore_ci, baseline_take
from servicedesk.api.base import ConditionalRetrieveMixin
from servicedesk.api.conditional import with_etag
from servicedesk.errors import NotFound


class BaselineSerializer(serializers.ModelSerializer):
    ci_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Baseline
        fields = ["id", "name", "description", "scope", "taken_at", "taken_by", "ci_count"]


class BaselineCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    classes = serializers.ListField(child=serializers.SlugField(), required=False)
    service = serializers.IntegerField(required=False)
    cis = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=100_000)


class BaselineRestoreInputSerializer(serializers.Serializer):
    ci = serializers.IntegerField()


_change = inline_serializer(
    name="BaselineChange",
    fields={
        "ci": serializers.IntegerField(),
        "name": serializers.CharField(),
        "fields": serializers.DictField(),
        "attributes": serializers.DictField(),
        "relationships_added": serializers.ListField(child=serializers.DictField()),
        "relationships_removed": serializers.ListField(child=serializers.DictField()),
    },
)
BaselineDiffSerializer = inline_serializer(
    name="BaselineDiff",
    fields={
        "added": serializers.ListField(child=serializers.DictField()),
        "removed": serializers.ListField(child=serializers.DictField()),
        "changed": serializers.ListField(child=_change),
    },
)


class BaselineViewSet(
    ConditionalRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    CMDBViewSet,
):
    """Named snapshots of CIs. Agents read them; configuration and release managers take them."""

    serializer_class = BaselineSerializer
    queryset = Baseline.objects.none()
    ordering = "-id"

    def get_queryset(self):
        return Baseline.objects.annotate(ci_count=Count("items"))

    def get_object(self):
        baseline = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if baseline is None:
            raise NotFound()
        return baseline

    def _ci(self, pk):
        return ci_get_for_user(user=self.request.user, pk=pk)

    @extend_schema(request=BaselineCreateInputSerializer, responses={201: BaselineSerializer})
    def create(self, request, *args, **kwargs):
        data = BaselineCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        service = self._ci(values.pop("service")) if "service" in values else None
        cis = list(ConfigurationItem.objects.filter(pk__in=values.pop("cis", [])))
        baseline = self.get_queryset().get(
            pk=baseline_take(actor=request.user, service=service, cis=cis, **values).pk
        )
        return with_etag(
            Response(BaselineSerializer(baseline).data, status=status.HTTP_201_CREATED), baseline
        )

    @extend_schema(responses=BaselineDiffSerializer)
    @action(detail=True, methods=["get"])
    def diff(self, request, pk=None):
        """CIs added to the scope, removed from it, and the fields, attributes and relationships changed."""
        return Response(baseline_diff(baseline=self.get_object()))

    @extend_schema(request=BaselineRestoreInputSerializer, responses={200: BaselineDiffSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        """Put back one CI's recorded attributes and version; answers the new diff."""
        baseline = self.get_object()
        data = BaselineRestoreInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        baseline_restore_ci(
            baseline=baseline, ci=self._ci(data.validated_data["ci"]), actor=request.user, via="api"
        )
        return Response(baseline_diff(baseline=baseline))
