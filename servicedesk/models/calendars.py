"""Business calendars: when the desk works, in which time zone, and the days it does not (DESIGN.md §5)."""

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known IANA time zone."), params={"value": value})


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessCalendar(models.Model):
    """Working hours per weekday in one time zone, with holidays and one-off exceptions.

    SLA clocks count business time through a calendar (`servicedesk.sla.calendar`); `schedule()` turns
    the rows into the pure data the arithmetic works on.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self):
        return self.name


class WorkingInterval(models.Model):
    """One stretch of working time on a weekday, in minutes after local midnight (1440 = midnight)."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="intervals")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_minute = models.PositiveSmallIntegerField(_("from"))
    end_minute = models.PositiveSmallIntegerField(_("until"))

    class Meta:
        ordering = ["calendar", "weekday", "start_minute"]
        verbose_name = _("working interval")
        verbose_name_plural = _("working intervals")
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="sla_interval_weekday_valid"),
            models.CheckConstraint(
                condition=Q(start_minute__lt=F("end_minute"), end_minute__lte=1440),
                name="sla_interval_bounds_valid",
            ),
            models.UniqueConstraint(
                fields=["calendar", "weekday", "start_minute"], name="sla_interval_unique_start"
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {_clock(self.start_minute)}–{_clock(self.end_minute)}"


class CalendarException(models.Model):
    """A date that differs from the week: a holiday (closed all day) or extra working time (open)."""

    class Kind(models.TextChoices):
        CLOSED = "closed", _("Closed (holiday)")
        OPEN = "open", _("Open (working time on this date instead of the weekday's)")

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CLOSED)
    name = models.CharField(_("name"), max_length=200, blank=True)
    start_minute = models.PositiveSmallIntegerField(_("from"), null=True, blank=True)
    end_minute = models.PositiveSmallIntegerField(_("until"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=50, blank=True, help_text=_("Where it came from, e.g. holidays:CN.")
    )

    class Meta:
        ordering = ["calendar", "date", "start_minute"]
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        indexes = [models.Index(fields=["calendar", "date"], name="sla_exception_date_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["closed", "open"]), name="sla_exception_kind_valid"),
            models.CheckConstraint(
                condition=Q(kind="closed", start_minute__isnull=True, end_minute__isnull=True)
                | Q(kind="open", start_minute__lt=F("end_minute"), end_minute__lte=1440),
                name="sla_exception_hours_valid",
            ),
            models.UniqueConstraint(
                fields=["calendar", "date"], condition=Q(kind="closed"), name="sla_exception_one_holiday"
            ),
            models.UniqueConstraint(
                fields=["calendar", "date", "start_minute"],
                condition=Q(kind="open"),
                name="sla_exception_unique_opening",
            ),
        ]

    def __str__(self):
        if self.kind == self.Kind.OPEN:
            return f"{self.date} {_clock(self.start_minute)}–{_clock(self.end_minute)}"
        return f"{self.date} {self.name}".strip()


def _clock(minutes: int | None) -> str:
    if minutes is None:
        return ""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
