"""SLA policies, targets, escalation rules and the clocks that run against them (DESIGN.md §5).

A policy says which records it covers, through which business calendar their time counts, what pauses it,
when to warn and when to escalate. A record gets one `SLAClock` per metric (response, resolution); every
start, pause, resume, re-target and stop is a row of the clock's ledger (`SLASegment`), so the business time
consumed is a sum that can be replayed and explained. `SLAFiring` records each threshold a clock crossed,
once per cycle (a unique constraint), whichever worker swept it.

The arithmetic is `servicedesk.sla.calendar`; the writes are `servicedesk.sla.clocks` and `.sweep`.
"""

from datetime import timedelta

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .records import PRIORITIES, Priority


class Metric(models.TextChoices):
    RESPONSE = "response", _("Response")
    RESOLUTION = "resolution", _("Resolution")


METRICS = [Metric.RESPONSE, Metric.RESOLUTION]


class SLAPolicy(models.Model):
    """Targets for the records it covers, counted through one business calendar.

    A record's policy is the one its business service names (when that policy is active and its
    criteria match), else the first active policy by `order` whose criteria match and which is not
    reserved for the services that name it. Empty criteria match everything.
    """

    class TimeZoneSource(models.TextChoices):
        CALENDAR = "calendar", _("The calendar's time zone")
        REQUESTER = "requester", _("The requester's time zone")
        CI_LOCATION = "ci_location", _("The affected CI's location")

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveIntegerField(
        _("order"),
        default=100,
        help_text=_("Policies are tried from the lowest order up; the first match wins."),
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_(
            "A retired policy starts no clocks; its running clocks move to the next matching policy."
        ),
    )
    kinds = models.JSONField(
        _("record kinds"), default=list, blank=True, help_text=_("Empty: every kind of record.")
    )
    priorities = models.JSONField(
        _("priorities"), default=list, blank=True, help_text=_("Empty: every priority.")
    )
    organisations = models.ManyToManyField(
        "servicedesk.Organisation",
        blank=True,
        related_name="sla_policies",
        verbose_name=_("organisations"),
        help_text=_("Empty: every requester's organisation."),
    )
    services_only = models.BooleanField(
        _("only for the services that name it"),
        default=False,
        help_text=_("Applies only to records of a business service whose SLA policy is this one."),
    )
    calendar = models.ForeignKey(
        "servicedesk.BusinessCalendar",
        on_delete=models.PROTECT,
        related_name="sla_policies",
        verbose_name=_("business calendar"),
    )
    time_zone_source = models.CharField(
        _("time zone from"), max_length=20, choices=TimeZoneSource.choices, default=TimeZoneSource.CALENDAR
    )
    pause_on = models.JSONField(
        _("paused while"), default=list, blank=True, help_text=_("The record states that stop the clock.")
    )
    warning_percents = models.JSONField(
        _("warn at (%)"),
        default=list,
        blank=True,
        help_text=_("Percentages of the target at which the people working the record are warned."),
    )
    warning_minutes = models.PositiveIntegerField(
        _("warn minutes before breach"),
        null=True,
        blank=True,
        help_text=_("Also warn this many business minutes before the target is breached."),
    )
    reopen_new_cycle = models.BooleanField(
        _("a reopen starts a new cycle"),
        default=False,
        help_text=_(
            "Off: a reopened record's resolution clock carries on where it stopped. On: it starts again "
            "from zero, and its warnings and escalations can fire again."
        ),
    )
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(time_zone_source__in=["calendar", "requester", "ci_location"]),
                name="sla_policy_time_zone_source_valid",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Retiring (unticking "active") stamps the moment, whichever way the policy is saved; reactivating
        # clears it.
        retired_at = self.retired_at
        if not self.is_active and self.retired_at is None:
            self.retired_at = timezone.now()
        elif self.is_active:
            self.retired_at = None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and self.retired_at != retired_at:
            kwargs["update_fields"] = {*update_fields, "retired_at"}
        super().save(*args, **kwargs)


