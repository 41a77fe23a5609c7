import base64
import csv
import io
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from reports.models import ReportDelivery, ReportSchedule, SavedReport
from reports.periods import next_run_at, previous_period
from reports.sending import schedules_send
from reports.services import schedule_save
from reports.tasks import schedules_send_task
from servicedesk.models import OutboxMessage
from servicedesk.services import outbox

from .people_and_facts import at, desk, fact

NOW = datetime(2026, 3, 9, 12, tzinfo=UTC)  # Monday: 20:00 in Shanghai, 08:00 in New York (EDT)


def test_the_next_sending_is_the_weekday_at_the_hour_in_the_owners_time_zone():
    # Wednesday 4 March: the next Monday 07:00 in Shanghai is 8 March 23:00 UTC.
    assert next_run_at("weekly", weekday=0, day=1, hour=7, after=at(4), zone="Asia/Shanghai") == datetime(
        2026, 3, 8, 23, tzinfo=UTC
    )
    # Monthly on the 1st at 07:00 in London, after 1 March 08:00 UTC: 1 April 07:00 BST = 06:00 UTC.
    assert next_run_at("monthly", weekday=0, day=1, hour=7, after=at(1, 8), zone="Europe/London") == datetime(
        2026, 4, 1, 6, tzinfo=UTC
    )


def test_the_period_just_ended_is_the_last_whole_week_or_month_in_the_zone():
    assert previous_period("weekly", NOW, "Asia/Shanghai") == (
        datetime(2026, 3, 1, 16, tzinfo=UTC),
        datetime(2026, 3, 8, 16, tzinfo=UTC),
    )
    # Still Sunday 8 March in New York at 01:00 UTC on the 9th: the week before.
    assert previous_period("weekly", at(9, 1), "America/New_York") == (
        datetime(2026, 2, 23, 5, tzinfo=UTC),
        datetime(2026, 3, 2, 5, tzinfo=UTC),
    )
    assert previous_period("monthly", NOW, "UTC") == (at(1, month=2), at(1))


@pytest.fixture
def scheduled(db):
    """carol (Shanghai) e-mails her volumes weekly to herself and dave (New York), due now."""
    people = desk()
    carol, dave = people["carol"], people["dave"]
    carol.time_zone = "Asia/Shanghai"
    carol.save(update_fields=["time_zone"])
    dave.time_zone = "America/New_York"
    dave.save(update_fields=["time_zone"])
    # 2 March 03:00 UTC: in carol's week (11:00 in Shanghai), not in dave's (Sunday 22:00 in New York).
    fact(group=people["service_desk"], assignee=dave, opened_at=at(2, 3))
    report = SavedReport.objects.create(
        owner=carol, name="Weekly volumes", measure="volumes", query="by=period"
    )
    schedule = schedule_save(
        actor=carol, report=report, frequency="weekly", weekday=0, hour=7, recipients=[carol, dave], now=at(8)
    )
    return {**people, "schedule": schedule}


def attachment_rows(message) -> tuple[str, list[list[str]]]:
    [(name, content, media_type)] = message.attachments
    assert media_type == "text/csv"
    text = content if isinstance(content, str) else content.decode("utf-8")
    return name, list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_schedule_is_due_at_the_owners_hour(scheduled):
    # Saved on Sunday 8 March 00:00 UTC (08:00 in Shanghai): Monday 07:00 in Shanghai.
    assert scheduled["schedule"].next_run_at == datetime(2026, 3, 8, 23, tzinfo=UTC)


