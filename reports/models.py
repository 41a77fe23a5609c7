"""A reader's saved reports and the schedules that e-mail them (the figures themselves are computed from
`servicedesk.models.RecordFact` by the measures registered in `servicedesk.reporting`)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SavedReport(models.Model):
    """A measure with its filters (the report form's query string), kept under a name by its owner."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_reports",
        verbose_name=_("owner"),
    )
    name = models.CharField(_("name"), max_length=100)
    measure = models.CharField(_("measure"), max_length=50)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved report")
        verbose_name_plural = _("saved reports")
        permissions = [
            ("view_all_reports", _("Can see the management information of every group and service"))
        ]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="reports_savedreport_unique"),
        ]

    def __str__(self):
        return self.name


class ReportSchedule(models.Model):
    """A saved report e-mailed weekly or monthly, for the period just ended, to its recipients (each in
    their own language and time zone), as an attachment through the outbox."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    class Format(models.TextChoices):
        CSV = "csv", _("CSV")
        XLSX = "xlsx", _("Excel (XLSX)")
        PDF = "pdf", _("PDF")

    report = models.ForeignKey(
        SavedReport, on_delete=models.CASCADE, related_name="schedules", verbose_name=_("report")
    )
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        default=0,
        validators=[MaxValueValidator(6)],
        help_text=_("Weekly: the day it is sent, Monday 0 to Sunday 6."),
    )
    day = models.PositiveSmallIntegerField(
        _("day of the month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("Monthly: the day it is sent (1 to 28)."),
    )
    hour = models.PositiveSmallIntegerField(
        _("hour"), default=7, validators=[MaxValueValidator(23)], help_text=_("In the owner's time zone.")
    )
    format = models.CharField(_("format"), max_length=10, choices=Format.choices, default=Format.CSV)
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("recipients")
    )
    is_active = models.BooleanField(_("active"), default=True)
    next_run_at = models.DateTimeField(_("next sending"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["report__name", "id"]
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")
        indexes = [
            models.Index(
                fields=["next_run_at"], condition=Q(is_active=True), name="reports_schedule_due_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(frequency__in=["weekly", "monthly"]), name="reports_schedule_frequency_valid"
            ),
            models.CheckConstraint(
                condition=Q(format__in=["csv", "xlsx", "pdf"]), name="reports_schedule_format_valid"
            ),
            models.CheckConstraint(
                condition=Q(weekday__lte=6, day__gte=1, day__lte=28, hour__lte=23),
                name="reports_schedule_time_valid",
            ),
        ]

    def __str__(self):
        return f"{self.report} ({self.get_frequency_display()})"


class ReportDelivery(models.Model):
    """One sending of a schedule for one period: written with the outbox messages, so a period is sent
    once however often the sweep runs."""

    schedule = models.ForeignKey(
        ReportSchedule, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("schedule")
    )
    period_start = models.DateTimeField(_("period from"))
    period_end = models.DateTimeField(_("period until"))
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        constraints = [
            models.UniqueConstraint(fields=["schedule", "period_start"], name="reports_delivery_once"),
        ]

    def __str__(self):
        return f"{self.schedule} {self.period_start:%Y-%m-%d}"
