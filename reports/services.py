"""Writes of the reports app: a reader's saved reports and their schedules. Sending the scheduled
reports is `reports.sending`."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.errors import NotFound
from servicedesk.services.audit import audit_record

from .models import ReportSchedule, SavedReport
from .periods import next_run_at
from .scope import may_read_reports, reader_scope
from .selectors import measure_for

MAX_QUERY = SavedReport._meta.get_field("query").max_length


def _owner_zone(user) -> str:
    from django.conf import settings

    return user.time_zone or settings.TIME_ZONE


def _readable(actor, measure: str) -> None:
    scope = reader_scope(actor)
    if scope is None:
        raise NotFound(_("No such report."))
    measure_for(scope, measure)


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the report a name.")}, code="required")
    return name


def _check_unique(owner, name: str, *, exclude: int | None = None) -> None:
    taken = SavedReport.objects.filter(owner=owner, name=name).exclude(pk=exclude)
    if taken.exists():
        raise ValidationError({"name": _("You already have a report named “%(name)s”.") % {"name": name}})


def saved_report_create(*, actor, name: str, measure: str, query: str) -> SavedReport:
    """Keep the report `measure` with its filters (`query`, the report form's query string) under
    `name` for `actor`. Raises NotFound for a measure the actor may not open and ValidationError for an
    empty name, a name the actor already uses, or a query too long to keep."""
    _readable(actor, measure)
    name = _name(name)
    query = (query or "").lstrip("?")
    if len(query) > MAX_QUERY:
        raise ValidationError({"name": _("These filters are too many to keep; choose fewer.")})
    with transaction.atomic():
        _check_unique(actor, name)
        try:
            with transaction.atomic():
                return SavedReport.objects.create(owner=actor, name=name, measure=measure, query=query)
        except IntegrityError:  # the same name saved at the same moment
            raise ValidationError(
                {"name": _("You already have a report named “%(name)s”.") % {"name": name}}
            ) from None


def _own(actor, report: SavedReport) -> None:
    if report.owner_id != actor.pk:
        raise NotFound(_("No such report."))


def saved_report_rename(*, actor, report: SavedReport, name: str) -> SavedReport:
    """Rename the actor's own report; ValidationError for an empty or already used name."""
    _own(actor, report)
    name = _name(name)
    with transaction.atomic():
        _check_unique(actor, name, exclude=report.pk)
        report.name = name
        try:
            with transaction.atomic():
                report.save(update_fields=["name", "updated_at"])
        except IntegrityError:
            raise ValidationError(
                {"name": _("You already have a report named “%(name)s”.") % {"name": name}}
            ) from None
    return report


def saved_report_delete(*, actor, report: SavedReport) -> None:
    """Delete the actor's own report with its schedules (their sent deliveries go with them)."""
    _own(actor, report)
    with transaction.atomic():
        if report.schedules.exists():
            audit_record(
                actor=actor, action="reports.schedules_deleted", target=report, data={"name": report.name}
            )
        report.delete()


def _recipients(recipients) -> list:
    recipients = list(recipients)
    refused = [str(user) for user in recipients if not may_read_reports(user)]
    if refused:
        raise ValidationError(
            {"recipients": _("These people read no reports: %(names)s.") % {"names": ", ".join(refused)}}
        )
    return recipients


def _schedule_fields(frequency: str, weekday: int, day: int, hour: int, format: str) -> dict:
    errors = {}
    if frequency not in ReportSchedule.Frequency.values:
        errors["frequency"] = _("Choose weekly or monthly.")
    if not 0 <= weekday <= 6:
        errors["weekday"] = _("Choose a day of the week.")
    if not 1 <= day <= 28:
        errors["day"] = _("Choose a day from 1 to 28.")
    if not 0 <= hour <= 23:
        errors["hour"] = _("Choose an hour from 0 to 23.")
    if format not in ReportSchedule.Format.values:
        errors["format"] = _("Choose CSV, XLSX or PDF.")
    if errors:
        raise ValidationError(errors)
    return {"frequency": frequency, "weekday": weekday, "day": day, "hour": hour, "format": format}


def schedule_next_run(schedule: ReportSchedule, *, after) -> object:
    """When `schedule` sends next after `after`, in its owner's time zone."""
    return next_run_at(
        schedule.frequency,
        weekday=schedule.weekday,
        day=schedule.day,
        hour=schedule.hour,
        after=after,
        zone=_owner_zone(schedule.report.owner),
    )


def schedule_save(
    *,
    actor,
    report: SavedReport,
    frequency: str,
    weekday: int = 0,
    day: int = 1,
    hour: int = 7,
    format: str = ReportSchedule.Format.CSV,
    recipients=(),
    schedule: ReportSchedule | None = None,
    now=None,
) -> ReportSchedule:
    """Create (or, given `schedule`, change) a schedule of the actor's own report: sent weekly on
    `weekday` or monthly on `day`, at `hour` in the owner's time zone, as `format`, to `recipients`
    (people who read reports). Its next sending is worked out again. Raises NotFound for another's
    report and ValidationError for a time, format or recipient out of range."""
    _own(actor, report)
    if schedule is not None and schedule.report_id != report.pk:
        raise NotFound(_("No such schedule."))
    fields = _schedule_fields(frequency, weekday, day, hour, format)
    people = _recipients(recipients)
    with transaction.atomic():
        created = schedule is None
        schedule = schedule or ReportSchedule(report=report)
        for name, value in fields.items():
            setattr(schedule, name, value)
        schedule.report = report
        schedule.next_run_at = schedule_next_run(schedule, after=now or timezone.now())
        schedule.save()
        schedule.recipients.set(people)
        audit_record(
            actor=actor,
            action="reports.schedule_created" if created else "reports.schedule_changed",
            target=schedule,
            data={**fields, "report": report.name, "recipients": sorted(user.pk for user in people)},
        )
    return schedule


def schedule_delete(*, actor, schedule: ReportSchedule) -> None:
    """Stop and delete a schedule of the actor's own report."""
    _own(actor, schedule.report)
    with transaction.atomic():
        audit_record(
            actor=actor, action="reports.schedule_deleted", target=schedule.report, data={"id": schedule.pk}
        )
        schedule.delete()