def test_each_recipient_gets_their_week_in_their_time_zone_and_scope_once(
    scheduled, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert schedules_send(now=NOW) == 2
        assert schedules_send(now=NOW) == 0  # not due any more
        assert schedules_send(now=NOW + timedelta(minutes=5)) == 0

    [delivery] = ReportDelivery.objects.all()
    assert (delivery.period_start, delivery.period_end, delivery.recipients) == (
        datetime(2026, 3, 1, 16, tzinfo=UTC),
        datetime(2026, 3, 8, 16, tzinfo=UTC),
        2,
    )
    schedule = ReportSchedule.objects.get()
    assert schedule.last_run_at == NOW
    assert schedule.next_run_at == datetime(2026, 3, 15, 23, tzinfo=UTC)  # Monday 16 March 07:00 Shanghai
    sent = {message.to[0]: message for message in mail.outbox}
    assert sorted(sent) == ["carol@example.com", "dave@example.com"]

    name, rows = attachment_rows(sent["carol@example.com"])
    assert name == "volumes_2026-03-02_2026-03-08.csv"
    assert rows[0] == ["Period", "Opened", "Resolved"]
    # Her group's three records (two on 2 March UTC, one at 03:00 UTC), resolved on 3 and 4 March.
    assert rows[1:4] == [["2 Mar 2026", "3", "0"], ["3 Mar 2026", "0", "1"], ["4 Mar 2026", "0", "1"]]
    assert [row[1:] for row in rows[4:]] == [["0", "0"]] * 4
    assert (
        sent["carol@example.com"].subject
        == "Weekly volumes: From 2 Mar 2026 until 8 Mar 2026 (Asia/Shanghai)"
    )

    name, rows = attachment_rows(sent["dave@example.com"])
    assert name == "volumes_2026-03-02_2026-03-08.csv"
    # Only his own record of 2 March 10:00 UTC: the one at 03:00 UTC was Sunday in New York.
    assert rows[1:4] == [["2 Mar 2026", "1", "0"], ["3 Mar 2026", "0", "1"], ["4 Mar 2026", "0", "0"]]
    assert "(America/New_York)" in sent["dave@example.com"].subject


def test_a_chinese_reader_gets_dates_in_chinese(scheduled, django_capture_on_commit_callbacks):
    carol = scheduled["carol"]
    carol.language = "zh-hans"
    carol.save(update_fields=["language"])

    with django_capture_on_commit_callbacks(execute=True):
        schedules_send(now=NOW)

    sent = {message.to[0]: message for message in mail.outbox}
    _name, rows = attachment_rows(sent["carol@example.com"])
    assert rows[1][0] == "2026年3月2日"
    assert "2026年3月2日" in sent["carol@example.com"].subject
    _name, rows = attachment_rows(sent["dave@example.com"])
    assert rows[1][0] == "2 Mar 2026"


@pytest.mark.parametrize(
    ("format", "media_type", "magic"), [("xlsx", "spreadsheetml", b"PK"), ("pdf", "pdf", b"%PDF")]
)
def test_xlsx_and_pdf_are_attached_as_such(
    scheduled, django_capture_on_commit_callbacks, format, media_type, magic
):
    schedule = scheduled["schedule"]
    schedule.format = format
    schedule.save(update_fields=["format"])

    with django_capture_on_commit_callbacks(execute=True):
        schedules_send(now=NOW)

    for message in mail.outbox:
        [(name, content, sent_type)] = message.attachments
        assert name == f"volumes_2026-03-02_2026-03-08.{format}"
        assert media_type in sent_type
        assert content.startswith(magic)


def test_a_mail_outage_delays_and_loses_nothing(scheduled, monkeypatch, django_capture_on_commit_callbacks):
    down = {"on": True}

    def send(message):
        if down["on"]:
            raise ConnectionRefusedError("mail server refused the connection")
        outbox.send_email(message)

    monkeypatch.setitem(outbox._TRANSPORTS, OutboxMessage.Channel.EMAIL, send)
    with django_capture_on_commit_callbacks(execute=True):
        schedules_send(now=NOW)

    assert mail.outbox == []
    assert list(OutboxMessage.objects.values_list("state", "attempts")) == [("pending", 1), ("pending", 1)]
    assert schedules_send(now=NOW + timedelta(minutes=5)) == 0  # sent once: the outbox retries

    down["on"] = False
    outbox.outbox_sweep(now=timezone.now() + timedelta(hours=1))

    assert sorted(message.to[0] for message in mail.outbox) == ["carol@example.com", "dave@example.com"]
    assert all(len(message.attachments) == 1 for message in mail.outbox)


def test_someone_who_reads_no_reports_is_refused_as_a_recipient(scheduled, requester):
    with pytest.raises(ValidationError) as error:
        schedule_save(
            actor=scheduled["carol"],
            report=scheduled["schedule"].report,
            frequency="weekly",
            recipients=[requester],
        )
    assert "recipients" in error.value.message_dict


def test_a_schedule_is_made_from_my_reports_with_me_as_recipient(client, scheduled):
    carol = scheduled["carol"]
    report = scheduled["schedule"].report
    client.force_login(carol)

    page = client.get(f"/reports/saved/{report.pk}/schedules/new/").content.decode()
    assert f'<option value="{carol.pk}" selected>' in page

    response = client.post(
        f"/reports/saved/{report.pk}/schedules/new/",
        {
            "frequency": "monthly",
            "weekday": 0,
            "day": 2,
            "hour": 6,
            "format": "xlsx",
            "recipients": [carol.pk],
        },
    )

    assert response.status_code == 302
    schedule = report.schedules.latest("pk")
    assert (schedule.frequency, schedule.day, schedule.hour, schedule.format) == ("monthly", 2, 6, "xlsx")
    assert list(schedule.recipients.all()) == [carol]
    assert schedule.next_run_at.astimezone(timezone.get_fixed_timezone(480)).hour == 6  # 06:00 in Shanghai


def test_the_beat_runs_the_task_every_five_minutes():
    from itsm.settings import base

    entry = base.CELERY_BEAT_SCHEDULE["reports.schedules_send"]
    assert (entry["task"], entry["schedule"]) == ("reports.schedules_send", timedelta(minutes=5))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_due_schedules(celery_worker):
    people = desk()
    report = SavedReport.objects.create(owner=people["carol"], name="Weekly", measure="volumes", query="")
    schedule = schedule_save(
        actor=people["carol"], report=report, frequency="weekly", recipients=[people["carol"], people["dave"]]
    )
    ReportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=timezone.now() - timedelta(minutes=1))

    schedules_send_task.delay()

    deadline = time.monotonic() + 30
    while len(mail.outbox) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sorted(message.to[0] for message in mail.outbox) == ["carol@example.com", "dave@example.com"]
    assert ReportDelivery.objects.filter(schedule=schedule).count() == 1
    assert all(message.attachments[0][0].endswith(".csv") for message in mail.outbox)
    payload = OutboxMessage.objects.filter(event="reports.scheduled").first().payload
    assert base64.b64decode(payload["attachments"][0]["content"]).startswith(b"\xef\xbb\xbf")
