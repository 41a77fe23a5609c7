"""Shapes of the deployment API: waves, their tasks, and a pipeline's report. Inputs validate shape only
(the services check the rest); outputs read only what the views loaded."""

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from cmdb.api.serializers import CISummarySerializer
from cmdb.models import ConfigurationItem
from servicedesk.api.serializers import UserSummarySerializer

from ..models import DeploymentTask, Wave
from ..services.deployment import REF_LIMIT, REPORTABLE

MAX_CIS = 10_000


class WaveSerializer(serializers.ModelSerializer):
    """A wave with its task counts (kept with each report: no count is queried)."""

    started_by = UserSummarySerializer(allow_null=True)
    pending_tasks = serializers.SerializerMethodField()

    class Meta:
        model = Wave
        fields = [
            "id", "position", "name", "environment", "planned_start", "planned_end", "gate", "status",
            "started_at", "started_by", "finished_at", "override_reason", "rolled_back_at", "total_tasks",
            "succeeded_tasks", "failed_tasks", "pending_tasks", "revision",
        ]  # fmt: skip

    def get_pending_tasks(self, wave) -> int:
        """Tasks not final yet (pending or running)."""
        return max(wave.total_tasks - wave.succeeded_tasks - wave.failed_tasks, 0)


class WaveInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    cis = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=MAX_CIS,
        help_text=gettext_lazy("The CIs' ids (or give an environment instead)."),
    )
    environment = serializers.ChoiceField(
        choices=ConfigurationItem.Environment.choices,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("Every target CI of the release in this environment."),
    )
    planned_start = serializers.DateTimeField(required=False, allow_null=True)
    planned_end = serializers.DateTimeField(required=False, allow_null=True)
    gate = serializers.ChoiceField(choices=Wave.Gate.choices, required=False)
    artifact = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=gettext_lazy(
            "The package it deploys (an artifact's id); the release's only package by default."
        ),
    )


class WaveUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    planned_start = serializers.DateTimeField(required=False, allow_null=True)
    planned_end = serializers.DateTimeField(required=False, allow_null=True)
    gate = serializers.ChoiceField(choices=Wave.Gate.choices, required=False)
    artifact = serializers.IntegerField(required=False, allow_null=True)


class WaveStartInputSerializer(serializers.Serializer):
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=10_000,
        help_text=gettext_lazy(
            "Why it starts despite a freeze or outside a maintenance window (release managers)."
        ),
    )


class TaskSerializer(serializers.ModelSerializer):
    ci = CISummarySerializer()
    artifact = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = DeploymentTask
        fields = [
            "id", "ci", "status", "artifact", "attempts", "started_at", "finished_at", "reported_at",
            "external_ref", "cmdb_updated_at", "restored_at", "log",
        ]  # fmt: skip


class TaskResultSerializer(serializers.Serializer):
    # Text, not a choice: the statuses a report takes are the task's statuses less two (the service
    # refuses the others), and one enum of the task's statuses documents them all.
    status = serializers.CharField(
        max_length=20, help_text=format_lazy(gettext_lazy("One of: {values}."), values=", ".join(REPORTABLE))
    )
    log = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="")
    ref = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=REF_LIMIT,
        default="",
        help_text=gettext_lazy("The pipeline's job."),
    )


class TaskReportSerializer(TaskResultSerializer):
    ci = serializers.IntegerField(min_value=1, help_text=gettext_lazy("The CI's id."))


class TasksReportInputSerializer(serializers.Serializer):
    results = TaskReportSerializer(many=True, allow_empty=False)

    def validate_results(self, value):
        limit = settings.ITSM_DEPLOYMENT_REPORT_BATCH
        if len(value) > limit:
            raise serializers.ValidationError(
                _("At most %(count)d results in one report.") % {"count": limit}
            )
        return value


class ReportSummarySerializer(serializers.Serializer):
    wave = serializers.IntegerField()
    wave_status = serializers.ChoiceField(choices=Wave.Status.choices)
    total_tasks = serializers.IntegerField()
    succeeded_tasks = serializers.IntegerField(help_text=gettext_lazy("Succeeded or skipped."))
    failed_tasks = serializers.IntegerField()
    changed = serializers.IntegerField(help_text=gettext_lazy("Results that changed a task."))
    unchanged = serializers.IntegerField(help_text=gettext_lazy("Results reported already."))
    release_status = serializers.CharField()