class SLATarget(models.Model):
    """How much business time a record of one priority may take to be answered or resolved."""

    policy = models.ForeignKey(
        SLAPolicy, on_delete=models.CASCADE, related_name="targets", verbose_name=_("policy")
    )
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    target = models.DurationField(
        _("target"), help_text=_("Business time, for example 4:00:00 for four hours.")
    )

    class Meta:
        ordering = ["policy", "metric", "priority"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["policy", "metric", "priority"], name="sla_target_unique"),
            models.CheckConstraint(
                condition=Q(metric__in=["response", "resolution"], priority__in=PRIORITIES),
                name="sla_target_values_valid",
            ),
            models.CheckConstraint(
                condition=Q(target__gt=timedelta(0), target__lte=timedelta(days=3650)),
                name="sla_target_positive",
                violation_error_message=_("A target is more than zero and at most ten years."),
            ),
        ]

    def __str__(self):
        return f"{self.get_metric_display()} P{self.priority}: {self.target}"


class EscalationRule(models.Model):
    """What happens when a clock reaches a percentage of its target: hierarchical escalation (tell the
    assignee, the group's manager, the service owner), functional escalation (move the record to the
    group's escalation group), a higher priority. Fires once per clock cycle."""

    policy = models.ForeignKey(
        SLAPolicy, on_delete=models.CASCADE, related_name="escalations", verbose_name=_("policy")
    )
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    percent = models.PositiveSmallIntegerField(
        _("at (%)"), validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    notify_assignee = models.BooleanField(_("notify the assignee"), default=False)
    notify_group_manager = models.BooleanField(_("notify the group manager"), default=False)
    notify_service_owner = models.BooleanField(_("notify the service owner"), default=False)
    reassign_to_escalation_group = models.BooleanField(_("reassign to the escalation group"), default=False)
    raise_priority = models.BooleanField(_("raise the priority by one"), default=False)

    class Meta:
        ordering = ["policy", "metric", "percent"]
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")
        constraints = [
            models.UniqueConstraint(fields=["policy", "metric", "percent"], name="sla_escalation_unique"),
            models.CheckConstraint(
                condition=Q(metric__in=["response", "resolution"], percent__gte=1, percent__lte=1000),
                name="sla_escalation_values_valid",
            ),
            models.CheckConstraint(
                condition=Q(notify_assignee=True)
                | Q(notify_group_manager=True)
                | Q(notify_service_owner=True)
                | Q(reassign_to_escalation_group=True)
                | Q(raise_priority=True),
                name="sla_escalation_has_action",
                violation_error_message=_("Choose at least one action."),
            ),
        ]

    def __str__(self):
        return f"{self.get_metric_display()} {self.percent} %"

    @property
    def actions(self) -> list[str]:
        return [name for name in ESCALATION_ACTIONS if getattr(self, name)]


ESCALATION_ACTIONS = (
    "notify_assignee",
    "notify_group_manager",
    "notify_service_owner",
    "reassign_to_escalation_group",
    "raise_priority",
)


class SLAClock(models.Model):
    """One record's clock for one metric.

    `consumed_seconds` is the business time banked up to `running_since` (or up to the pause or stop);
    while running, the time consumed now is that plus the business time since `running_since`.
    `due_at` is the wall time the target is reached if nothing pauses the clock (empty while paused);
    `next_check_at` the wall time of the next threshold it crosses (empty when nothing is left to check),
    which the sweep reads through a partial index; `checked_seconds` how far the sweep has looked.
    `warned_at` and `breached_at` are when consumption crossed the first warning and the target in this
    cycle: the colour a list shows without computing anything. `breached_at` is stamped by whatever first
    sees the target crossed (banking, re-targeting, stopping, the sweep), at the crossing, and cleared
    when a longer target puts the clock back within it; each stamp is also a "breached" ledger point.
    """

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        MET = "met", _("Met")
        BREACHED = "breached", _("Breached")
        CANCELLED = "cancelled", _("Cancelled")

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=1)
    policy = models.ForeignKey(
        SLAPolicy, on_delete=models.PROTECT, related_name="clocks", verbose_name=_("policy")
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    time_zone = models.CharField(_("time zone"), max_length=64)
    target_seconds = models.PositiveIntegerField(_("target (business seconds)"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.RUNNING)
    pause_reason = models.CharField(_("paused because"), max_length=50, blank=True)
    started_at = models.DateTimeField(_("started at"))
    running_since = models.DateTimeField(_("running since"), null=True, blank=True)
    consumed_seconds = models.FloatField(_("business seconds consumed"), default=0)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    checked_seconds = models.FloatField(
        _("thresholds checked up to"), default=0, help_text=_("Business seconds; the sweep's progress.")
    )
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    next_check_at = models.DateTimeField(_("next check at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["content_type", "object_id", "metric"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        indexes = [
            # The sweep's only read: what is due, oldest first.
            models.Index(
                fields=["next_check_at"], condition=Q(next_check_at__isnull=False), name="sla_clock_due_idx"
            ),
            models.Index(fields=["policy", "state"], name="sla_clock_policy_state_idx"),
            # What moved since the management-information facts were last refreshed.
            models.Index(fields=["updated_at"], name="sla_clock_updated_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "metric"], name="sla_clock_unique"),
            models.CheckConstraint(
                condition=Q(state__in=["running", "paused", "met", "breached", "cancelled"]),
                name="sla_clock_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(metric__in=["response", "resolution"]), name="sla_clock_metric_valid"
            ),
            models.CheckConstraint(
                condition=Q(state="running", running_since__isnull=False)
                | (~Q(state="running") & Q(running_since__isnull=True)),
                name="sla_clock_running_since_when_running",
            ),
            models.CheckConstraint(
                condition=Q(next_check_at__isnull=True) | Q(state__in=["running", "paused"]),
                name="sla_clock_checked_only_when_open",
            ),
        ]

    def __str__(self):
        return f"{self.get_metric_display()} {self.get_state_display()}"

    @property
    def is_open(self) -> bool:
        return self.state in (self.State.RUNNING, self.State.PAUSED)


class SLASegment(models.Model):
    """A line of a clock's ledger: a running or paused stretch, or a re-target, breach or stop.

    Running segments carry the business seconds they consumed once closed; the clock's consumption is their
    sum (plus the open one's time so far). Never updated except to close the open segment.
    """

    class Kind(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        RETARGETED = "retargeted", _("Re-targeted")
        BREACHED = "breached", _("Breached")
        STOPPED = "stopped", _("Stopped")

    clock = models.ForeignKey(
        SLAClock, on_delete=models.CASCADE, related_name="ledger", verbose_name=_("clock")
    )
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=1)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    business_seconds = models.FloatField(_("business seconds"), default=0)
    reason = models.CharField(_("reason"), max_length=50, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["clock", "id"]
        verbose_name = _("SLA ledger entry")
        verbose_name_plural = _("SLA ledger")
        indexes = [models.Index(fields=["clock", "cycle", "id"], name="sla_segment_clock_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["running", "paused", "retargeted", "breached", "stopped"]),
                name="sla_segment_kind_valid",
            ),
            models.UniqueConstraint(
                fields=["clock"],
                condition=Q(ended_at__isnull=True),
                name="sla_segment_one_open",
                violation_error_message=_("A clock has one open segment at most."),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"


class SLAFiring(models.Model):
    """A threshold a clock crossed in one cycle: a warning, the breach or an escalation rule.

    The unique constraint is what makes each fire exactly once, however many workers sweep.
    """

    clock = models.ForeignKey(
        SLAClock, on_delete=models.CASCADE, related_name="firings", verbose_name=_("clock")
    )
    cycle = models.PositiveSmallIntegerField(_("cycle"))
    threshold = models.CharField(_("threshold"), max_length=40)
    rule = models.ForeignKey(
        EscalationRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="firings",
        verbose_name=_("escalation rule"),
    )
    fired_at = models.DateTimeField(_("fired at"))
    data = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["clock", "fired_at", "id"]
        verbose_name = _("SLA firing")
        verbose_name_plural = _("SLA firings")
        constraints = [
            models.UniqueConstraint(fields=["clock", "cycle", "threshold"], name="sla_firing_once_per_cycle"),
        ]

    def __str__(self):
        return f"{self.threshold} ({self.cycle})"
