"""The notification centre in the API: a person's own in-app notifications, the unread count, marking
them read. Nobody sees another person's notifications (404)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from servicedesk.models import InAppNotification
from servicedesk.notifications.inbox import (
    in_app_notification_get_for_user,
    in_app_notification_list_for_user,
)
from servicedesk.notifications.registry import notification_event_headline
from servicedesk.pagination import capped_count
from servicedesk.services.notifications_in_app import (
    in_app_notification_read,
    in_app_notifications_read_all,
)

from .filters import BooleanFilter, FilterSet
from .idempotency import IdempotentPostMixin


class ActorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField(source="get_full_name")


class InAppNotificationSerializer(serializers.ModelSerializer):
    headline = serializers.SerializerMethodField(
        help_text="What the bell says of the event, in your language."
    )
    actor = ActorSerializer(allow_null=True, read_only=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = InAppNotification
        fields = [
            "id",
            "event",
            "headline",
            "number",
            "title",
            "text",
            "url",
            "actor",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields

    def get_headline(self, obj) -> str:
        return notification_event_headline(obj.event)

    def get_is_read(self, obj) -> bool:
        return obj.read_at is not None


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField(help_text="Unread notifications, exact up to the list count cap.")
    is_capped = serializers.BooleanField(help_text="True when there are more than `unread`.")


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread and are now read.")


class InAppNotificationFilter(FilterSet):
    unread = BooleanFilter(
        field_name="read_at", lookup_expr="isnull", help_text="Only unread (true) or read."
    )

    class Meta:
        model = InAppNotification
        fields = ["unread", "event"]


@extend_schema_view(
    list=extend_schema(summary="My notifications, newest first"),
    retrieve=extend_schema(summary="One of my notifications"),
)
class InAppNotificationViewSet(
    IdempotentPostMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet
):
    """The signed-in person's in-app notifications (the bell). Read from the primary database, not the
    replica: a list right after "mark read" must show it read."""

    serializer_class = InAppNotificationSerializer
    filterset_class = InAppNotificationFilter
    ordering = ("-created_at", "-id")
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return in_app_notification_list_for_user(user=self.request.user)

    def get_object(self):
        return in_app_notification_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(summary="How many of my notifications are unread", responses=UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count", filter_backends=[], pagination_class=None)
    def unread_count(self, request):
        unread, is_capped = capped_count(
            in_app_notification_list_for_user(user=request.user, unread_only=True)
        )
        return Response({"unread": unread, "is_capped": is_capped})

    @extend_schema(summary="Mark one notification read", request=None, responses=InAppNotificationSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def read(self, request, pk=None):
        notification = in_app_notification_read(notification=self.get_object())
        return Response(InAppNotificationSerializer(notification).data)

    @extend_schema(summary="Mark all my notifications read", request=None, responses=ReadAllSerializer)
    @action(detail=False, methods=["post"], url_path="read-all", filter_backends=[], pagination_class=None)
    def read_all(self, request):
        return Response({"marked": in_app_notifications_read_all(user=request.user)})
