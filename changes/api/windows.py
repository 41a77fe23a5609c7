"""The freezes (`/api/v1/blackout-windows/`) and the services' maintenance windows
(`/api/v1/maintenance-windows/`): listed for who sees every change (404 for anyone else, lists included),
created, changed and removed by change managers (403 for other agents). Writes go through
`changes.services.windows`."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from cmdb.api.serializers import CISummarySerializer
from cmdb.models import ConfigurationItem
from servicedesk.api.base import GenericViewSet
from servicedesk.errors import NotFound

from ..models import BlackoutWindow, MaintenanceWindow
from ..permissions import ChangePolicy
from ..services.windows import (
    blackout_window_delete,
    blackout_window_save,
    maintenance_window_delete,
    maintenance_window_save,
)


class BlackoutWindowSerializer(serializers.ModelSerializer):
    services = CISummarySerializer(
        many=True, source="service_list", help_text="Empty: the freeze holds every change."
    )

    class Meta:
        model = BlackoutWindow
        fields = ["id", "name", "reason", "starts_at", "ends_at", "services", "is_active", "created_at"]


class BlackoutWindowInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    reason = serializers.CharField(required=False, allow_blank=True)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    services = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=ConfigurationItem.objects.all(), help_text="Business service ids."
    )
    is_active = serializers.BooleanField(required=False)


class MaintenanceWindowSerializer(serializers.ModelSerializer):
    service = CISummarySerializer()
    # A local time of day without an offset (the window's zone gives it): not an RFC 3339 "time".
    start_time = serializers.CharField(help_text="HH:MM:SS on the local clock of `time_zone`.")

    class Meta:
        model = MaintenanceWindow
        fields = [
            "id",
            "service",
            "name",
            "weekdays",
            "start_time",
            "duration_minutes",
            "time_zone",
            "is_active",
        ]


class MaintenanceWindowInputSerializer(serializers.Serializer):
    service = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all())
    name = serializers.CharField(max_length=200)
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), min_length=1, max_length=7,
        help_text="0 is Monday, 6 Sunday.",
    )  # fmt: skip
    start_time = serializers.TimeField()
    duration_minutes = serializers.IntegerField(min_value=1, max_value=7 * 24 * 60)
    time_zone = serializers.CharField(max_length=64, required=False)
    is_active = serializers.BooleanField(required=False)


class _WindowViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    mixins.DestroyModelMixin, GenericViewSet,
):  # fmt: skip
    """404 to whoever may not see every change, before anything else is looked at."""

    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    input_serializer_class = None
    ordering = "id"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not ChangePolicy.sees_all(request.user):
            raise NotFound()

    def _input(self, request, *, partial: bool) -> dict:
        data = self.input_serializer_class(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        return dict(data.validated_data)

    def _render(self, window, status_code=status.HTTP_200_OK):
        window = self.get_queryset().get(pk=window.pk)
        return Response(self.get_serializer(window).data, status=status_code)

    def create(self, request, *args, **kwargs):
        return self._render(
            self.write(window=None, **self._input(request, partial=False)), status.HTTP_201_CREATED
        )

    def partial_update(self, request, *args, **kwargs):
        window = self.get_object()
        return self._render(self.write(window=window, **self._input(request, partial=True)))

    def destroy(self, request, *args, **kwargs):
        self.remove(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="The freezes, earliest first"),
    create=extend_schema(
        summary="Add a freeze (change managers)",
        request=BlackoutWindowInputSerializer,
        responses={201: BlackoutWindowSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a freeze (change managers)", request=BlackoutWindowInputSerializer,
        responses=BlackoutWindowSerializer,
    ),
    destroy=extend_schema(summary="Remove a freeze (change managers)", responses={204: OpenApiResponse()}),
)  # fmt: skip
class BlackoutWindowViewSet(_WindowViewSet):
    """Freezes: no change in them, everywhere or on the services named, unless a change manager overrides."""

    serializer_class = BlackoutWindowSerializer
    input_serializer_class = BlackoutWindowInputSerializer

    def get_queryset(self):
        return BlackoutWindow.objects.prefetch_related(Prefetch("services", to_attr="service_list")).order_by(
            "starts_at", "id"
        )

    def write(self, *, window, **fields):
        return blackout_window_save(actor=self.request.user, window=window, **fields)

    def remove(self, window):
        blackout_window_delete(actor=self.request.user, window=window)


@extend_schema_view(
    list=extend_schema(summary="The services' maintenance windows"),
    create=extend_schema(
        summary="Add a maintenance window (change managers)",
        request=MaintenanceWindowInputSerializer,
        responses={201: MaintenanceWindowSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a maintenance window (change managers)", request=MaintenanceWindowInputSerializer,
        responses=MaintenanceWindowSerializer,
    ),
    destroy=extend_schema(
        summary="Remove a maintenance window (change managers)", responses={204: OpenApiResponse()}
    ),
)  # fmt: skip
class MaintenanceWindowViewSet(_WindowViewSet):
    """When each service may be changed: weekly, in the window's time zone."""

    serializer_class = MaintenanceWindowSerializer
    input_serializer_class = MaintenanceWindowInputSerializer

    def get_queryset(self):
        return MaintenanceWindow.objects.select_related("service").order_by("service__name", "name", "id")

    def write(self, *, window, **fields):
        return maintenance_window_save(actor=self.request.user, window=window, **fields)

    def remove(self, window):
        maintenance_window_delete(actor=self.request.user, window=window)
