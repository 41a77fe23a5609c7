"""Requests for change and what change management keeps around them (DESIGN.md §9, issue 16).

A `Change` is a record of the kernel (`CHG` numbers) of one of three types, each with its own transition
table (`workflow.py`): standard (from a `StandardChange` of the catalogue, no CAB), normal (assessed and
approved by the CAB) and emergency (approved by the emergency CAB, possibly after the fact). Its assessment
(risk from the `RiskQuestion`s and the CMDB's impact) picks the `ApprovalRule` that says who approves and
how. `BlackoutWindow`s (freezes) and each service's `MaintenanceWindow`s are what a change's planned time
is checked against, besides the other changes on the same or dependent CIs (`conflicts.py`).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from servicedesk.models import Impact, Ticket, Urgency
from servicedesk.models.calendars import validate_time_zone
from servicedesk.records.fields import StatusField

from . import workflow as wf

SERVICE_CHOICES = {"ci_class__path__startswith": "/business_service/"}


class ChangeType(models.TextChoices):
    STANDARD = wf.STANDARD, _("Standard")
    NORMAL = wf.NORMAL, _("Normal")
    EMERGENCY = wf.EMERGENCY, _("Emergency")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    VERY_HIGH = "very_high", _("Very high")


RISK_ORDER = {level: index for index, level in enumerate(RiskLevel.values)}


class StandardChange(models.Model):
    """A pre-approved change of the catalogue: its plans and risk fixed once, so a change made from it
    needs no CAB ("restart the web tier", "add a user to a mailing list")."""

    concurrency_field = "version"

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    services = models.ManyToManyField(
        "cmdb.ConfigurationItem",
        blank=True,
        related_name="standard_changes",
        limit_choices_to=SERVICE_CHOICES,
        verbose_name=_("services"),
    )
    implementation_plan = models.TextField(_("implementation plan"), help_text=_("Markdown."))
    test_plan = models.TextField(_("test plan"), help_text=_("Markdown."))
    backout_plan = models.TextField(_("back-out plan"), help_text=_("Markdown."))
    risk_level = models.CharField(_("risk"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.LOW)
    support_group = models.ForeignKey(
        "servicedesk.SupportGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("implementer group"),
    )
    duration_minutes = models.PositiveIntegerField(
        _("usual duration (minutes)"), default=60, validators=[MinValueValidator(1)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("standard change")
        verbose_name_plural = _("standard changes")

    def __str__(self):
        return self.name

    @property
    def etag(self) -> str:
        return f'"{self.pk}-{self.version}"'


class Change(Ticket):
    """A request for change (RFC). The assignee is its change manager; the support group the group that
    implements it; the requester who asked for it."""

    class Status(models.TextChoices):
        DRAFT = wf.DRAFT, _("Draft")
        SUBMITTED = wf.SUBMITTED, _("Submitted")
        ASSESSMENT = wf.ASSESSMENT, _("Assessment")
        AWAITING_APPROVAL = wf.AWAITING_APPROVAL, _("Awaiting approval")
        APPROVED = wf.APPROVED, _("Approved")
        SCHEDULED = wf.SCHEDULED, _("Scheduled")
        IMPLEMENTING = wf.IMPLEMENTING, _("Implementing")
        REVIEW = wf.REVIEW, _("Review")
        FAILED = wf.FAILED, _("Failed")
        BACKED_OUT = wf.BACKED_OUT, _("Backed out")
        CLOSED = wf.CLOSED, _("Closed")
        REJECTED = wf.REJECTED, _("Rejected")
        CANCELLED = wf.CANCELLED, _("Cancelled")

    class Outcome(models.TextChoices):
        SUCCESSFUL = "successful", _("Successful")
        PARTIAL = "partial", _("Partially successful")
        FAILED = "failed", _("Failed")
        BACKED_OUT = "backed_out", _("Backed out")

    class RetroApproval(models.TextChoices):
        """An emergency change implemented before the ECAB approved it: where its approval stands."""

        NONE = "", _("Not needed")
        PENDING = "pending", _("Awaiting approval after the fact")
        APPROVED = "approved", _("Approved after the fact")
        REJECTED = "rejected", _("Rejected after the fact")
        EXPIRED = "expired", _("Not approved in time")

    status = StatusField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    change_type = models.CharField(
        _("type"), max_length=10, choices=ChangeType.choices, default=ChangeType.NORMAL, editable=False
    )
    standard_change = models.ForeignKey(
        StandardChange,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name=_("standard change"),
    )
    reason = models.TextField(_("reason"), blank=True, help_text=_("Why the change is needed. Markdown."))
    services = models.ManyToManyField(
        "cmdb.ConfigurationItem",
        blank=True,
        related_name="service_changes",
        limit_choices_to=SERVICE_CHOICES,
        verbose_name=_("affected services"),
    )
    affected_cis = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="changes", verbose_name=_("affected CIs")
    )
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices, default=Impact.USER)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.MEDIUM)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    implementation_plan = models.TextField(_("implementation plan"), blank=True, help_text=_("Markdown."))
    test_plan = models.TextField(_("test plan"), blank=True, help_text=_("Markdown."))
    backout_plan = models.TextField(_("back-out plan"), blank=True, help_text=_("Markdown."))

    # Assessment: the questionnaire's answers ({question id: true/false}), the score and level they and the
    # CMDB's impact gave, and the reasons shown for it.
    risk_answers = models.JSONField(_("risk answers"), default=dict, blank=True)
    risk_score = models.PositiveSmallIntegerField(_("risk score"), null=True, blank=True)
    risk_level = models.CharField(_("risk"), max_length=10, choices=RiskLevel.choices, blank=True)
    risk_reasons = models.JSONField(_("why this risk"), default=list, blank=True)
    assessed_at = models.DateTimeField(_("assessed at"), null=True, blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assessed by"),
    )

    # Scheduling despite conflicts: the change manager's reason, recorded.
    conflict_override_reason = models.TextField(_("why it goes ahead despite its conflicts"), blank=True)
    conflict_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("conflicts overridden by"),
    )
    conflict_override_at = models.DateTimeField(_("conflicts overridden at"), null=True, blank=True)

    # Implementation.
    actual_start = models.DateTimeField(_("implementation started"), null=True, blank=True)
    actual_end = models.DateTimeField(_("implementation ended"), null=True, blank=True)
    maintenance_cis = models.JSONField(
        _("CIs put in maintenance"),
        default=list,
        blank=True,
        help_text=_("The CIs this change put in maintenance while implementing, back in production after."),
    )
    failure_reason = models.TextField(_("why it failed"), blank=True)
    backout_reason = models.TextField(_("why it was backed out"), blank=True)
    retro_approval = models.CharField(
        _("approval after the fact"), max_length=10, choices=RetroApproval.choices, blank=True, default=""
    )
    retro_approval_due_at = models.DateTimeField(_("to be approved by"), null=True, blank=True)

    # Post-implementation review.
    review_outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    review_lessons = models.TextField(_("lessons learned"), blank=True, help_text=_("Markdown."))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        permissions = [
            ("work_change", _("Can work changes (plans, implementation)")),
            (
                "manage_change",
                _("Can manage changes: assess, send to the CAB, schedule, override conflicts, close"),
            ),
        ]
        indexes = [
            models.Index(
                fields=["planned_start", "planned_end"],
                condition=Q(status__in=wf.ON_SCHEDULE_STATUSES),
                name="changes_schedule_idx",
            ),
            models.Index(fields=["status", "-created_at"], name="changes_status_created_idx"),
            models.Index(fields=["support_group", "status"], name="changes_group_status_idx"),
            models.Index(fields=["assignee", "status"], name="changes_assignee_status_idx"),
            models.Index(fields=["requester", "-created_at"], name="changes_requester_idx"),
            models.Index(fields=["change_type", "status"], name="changes_type_status_idx"),
            models.Index(fields=["closed_at"], name="changes_closed_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=wf.STATUSES), name="changes_change_status_valid"),
            models.CheckConstraint(condition=Q(change_type__in=wf.TYPES), name="changes_change_type_valid"),
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_end__isnull=True)
                | Q(planned_end__gt=F("planned_start")),
                name="changes_planned_end_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(change_type=wf.STANDARD) | Q(standard_change__isnull=False),
                name="changes_standard_has_template",
            ),
        ]

    @property
    def plans_complete(self) -> bool:
        return all(
            getattr(self, name).strip() for name in ("implementation_plan", "test_plan", "backout_plan")
        )

    @property
    def awaits_retro_approval(self) -> bool:
        """An emergency change done before its approval, flagged until the ECAB decides."""
        return self.retro_approval in (self.RetroApproval.PENDING, self.RetroApproval.EXPIRED)


class RiskQuestion(models.Model):
    """One yes/no question of the risk questionnaire; a yes adds its weight to the change's score."""

    text = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("help"), max_length=300, blank=True)
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("risk question")
        verbose_name_plural = _("risk questions")
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=10), name="changes_riskquestion_weight_range"
            ),
        ]

    def __str__(self):
        return self.text


