"""`…/{number}/watchers/`: who watches a record (CC), for every kind's record viewset.

Agents list, add (a person by id, or an outside address) and remove anyone; a requester lists only
themself and adds or removes only themself (follow / stop following), on a record they may see.
"""

from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.errors import NotFound
from servicedesk.kinds import kind_of
from servicedesk.models import User
from servicedesk.services.watchers import watcher_add, watcher_list, watcher_remove

from .schema import error_responses_for
from .serializers import UserSummarySerializer

_NUMBER = OpenApiParameter(
    name="number",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.PATH,
    description="The record's number, such as INC0000001 (any case; zero padding optional).",
)


class WatcherSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = UserSummarySerializer(allow_null=True)
    email = serializers.CharField(help_text=gettext_lazy("An outside address; empty for a person."))
    created_at = serializers.DateTimeField()


class WatcherInputSerializer(serializers.Serializer):
    user = serializers.IntegerField(required=False, allow_null=True, help_text=gettext_lazy("A person's id."))
    email = serializers.EmailField(required=False, allow_blank=True, help_text=gettext_lazy("Or an address."))

    def validate(self, attrs):
        if not attrs.get("user") and not attrs.get("email"):
            raise serializers.ValidationError(gettext_lazy("Give a person's id or an e-mail address."))
        return attrs


class RecordWatchersMixin:
    """The `watchers` sub-resource of a record viewset (needs its `get_object()`)."""

    def _watchers_visible(self, record):
        watchers = watcher_list(record=record)
        if kind_of(record).policy.can_manage_watchers(self.request.user, record):
            return watchers
        return watchers.filter(user=self.request.user)

    @extend_schema(
        methods=["GET"],
        summary="The record's watchers (a requester: only themself)",
        responses=WatcherSerializer(many=True),
        parameters=[_NUMBER],
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a watcher (agents: anyone; a requester: themself, to follow the record)",
        request=WatcherInputSerializer,
        responses={201: WatcherSerializer, **error_responses_for("403")},
        parameters=[_NUMBER],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def watchers(self, request, number=None):
        record = self.get_object()
        if request.method == "GET":
            return Response(WatcherSerializer(self._watchers_visible(record), many=True).data)
        data = WatcherInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = None
        if data.validated_data.get("user"):
            user = User.objects.filter(pk=data.validated_data["user"]).first()
            if user is None:
                raise serializers.ValidationError({"user": [gettext_lazy("No such person.")]})
        watcher = watcher_add(
            record=record, user=user, email=data.validated_data.get("email", ""), actor=request.user
        )
        return Response(WatcherSerializer(watcher).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove a watcher (a requester: only themself)",
        responses={204: None, **error_responses_for("403")},
        parameters=[
            _NUMBER,
            OpenApiParameter(name="watcher_id", type=OpenApiTypes.INT, location=OpenApiParameter.PATH),
        ],
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"watchers/(?P<watcher_id>\d+)",
        filter_backends=[],
        pagination_class=None,
    )
    def watcher(self, request, number=None, watcher_id=None):
        record = self.get_object()
        if not self._watchers_visible(record).filter(pk=int(watcher_id)).exists():
            raise NotFound()
        watcher_remove(record=record, actor=request.user, pk=int(watcher_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
