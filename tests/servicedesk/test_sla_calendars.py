"""Business calendars as rows: hours, holidays from the `holidays` package, the admin and the demo."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from servicedesk.models import AuditEvent, BusinessCalendar, CalendarException, WorkingInterval
from servicedesk.sla import calendar as arithmetic
from servicedesk.sla.calendars import (
    calendar_load_holidays,
    calendar_schedule,
    calendar_set_hours,
    holiday_countries,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = {day: [(540, 720), (780, 1080)] for day in range(5)}  # 09:00-12:00, 13:00-18:00


@pytest.fixture
def office(db):
    calendar = BusinessCalendar.objects.create(name="Shanghai office", time_zone="Asia/Shanghai")
    return calendar_set_hours(calendar=calendar, actor=None, weekly=OFFICE)


@pytest.mark.django_db
def test_a_calendar_reads_as_the_schedule_the_arithmetic_uses(office, django_assert_num_queries):
    CalendarException.objects.create(calendar=office, date=date(2026, 10, 1), name="National Day")
    CalendarException.objects.create(
        calendar=office, date=date(2026, 10, 10), kind="open", start_minute=540, end_minute=1080
    )

    with django_assert_num_queries(2):
        schedule = calendar_schedule(office)

    assert schedule.time_zone == "Asia/Shanghai"
    assert schedule.weekly[0] == ((540, 720), (780, 1080))
    assert schedule.weekly[5] == schedule.weekly[6] == ()
    assert schedule.closed == frozenset({date(2026, 10, 1)})
    assert dict(schedule.opened) == {date(2026, 10, 10): ((540, 1080),)}
    # Friday 17:00 + 2 business hours = Monday 10:00, skipping the weekend and the lunch break.
    friday = datetime(2026, 11, 20, 17, 0, tzinfo=SHANGHAI)
    assert arithmetic.add(schedule, friday, 2 * 3600) == datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
    # The working Saturday counts; the holiday does not.
    assert (
        arithmetic.between(
            schedule, datetime(2026, 10, 10, 0, 0, tzinfo=SHANGHAI), datetime(2026, 10, 11, tzinfo=SHANGHAI)
        )
        == 9 * 3600
    )
    assert (
        arithmetic.between(
            schedule, datetime(2026, 10, 1, tzinfo=SHANGHAI), datetime(2026, 10, 2, tzinfo=SHANGHAI)
        )
        == 0
    )


@pytest.mark.django_db
def test_setting_hours_replaces_them_and_is_audited(office):
    calendar_set_hours(calendar=office, actor=None, weekly={5: [(600, 840)]})

    assert list(WorkingInterval.objects.filter(calendar=office).values_list("weekday", "start_minute")) == [
        (5, 600)
    ]
    event = AuditEvent.objects.filter(action="calendar.hours_set").latest("pk")
    assert event.data == {"5": [[600, 840]]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "weekly",
    [
        {0: [(540, 720), (700, 800)]},  # overlapping
        {0: [(600, 540)]},  # ends before it starts
        {0: [(0, 1441)]},  # past midnight
        {7: [(540, 1080)]},  # no such weekday
    ],
)
def test_bad_hours_are_refused_and_the_old_ones_kept(office, weekly):
    with pytest.raises(ValidationError) as error:
        calendar_set_hours(calendar=office, actor=None, weekly=weekly)

    assert "weekly" in error.value.message_dict
    assert WorkingInterval.objects.filter(calendar=office).count() == 10


@pytest.mark.django_db
def test_the_database_refuses_an_interval_that_ends_before_it_starts(office):
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingInterval.objects.create(calendar=office, weekday=6, start_minute=600, end_minute=540)


@pytest.mark.django_db
def test_public_holidays_load_once_and_edited_ones_stay(office):
    added = calendar_load_holidays(calendar=office, actor=None, country="CN", years=[2026])

    national_day = CalendarException.objects.get(calendar=office, date=date(2026, 10, 1))
    assert added >= 10
    assert (national_day.kind, national_day.source) == ("closed", "holidays:CN")
    national_day.name = "国庆节"
    national_day.save()

    assert calendar_load_holidays(calendar=office, actor=None, country="CN", years=[2026, 2027]) > 0
    national_day.refresh_from_db()
    assert national_day.name == "国庆节"
    assert CalendarException.objects.filter(calendar=office, date=date(2026, 10, 1)).count() == 1
    assert date(2026, 10, 1) in calendar_schedule(office).closed
    assert AuditEvent.objects.filter(action="calendar.holidays_loaded").count() == 2


@pytest.mark.django_db
def test_chinas_make_up_working_days_open_on_the_first_weekdays_hours(office):
    calendar_load_holidays(calendar=office, actor=None, country="CN", years=[2026])

    # 2026: Saturday 14 February and Saturday 28 February are worked for the Spring Festival (调休).
    openings = CalendarException.objects.filter(calendar=office, kind="open").order_by("date", "start_minute")
    assert [(row.date, row.start_minute, row.end_minute) for row in openings[:2]] == [
        (date(2026, 1, 4), 540, 720),
        (date(2026, 1, 4), 780, 1080),
    ]
    assert {row.date for row in openings} >= {date(2026, 2, 14), date(2026, 2, 28), date(2026, 10, 10)}
    assert all(row.date.year == 2026 and row.date.weekday() >= 5 for row in openings)
    schedule = calendar_schedule(office)
    saturday_morning = datetime(2026, 2, 14, 10, 0, tzinfo=SHANGHAI)
    assert arithmetic.is_working(schedule, saturday_morning)
    assert not arithmetic.is_working(schedule, datetime(2026, 2, 21, 10, 0, tzinfo=SHANGHAI))
    # An hour's target from Saturday 14 February 10:00 ends that Saturday, not the next working Monday.
    assert arithmetic.add(schedule, saturday_morning, 3600) == datetime(2026, 2, 14, 11, 0, tzinfo=SHANGHAI)

    again = calendar_load_holidays(calendar=office, actor=None, country="CN", years=[2026])
    assert again == 0
    assert CalendarException.objects.filter(calendar=office, kind="open").count() == openings.count()


@pytest.mark.django_db
def test_a_calendar_open_every_day_gets_no_make_up_days(db):
    calendar = BusinessCalendar.objects.create(name="24x7", time_zone="Asia/Shanghai")
    calendar_set_hours(calendar=calendar, actor=None, weekly={day: [(0, 1440)] for day in range(7)})

    calendar_load_holidays(calendar=calendar, actor=None, country="CN", years=[2026])

    assert not CalendarException.objects.filter(calendar=calendar, kind="open").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"country": "XX", "years": [2026]}, "country"),
        ({"country": "US", "subdivision": "ZZ", "years": [2026]}, "country"),
        ({"country": "CN", "years": range(2020, 2031)}, "years"),
        ({"country": "CN", "years": []}, "years"),
    ],
)
def test_unknown_countries_and_too_many_years_are_refused(office, kwargs, field):
    with pytest.raises(ValidationError) as error:
        calendar_load_holidays(calendar=office, actor=None, **kwargs)

    assert field in error.value.message_dict
    assert not CalendarException.objects.exists()


def test_the_country_list_names_each_country_with_its_code():
    countries = dict(holiday_countries())

    assert countries["CN"] == "China (CN)"
    assert countries["GB"] == "United Kingdom (GB)"


@pytest.mark.django_db
def test_the_command_loads_holidays_and_names_a_missing_calendar(office):
    out = io.StringIO()
    call_command("calendar_load_holidays", "Shanghai office", "cn", "2026", stdout=out)

    assert "holidays and working days added to Shanghai office" in out.getvalue()
    assert CalendarException.objects.filter(calendar=office, source="holidays:CN").exists()
    with pytest.raises(CommandError, match="No business calendar"):
        call_command("calendar_load_holidays", "Nowhere", "CN", "2026")


@pytest.mark.django_db
def test_an_administrator_edits_hours_as_clock_times(client, administrator, office):
    client.force_login(administrator)
    url = f"/admin/servicedesk/businesscalendar/{office.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="09:00"' in page.content.decode()
    assert "Load public holidays" in page.content.decode()

    response = client.post(
        "/admin/servicedesk/businesscalendar/add/",
        {
            "name": "Night shift",
            "time_zone": "Europe/London",
            "description": "",
            "intervals-TOTAL_FORMS": "2",
            "intervals-INITIAL_FORMS": "0",
            "intervals-0-weekday": "0",
            "intervals-0-start_minute": "22:00",
            "intervals-0-end_minute": "24:00",
            "intervals-1-weekday": "1",
            "intervals-1-start_minute": "00:00",
            "intervals-1-end_minute": "06:30",
            "exceptions-TOTAL_FORMS": "1",
            "exceptions-INITIAL_FORMS": "0",
            "exceptions-0-date": "2026-12-25",
            "exceptions-0-kind": "closed",
            "exceptions-0-name": "Christmas Day",
        },
    )

    assert response.status_code == 302, response.context["errors"] if response.context else response
    night = BusinessCalendar.objects.get(name="Night shift")
    assert list(night.intervals.values_list("weekday", "start_minute", "end_minute")) == [
        (0, 1320, 1440),
        (1, 0, 390),
    ]
    assert night.exceptions.get().name == "Christmas Day"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end", "time_zone"),
    [
        ("25:00", "26:00", "UTC"),
        ("9am", "18:00", "UTC"),
        ("18:00", "09:00", "UTC"),
        ("09:00", "18:00", "Mars/Base"),
    ],
)
def test_the_admin_refuses_impossible_hours_and_zones(client, administrator, start, end, time_zone):
    client.force_login(administrator)

    response = client.post(
        "/admin/servicedesk/businesscalendar/add/",
        {
            "name": "Bad",
            "time_zone": time_zone,
            "intervals-TOTAL_FORMS": "1",
            "intervals-INITIAL_FORMS": "0",
            "intervals-0-weekday": "0",
            "intervals-0-start_minute": start,
            "intervals-0-end_minute": end,
            "exceptions-TOTAL_FORMS": "0",
            "exceptions-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert not BusinessCalendar.objects.filter(name="Bad").exists()


@pytest.mark.django_db
def test_an_administrator_loads_holidays_from_the_calendar_page(client, administrator, office):
    client.force_login(administrator)
    url = f"/admin/servicedesk/businesscalendar/{office.pk}/holidays/"

    assert client.get(url).status_code == 200
    refused = client.post(url, {"country": "CN", "first_year": "2026", "last_year": "2040"})
    assert refused.status_code == 200
    assert not CalendarException.objects.exists()

    response = client.post(url, {"country": "CN", "first_year": "2026", "last_year": "2026"})

    assert response.status_code == 302
    assert CalendarException.objects.filter(calendar=office, date=date(2026, 1, 1)).exists()


@pytest.mark.django_db
def test_an_agent_cannot_open_the_holiday_loader(client, agent, office):
    client.force_login(agent)

    response = client.get(f"/admin/servicedesk/businesscalendar/{office.pk}/holidays/")

    assert response.status_code in (302, 403)
    assert not CalendarException.objects.exists()


@pytest.mark.django_db
def test_the_demo_has_a_round_the_clock_and_a_shanghai_office_calendar():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # idempotent

    always = calendar_schedule(BusinessCalendar.objects.get(name="24×7"))
    office = calendar_schedule(BusinessCalendar.objects.get(name="Shanghai business hours"))
    assert always.weekly == (((0, 1440),),) * 7
    assert office.weekly == (((540, 1080),),) * 5 + ((), ())
    assert office.time_zone == "Asia/Shanghai"
    assert len(office.closed) >= 20  # two years of Chinese public holidays