class ApprovalRule(models.Model):
    """Who approves a normal or emergency change of one risk level, and by which rule. The approvers are
    the members of the board (the CAB, or the ECAB for emergencies), with the owners of the impacted
    services and the change's manager when the rule says so; `required` names whose approval every rule
    needs (and whose rejection rejects)."""

    class Required(models.TextChoices):
        NONE = "none", _("Nobody in particular")
        OWNERS = "owners", _("The service owners and the change manager")
        EVERYONE = "everyone", _("Every approver")

    change_type = models.CharField(
        _("type"),
        max_length=10,
        choices=[(wf.NORMAL, _("Normal")), (wf.EMERGENCY, _("Emergency"))],
        default=wf.NORMAL,
    )
    risk_level = models.CharField(_("risk"), max_length=10, choices=RiskLevel.choices)
    board = models.ForeignKey(
        "servicedesk.SupportGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("board"),
        help_text=_("Its active members approve; empty: only the service owners and the change manager."),
    )
    rule = models.CharField(
        _("rule"),
        max_length=10,
        choices=[("any", _("Any one approver")), ("all", _("All approvers")), ("majority", _("A majority"))],
        default="any",
    )
    include_service_owners = models.BooleanField(
        _("the owners of the impacted services approve"), default=True
    )
    include_change_manager = models.BooleanField(_("the change manager approves"), default=True)
    required = models.CharField(
        _("required approvers"), max_length=10, choices=Required.choices, default="none"
    )
    due_hours = models.PositiveSmallIntegerField(
        _("hours to decide"), null=True, blank=True, help_text=_("Empty: no time limit.")
    )

    class Meta:
        ordering = ["change_type", "risk_level"]
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")
        constraints = [
            models.UniqueConstraint(fields=["change_type", "risk_level"], name="changes_one_rule_per_risk"),
            models.CheckConstraint(
                condition=Q(rule__in=["any", "all", "majority"]), name="changes_approvalrule_rule_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_change_type_display()} · {self.get_risk_level_display()}"


class BlackoutWindow(models.Model):
    """A freeze: no change may be implemented in it, everywhere (no services named) or on the services
    named, unless the change manager overrides it with a reason."""

    name = models.CharField(_("name"), max_length=200)
    reason = models.TextField(_("reason"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    services = models.ManyToManyField(
        "cmdb.ConfigurationItem",
        blank=True,
        related_name="blackout_windows",
        limit_choices_to=SERVICE_CHOICES,
        verbose_name=_("services"),
        help_text=_("Empty: the freeze applies to every change."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("blackout window")
        verbose_name_plural = _("blackout windows")
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="changes_blackout_time_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="changes_blackout_ends_after"
            ),
        ]

    def __str__(self):
        return self.name


class MaintenanceWindow(models.Model):
    """When a service may be changed: every week on `weekdays` (0 Monday ... 6 Sunday) from `start_time` for
    `duration_minutes`, in the service's time zone (so 02:00 stays 02:00 across daylight saving). A service
    with windows takes changes only inside one; a service without any takes them any time."""

    service = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.CASCADE,
        related_name="maintenance_windows",
        limit_choices_to=SERVICE_CHOICES,
        verbose_name=_("service"),
    )
    name = models.CharField(_("name"), max_length=200)
    weekdays = models.JSONField(_("weekdays"), default=list, help_text=_("0 is Monday, 6 Sunday."))
    start_time = models.TimeField(_("starts at"))
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)]
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["service", "name", "id"]
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=7 * 24 * 60),
                name="changes_maintenance_duration_range",
            ),
        ]

    def __str__(self):
        return self.name


class CalendarFeed(models.Model):
    """A person's secret address of the forward schedule as an iCalendar feed (`.ics`), for the calendar
    they already use: it reads the schedule as they would, and stops when they make a new one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="change_calendar_feed",
        verbose_name=_("user"),
    )  # fmt: skip
    key = models.CharField(_("key"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("schedule feed")
        verbose_name_plural = _("schedule feeds")

    def __str__(self):
        return str(self.user)
