"""SLAs in the API: the clocks as every record kind shows them, and the configuration (read-only).

Agents read policies and calendars (the queue's due times come from them); administrators change them in the
admin, where an edit can be previewed against the open records first.
"""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated

from servicedesk.models import (
    BusinessCalendar,
    CalendarException,
    EscalationRule,
    SLAPolicy,
    SLATarget,
    WorkingInterval,
)
from servicedesk.sla.policies import policies_with_rules

from .base import ReadOnlyModelViewSet
from .permissions import has_perm

# Clocks (records' `sla`) -------------------------------------------------------------------------------


class SecondsField(serializers.IntegerField):
    """Seconds as a whole number (rounded), whatever the float they were computed as."""

    def to_representation(self, value):
        return round(value)


class SLAClockSerializer(serializers.Serializer):
    """One SLA clock as it stands now (a `servicedesk.sla.status.ClockStatus`)."""

    metric = serializers.CharField(help_text=_("response or resolution"))
    state = serializers.CharField(help_text=_("running, paused, met, breached or cancelled"))
    level = serializers.CharField(
        help_text=_("The colour a list shows: ok, warning, breached, paused, met or cancelled.")
    )
    policy = serializers.CharField(source="clock.policy.name")
    priority = serializers.IntegerField(source="clock.priority")
    target_seconds = serializers.IntegerField(source="clock.target_seconds", help_text=_("Business seconds."))
    started_at = serializers.DateTimeField(source="clock.started_at")
    due_at = serializers.DateTimeField(
        source="clock.due_at", allow_null=True, help_text=_("Wall time; empty while paused.")
    )
    consumed_seconds = SecondsField(help_text=_("Business seconds consumed so far."))
    remaining_seconds = SecondsField(help_text=_("Business seconds left; negative when overdue."))
    percent = serializers.FloatField(help_text=_("Of the target consumed so far."))
    breached_at = serializers.DateTimeField(source="clock.breached_at", allow_null=True)
    paused_reason = serializers.CharField(
        source="clock.pause_reason", help_text=_("Why it is paused (a code such as on_hold:requester).")
    )
    cycle = serializers.IntegerField(source="clock.cycle")


class SLALedgerLineSerializer(serializers.Serializer):
    """A line of a clock's ledger: a running or paused stretch, or a re-target, breach or stop."""

    kind = serializers.CharField(help_text=_("running, paused, retargeted, breached or stopped"))
    cycle = serializers.IntegerField(source="segment.cycle")
    started_at = serializers.DateTimeField(source="segment.started_at")
    ended_at = serializers.DateTimeField(source="segment.ended_at", allow_null=True)
    wall_seconds = SecondsField(
        allow_null=True, help_text=_("How long it lasted (so far); empty for a point in time.")
    )
    business_seconds = SecondsField(help_text=_("The business time it consumed (running stretches)."))
    reason = serializers.CharField(source="segment.reason")
    reason_label = serializers.CharField()
    data = serializers.JSONField(source="segment.data")


class SLAClockLedgerSerializer(SLAClockSerializer):
    """A clock with its whole ledger (every cycle, oldest first). Context: `ledgers` by clock id."""

    ledger = serializers.SerializerMethodField()

    @extend_schema_field(SLALedgerLineSerializer(many=True))
    def get_ledger(self, status) -> list[dict]:
        lines = self.context["ledgers"].get(status.clock.pk, [])
        return SLALedgerLineSerializer(lines, many=True).data


# Configuration -----------------------------------------------------------------------------------------


class SLATargetSerializer(serializers.ModelSerializer):
    target_seconds = serializers.SerializerMethodField()

    class Meta:
        model = SLATarget
        fields = ["metric", "priority", "target_seconds"]

    def get_target_seconds(self, target) -> int:
        return int(target.target.total_seconds())


class EscalationRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = EscalationRule
        fields = [
            "id",
            "metric",
            "percent",
            "notify_assignee",
            "notify_group_manager",
            "notify_service_owner",
            "reassign_to_escalation_group",
            "raise_priority",
        ]


class SLAPolicySerializer(serializers.ModelSerializer):
    kinds = serializers.ListField(child=serializers.CharField())
    priorities = serializers.ListField(child=serializers.IntegerField())
    pause_on = serializers.ListField(child=serializers.CharField())
    warning_percents = serializers.ListField(child=serializers.IntegerField())
    organisations = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    targets = SLATargetSerializer(many=True, read_only=True)
    escalations = EscalationRuleSerializer(many=True, read_only=True)

    class Meta:
        model = SLAPolicy
        fields = [
            "id",
            "name",
            "description",
            "order",
            "is_active",
            "retired_at",
            "kinds",
            "priorities",
            "organisations",
            "services_only",
            "calendar",
            "time_zone_source",
            "pause_on",
            "warning_percents",
            "warning_minutes",
            "reopen_new_cycle",
            "targets",
            "escalations",
            "created_at",
            "updated_at",
        ]


class WorkingIntervalSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkingInterval
        fields = ["weekday", "start_minute", "end_minute"]


class CalendarExceptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarException
        fields = ["date", "kind", "start_minute", "end_minute", "name", "source"]


class BusinessCalendarSerializer(serializers.ModelSerializer):
    intervals = WorkingIntervalSerializer(many=True, read_only=True)
    exceptions = CalendarExceptionSerializer(many=True, read_only=True)

    class Meta:
        model = BusinessCalendar
        fields = ["id", "name", "time_zone", "description", "intervals", "exceptions", "updated_at"]


@extend_schema_view(
    list=extend_schema(summary="List SLA policies", tags=["sla"]),
    retrieve=extend_schema(summary="An SLA policy with its targets and escalation rules", tags=["sla"]),
)
class SLAPolicyViewSet(ReadOnlyModelViewSet):
    """SLA policies, in the order they are matched; targets are business seconds per metric and priority."""

    serializer_class = SLAPolicySerializer
    permission_classes = [IsAuthenticated, has_perm("servicedesk.access_workspace")]
    ordering = "id"
    queryset = SLAPolicy.objects.none()

    def get_queryset(self):
        return policies_with_rules().order_by("id")


@extend_schema_view(
    list=extend_schema(summary="List business calendars", tags=["sla"]),
    retrieve=extend_schema(summary="A business calendar with its hours, holidays and openings", tags=["sla"]),
)
class BusinessCalendarViewSet(ReadOnlyModelViewSet):
    """Business calendars: weekly working intervals (minutes after local midnight) and exceptions."""

    serializer_class = BusinessCalendarSerializer
    permission_classes = [IsAuthenticated, has_perm("servicedesk.access_workspace")]
    ordering = "id"
    queryset = BusinessCalendar.objects.none()

    def get_queryset(self):
        return BusinessCalendar.objects.prefetch_related(
            Prefetch("intervals", queryset=WorkingInterval.objects.order_by("weekday", "start_minute")),
            Prefetch("exceptions", queryset=CalendarException.objects.order_by("date", "start_minute")),
        ).order_by("id")
