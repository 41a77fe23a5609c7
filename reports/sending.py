"""Scheduled reports: the beat task's service. Each due schedule sends, for the period that just ended,
one e-mail per recipient through the outbox, the report attached: worked out in the recipient's time
zone, with the recipient's own scope (never more than they may see) and in their language.

A `ReportDelivery` (unique per schedule and period) is written with the messages, so a period is sent
once however often the task runs; the schedule then moves on to its next sending. The period a delivery
records is the one in the owner's time zone (the schedule's clock); each recipient's attachment covers
the same kind of period in their own.
"""

import base64
import logging

from django.conf import settings
from django.db import transaction
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from servicedesk.errors import NotFound
from servicedesk.models import OutboxMessage
from servicedesk.services.outbox import outbox_enqueue_many, outbox_message

from .exports import MEDIA_TYPES, export_bytes, export_filename, sheet_of
from .forms import ReportForm
from .models import ReportDelivery, ReportSchedule
from .periods import previous_period
from .scope import reader_scope
from .selectors import measure_for, result_for
from .services import schedule_next_run

logger = logging.getLogger(__name__)

EVENT = "reports.scheduled"


def _zone(user) -> str:
    return user.time_zone or settings.TIME_ZONE


def _language(user) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    return user.language if user.language in codes else settings.LANGUAGE_CODE


def schedules_send(*, now=None) -> int:
    """Send every active schedule whose time has come (`next_run_at <= now`), each in its own
    transaction, locked with SKIP LOCKED so two workers never send one twice; returns how many e-mails
    were written to the outbox. A schedule that fails stays due and is tried again on the next run."""
    now = now or timezone.now()
    written = 0
    last = 0
    while True:
        with transaction.atomic():
            schedule = (
                ReportSchedule.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(is_active=True, next_run_at__lte=now, pk__gt=last)
                .select_related("report__owner")
                .order_by("pk")
                .first()
            )
            if schedule is None:
                return written
            last = schedule.pk
            try:
                with transaction.atomic():
                    written += schedule_send(schedule=schedule, now=now)
            except Exception:  # one broken schedule must not hold back the others
                logger.exception("reports: schedule %s could not be sent; it stays due", schedule.pk)


def schedule_send(*, schedule: ReportSchedule, now) -> int:
    """Send `schedule` for the period that ended before `now` unless that period was sent already,
    then move its next sending on; returns how many e-mails were written. Call with the schedule locked,
    inside a transaction."""
    owner = schedule.report.owner
    start, end = previous_period(schedule.frequency, now, _zone(owner))
    messages = []
    if not schedule.deliveries.filter(period_start=start).exists():
        recipients = schedule.recipients.filter(is_active=True).exclude(email="").order_by("pk")
        messages = [message for user in recipients if (message := _message(schedule, user, now)) is not None]
        outbox_enqueue_many(messages=messages)
        ReportDelivery.objects.create(
            schedule=schedule, period_start=start, period_end=end, recipients=len(messages)
        )
    schedule.last_run_at = now
    schedule.next_run_at = schedule_next_run(schedule, after=now)
    schedule.save(update_fields=["last_run_at", "next_run_at"])
    return len(messages)


def _message(schedule: ReportSchedule, user, now) -> OutboxMessage | None:
    """The e-mail for one recipient, or None for someone who may no longer read this report."""
    scope = reader_scope(user)
    report = schedule.report
    if scope is None:
        logger.info("reports: %s reads no reports; schedule %s skips them", user, schedule.pk)
        return None
    try:
        found = measure_for(scope, report.measure)
    except NotFound:
        logger.info("reports: %s may not read %s; schedule %s skips them", user, report.measure, schedule.pk)
        return None
    zone = _zone(user)
    data = QueryDict(report.query, mutable=True)
    if "bucket" not in data:
        data["bucket"] = "day"
    with translation.override(_language(user)), timezone.override(zone):
        form = ReportForm(data, measure=found, user=user)
        if not form.is_valid():
            logger.warning("reports: saved report %s no longer reads as a report: %s", report.pk, form.errors)
            return None
        start, end = previous_period(schedule.frequency, now, zone)
        query = form.query(scope, now=now, time_zone=zone).but(start=start, end=end)
        sheet = sheet_of(result_for(found, query), measure=found, query=query)
        content = export_bytes(sheet, schedule.format)
        context = {"report": report, "measure": found, "sheet": sheet, "user": user, "schedule": schedule}
        subject = _("%(report)s: %(period)s") % {"report": report.name, "period": sheet.period}
        text = render_to_string("reports/email/scheduled.txt", context)
    attachment = {
        "name": export_filename(found, query, schedule.format),
        "media_type": MEDIA_TYPES[schedule.format].split(";")[0],
        "content": base64.b64encode(content).decode("ascii"),
    }
    payload = {"subject": subject, "text": text, "attachments": [attachment]}
    return outbox_message(OutboxMessage.Channel.EMAIL, EVENT, user.email, payload, record=schedule)
