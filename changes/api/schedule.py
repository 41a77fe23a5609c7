"""The forward schedule as data (`/api/v1/change-schedule/?start=&end=`): the changes on it over a span
that the caller may see (a requester: those they requested), earliest first, with the freezes over it and
what other apps put on it (`others`: releases and their waves, `schedule_sources`).
A separate view, not an action of the changes' resource: the schedule is not one change."""

from datetime import timedelta

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from servicedesk.api.base import APIView

from ..schedule import MAX_ROWS, change_schedule_for_user
from ..schedule_sources import schedule_entries
from ..windows import blackouts_in
from .serializers import ChangeSerializer
from .windows import BlackoutWindowSerializer

MAX_SPAN = timedelta(days=366)


class ScheduleQuerySerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": _("The end must be after the start.")})
        if attrs["end"] - attrs["start"] > MAX_SPAN:
            raise serializers.ValidationError({"end": _("At most a year at a time.")})
        return attrs


class ConflictSerializer(serializers.Serializer):
    """One conflict of a change's slot (`changes.conflicts.ChangeConflict`)."""

    kind = serializers.ChoiceField(choices=["overlap", "dependency", "blackout", "outside_maintenance"])
    message = serializers.CharField()
    change = serializers.CharField(help_text="The other change's number (overlap, dependency).")
    window = serializers.CharField(
        help_text="The freeze's or the service's name (blackout, outside_maintenance)."
    )
    cis = serializers.ListField(child=serializers.CharField(), help_text="The CIs concerned, by name.")
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)
    direction = serializers.CharField(help_text="dependency: up (theirs depends on ours) or down.")


class ScheduleEntrySerializer(serializers.Serializer):
    """One entry another app put on the schedule (`changes.schedule_sources.ScheduleEntry`)."""

    kind = serializers.CharField(help_text="The source: release.")
    kind_label = serializers.CharField(help_text="What the entry is: Release, Wave.")
    number = serializers.CharField(help_text="The record's number (a wave's: its release's).")
    title = serializers.CharField()
    url = serializers.CharField(help_text="The record's page.")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    parent = serializers.CharField(help_text="The number of the entry it belongs to (a wave's release).")
    tentative = serializers.BooleanField()


class ScheduleSerializer(serializers.Serializer):
    changes = ChangeSerializer(many=True)
    others = ScheduleEntrySerializer(many=True, help_text="Releases and their waves on the schedule.")
    truncated = serializers.BooleanField(help_text="More than the entries listed are on the schedule.")
    blackout_windows = BlackoutWindowSerializer(many=True)


class ChangeScheduleView(APIView):
    @extend_schema(
        summary="The forward schedule of changes over a span",
        parameters=[
            OpenApiParameter("start", str, required=True, description="ISO 8601 date-time."),
            OpenApiParameter("end", str, required=True, description="ISO 8601 date-time, at most a year on."),
        ],
        responses=ScheduleSerializer,
    )
    def get(self, request):
        query = ScheduleQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        rows = list(change_schedule_for_user(user=request.user, start=start, end=end)[: MAX_ROWS + 1])
        others, more_others = schedule_entries(user=request.user, start=start, end=end, limit=MAX_ROWS)
        freezes = list(blackouts_in(start, end))
        data = {
            "changes": ChangeSerializer(rows[:MAX_ROWS], many=True).data,
            "others": ScheduleEntrySerializer(others, many=True).data,
            "truncated": len(rows) > MAX_ROWS or more_others,
            "blackout_windows": BlackoutWindowSerializer(freezes, many=True).data,
        }
        return Response(data)
