"""The API of webhook subscriptions (`/api/v1/webhooks/`) and their delivery log. For administrators.

The signing secret appears in two answers only: creating a subscription and rotating its secret. A create
replayed through `Idempotency-Key` answers `secret: null` (the plain secret is never stored outside the
encrypted column); rotate it if the first answer was lost.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from servicedesk.errors import NotFound
from servicedesk.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from servicedesk.services.webhooks import (
    webhook_delivery_log,
    webhook_events,
    webhook_redeliver,
    webhook_secret_rotate,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
)

from .base import ConditionalRetrieveMixin, GenericViewSet
from .conditional import expected_version, with_etag
from .filters import BooleanFilter, FilterSet, WordsFilter
from .pagination import CursorPagination
from .permissions import has_perm
from .schema import error_responses_for
from .serializers import UserSummarySerializer

EVENTS_HELP = _("Event names, such as incident.resolved; GET /api/v1/webhooks/events/ lists them all.")

# Serializers


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    created_by = UserSummarySerializer(allow_null=True, read_only=True)
    events = serializers.ListField(child=serializers.CharField(), help_text=EVENTS_HELP)

    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "events", "is_active", "created_by", "created_at", "updated_at"]


class WebhookSubscriptionWithSecretSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(
        allow_null=True,
        help_text=_(
            "The signing secret. Shown only in this answer: store it now. Null when the answer is a "
            "replay (Idempotent-Replayed: true); rotate the secret if the first answer was lost."
        ),
    )

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]


class WebhookSubscriptionInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    url = serializers.CharField(max_length=2000, help_text=_("An http:// or https:// URL."))
    events = serializers.ListField(child=serializers.CharField(max_length=100), help_text=EVENTS_HELP)
    is_active = serializers.BooleanField(required=False, default=True)


class WebhookSubscriptionUpdateInputSerializer(WebhookSubscriptionInputSerializer):
    is_active = serializers.BooleanField(required=False)


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["attempted_at", "status_code", "duration_ms", "error", "response_excerpt"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """A delivery with its outbox state and attempts; reads only what `webhook_delivery_log` loaded."""

    state = serializers.CharField(source="message.state", help_text=_("pending, delivered or dead."))
    delivered_at = serializers.DateTimeField(source="message.delivered_at", allow_null=True)
    next_attempt_at = serializers.SerializerMethodField()
    attempt_count = serializers.SerializerMethodField()
    last_status_code = serializers.SerializerMethodField()
    last_duration_ms = serializers.SerializerMethodField()
    last_error = serializers.SerializerMethodField()
    attempts = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "event_id",
            "state",
            "attempt_count",
            "last_status_code",
            "last_duration_ms",
            "last_error",
            "created_at",
            "delivered_at",
            "next_attempt_at",
            "redelivery_of",
            "attempts",
        ]

    def _last(self, delivery) -> WebhookAttempt | None:
        attempts = delivery.attempts.all()
        return attempts[len(attempts) - 1] if attempts else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_attempt_at(self, delivery):
        message = delivery.message
        return message.next_attempt_at if message.state == message.State.PENDING else None

    def get_attempt_count(self, delivery) -> int:
        return len(delivery.attempts.all())

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_last_status_code(self, delivery):
        last = self._last(delivery)
        return last.status_code if last else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_last_duration_ms(self, delivery):
        last = self._last(delivery)
        return last.duration_ms if last else None

    def get_last_error(self, delivery) -> str:
        last = self._last(delivery)
        return last.error if last else ""


class WebhookSubscriptionFilter(FilterSet):
    q = WordsFilter(search_fields=["name", "url"])
    is_active = BooleanFilter()

    class Meta:
        model = WebhookSubscription
        fields = ["is_active"]


class DeliveryPagination(CursorPagination):
    """A subscription's deliveries, newest first, whatever the view's own ordering."""

    def get_ordering(self, request, queryset, view):
        return ("-id",)


# The viewset

PERMISSIONS = {
    "create": "add",
    "partial_update": "change",
    "rotate_secret": "change",
    "redeliver": "change",
    "destroy": "delete",
}
DELIVERY_ID_PARAMETER = OpenApiParameter(
    name="delivery_id", type=OpenApiTypes.INT, location=OpenApiParameter.PATH, description=_("A delivery id.")
)
CONFLICT = OpenApiResponse(
    error_responses_for("409")["409"].response,
    description=_(
        "`webhook_delivery_pending`: still being attempted; `webhook_subscription_inactive`: activate it."
    ),
)


class WebhookSubscriptionViewSet(
    ConditionalRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    GenericViewSet,
):
    """Webhook subscriptions, their delivery log and redelivery. Needs the webhook model permissions."""

    # The plain secret is never stored outside the encrypted column: a replay answers `secret: null`.
    idempotency_redacted = ("secret",)
    conditional_writes = ("partial_update", "destroy", "rotate_secret")

    serializer_class = WebhookSubscriptionSerializer
    filterset_class = WebhookSubscriptionFilter
    ordering = "name"
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_permissions(self):
        codename = f"servicedesk.{PERMISSIONS.get(self.action, 'view')}_webhooksubscription"
        return [IsAuthenticated(), has_perm(codename)()]

    def get_queryset(self):
        return WebhookSubscription.objects.select_related("created_by").defer("secret")

    def _render(self, subscription, status_code=status.HTTP_200_OK, *, secret=None):
        subscription = self.get_queryset().get(pk=subscription.pk)
        if secret is None:
            data = WebhookSubscriptionSerializer(subscription).data
        else:
            subscription.secret = secret
            data = WebhookSubscriptionWithSecretSerializer(subscription).data
        return with_etag(Response(data, status=status_code), subscription)

    @extend_schema(
        summary="Subscribe a URL to events; the answer holds the signing secret, shown only once",
        request=WebhookSubscriptionInputSerializer,
        responses={201: WebhookSubscriptionWithSecretSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = WebhookSubscriptionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription, secret = webhook_subscription_create(actor=request.user, **data.validated_data)
        return self._render(subscription, status.HTTP_201_CREATED, secret=secret)

    @extend_schema(
        summary="Change the name, URL, events or active flag",
        request=WebhookSubscriptionUpdateInputSerializer,
        responses=WebhookSubscriptionSerializer,
    )
    def partial_update(self, request, *args, **kwargs):
        subscription = self.get_object()
        data = WebhookSubscriptionUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        subscription = webhook_subscription_update(
            actor=request.user,
            subscription=subscription,
            expected_version=expected_version(request, subscription),
            **data.validated_data,
        )
        return self._render(subscription)

    @extend_schema(summary="Delete a subscription and its delivery log", responses={204: OpenApiResponse()})
    def destroy(self, request, *args, **kwargs):
        subscription = self.get_object()
        webhook_subscription_delete(
            actor=request.user,
            subscription=subscription,
            expected_version=expected_version(request, subscription),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Replace the signing secret; the answer holds the new one, shown only once",
        request=None,
        responses=WebhookSubscriptionWithSecretSerializer,
    )
    @action(
        detail=True, methods=["post"], url_path="rotate-secret", filter_backends=[], pagination_class=None
    )
    def rotate_secret(self, request, pk=None):
        subscription = self.get_object()
        secret = webhook_secret_rotate(
            actor=request.user,
            subscription=subscription,
            expected_version=expected_version(request, subscription),
        )
        return self._render(subscription, secret=secret)

    @extend_schema(
        summary="The delivery log, newest first, with every attempt",
        responses=WebhookDeliverySerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=DeliveryPagination, filter_backends=[])
    def deliveries(self, request, pk=None):
        log = webhook_delivery_log(subscription=self.get_object())
        page = self.paginate_queryset(log)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Send a delivered or dead delivery again (same event id and body, signed afresh)",
        request=None,
        responses={201: WebhookDeliverySerializer, 409: CONFLICT},
        parameters=[DELIVERY_ID_PARAMETER],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>\d+)/redeliver",
        filter_backends=[],
        pagination_class=None,
    )
    def redeliver(self, request, pk=None, delivery_id=None):
        subscription = self.get_object()
        delivery = WebhookDelivery.objects.filter(subscription=subscription, pk=delivery_id).first()
        if delivery is None:
            raise NotFound()
        redelivery = webhook_redeliver(actor=request.user, delivery=delivery)
        redelivery = webhook_delivery_log(subscription=subscription).get(pk=redelivery.pk)
        return Response(WebhookDeliverySerializer(redelivery).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The event names a subscription may ask for",
        responses=serializers.ListSerializer(child=serializers.CharField()),
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def events(self, request):
        return Response(webhook_events())
