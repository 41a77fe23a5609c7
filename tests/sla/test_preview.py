"""Previewing a policy or calendar edit on the open records, and calendar edits applied to open clocks."""

from datetime import date

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from incidents import services
from servicedesk.admin_sla import format_shift
from servicedesk.models import (
    AuditEvent,
    BusinessCalendar,
    CalendarException,
    SLAClock,
    SLAPolicy,
    SLASegment,
    SLATarget,
)
from servicedesk.sla.calendars import calendar_load_holidays, calendar_set_hours

from .conftest import HOURS, at, clocks_of, make_policy
from .test_admin import MONDAY, POLICIES, _duration, policy_form

CALENDARS = "/admin/servicedesk/businesscalendar/"


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


@pytest.fixture
def running(policy, requester, service):
    """An incident filed on Monday 10:00 under the 24x7 policy: respond by 11:00, resolve by 18:00."""
    with time_machine.travel(MONDAY, tick=False):
        return services.incident_create(actor=requester, title="Mail is down", service=service)


def resolution_targets(policy: SLAPolicy, target: str) -> list[dict]:
    """The policy's target rows with every resolution target set to `target`."""
    return [
        {
            "id": t.pk,
            "metric": t.metric,
            "priority": t.priority,
            "target": target if t.metric == "resolution" else _duration(t.target),
        }
        for t in policy.targets.all()
    ]


def state_of_the_database() -> dict:
    """What a preview must leave as it found it."""
    return {
        "clocks": list(
            SLAClock.objects.order_by("pk").values_list(
                "pk", "policy_id", "state", "due_at", "target_seconds", "next_check_at", "updated_at"
            )
        ),
        "segments": list(SLASegment.objects.order_by("pk").values_list("pk", "kind", "ended_at")),
        "policies": list(
            SLAPolicy.objects.order_by("pk").values_list("pk", "is_active", "retired_at", "updated_at")
        ),
        "targets": list(SLATarget.objects.order_by("pk").values_list("pk", "target")),
        "calendars": list(
            BusinessCalendar.objects.order_by("pk").values_list("pk", "time_zone", "updated_at")
        ),
        "exceptions": list(CalendarException.objects.order_by("pk").values_list("pk", "date")),
        "audit": AuditEvent.objects.count(),
        "log": LogEntry.objects.count(),
    }


def preview(client, url, data) -> dict:
    response = client.post(url, {**data, "_preview": "Preview"})
    assert response.status_code == 200, response
    assert "lines" in response.context, response.context.get("errors")
    return response


def moved(response) -> dict:
    """(number, metric) -> the preview's line."""
    return {(line["number"], line["metric"]): line for line in response.context["lines"]}


# Policies ---------------------------------------------------------------------------------------------


def test_the_preview_lists_the_moved_record_with_its_shift_and_saves_nothing(admin_client, policy, running):
    url = f"{POLICIES}{policy.pk}/change/"
    before = state_of_the_database()

    with time_machine.travel(MONDAY + HOURS / 2, tick=False):
        response = preview(
            admin_client, url, policy_form(policy, targets=resolution_targets(policy, "10:15:00"))
        )

    lines = moved(response)
    assert list(lines) == [(running.number, "Resolution")]  # the response target did not change
    line = lines[running.number, "Resolution"]
    assert (line["before"].due_at, line["after"].due_at) == (MONDAY + 8 * HOURS, at(2026, 1, 5, 20, 15))
    assert line["shift"] == "+2 h 15 min"
    assert line["breach_changed"] is False
    html = response.content.decode()
    assert f'href="{reverse("record", args=[running.number])}"' in html
    assert "+2 h 15 min" in html
    assert "was changed successfully" not in html
    assert state_of_the_database() == before
    # The rolled-back save's success message is gone for good, not waiting for the next page.
    assert "was changed successfully" not in admin_client.get(POLICIES).content.decode()


def test_a_preview_of_an_edit_that_moves_nothing_says_so(admin_client, policy, running):
    before = state_of_the_database()

    with time_machine.travel(MONDAY + HOURS / 2, tick=False):
        response = preview(
            admin_client, f"{POLICIES}{policy.pk}/change/", policy_form(policy, description="Reworded")
        )

    assert response.context["lines"] == []
    assert "No open record would move." in response.content.decode()
    assert state_of_the_database() == before
    policy.refresh_from_db()
    assert policy.description == ""


def test_a_preview_of_a_form_with_errors_shows_the_errors_and_no_preview(admin_client, policy, running):
    response = admin_client.post(
        f"{POLICIES}{policy.pk}/change/", {**policy_form(policy, warning_percents="lots"), "_preview": "1"}
    )

    assert response.status_code == 200
    assert "warning_percents" in response.context["adminform"].form.errors
    assert "lines" not in response.context


def _fallback(policy):
    make_policy(policy.calendar, name="Fallback", order=200, resolution=12 * HOURS)
    return {"is_active": None}


EDITS = {
    "longer target": lambda policy, office: {"targets": resolution_targets(policy, "10:15:00")},
    "target already exceeded": lambda policy, office: {"targets": resolution_targets(policy, "0:20:00")},
    "other calendar": lambda policy, office: {"calendar": office.pk},
    "retired, with a fallback": lambda policy, office: _fallback(policy),
    "retired, nothing else matches": lambda policy, office: {"is_active": None},
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_the_preview_is_what_saving_then_does(admin_client, policy, office, running, edit):
    url = f"{POLICIES}{policy.pk}/change/"
    now = MONDAY + HOURS / 2
    data = policy_form(policy, **EDITS[edit](policy, office))

    with time_machine.travel(now, tick=False):
        lines = moved(preview(admin_client, url, data))
        saved = admin_client.post(url, data)

    assert saved.status_code == 302
    assert lines, "the edit moves something"
    clocks = clocks_of(running)
    for (number, metric), line in lines.items():
        clock = clocks[metric.lower()]
        assert number == running.number
        assert line["after"].due_at == (clock.due_at if clock.is_open else None)
        assert line["after"].state == clock.state
        assert line["after"].policy == clock.policy.name
        assert line["after"].target_seconds == clock.target_seconds
    unmoved = {metric for metric in clocks if (running.number, metric.capitalize()) not in lines}
    with time_machine.travel(now, tick=False):
        for metric in unmoved:
            assert (
                clocks[metric].due_at
                == {"response": MONDAY + HOURS, "resolution": MONDAY + 8 * HOURS}[metric]
            )


def test_an_exceeded_target_shows_the_breach_it_would_cause(admin_client, policy, running):
    with time_machine.travel(MONDAY + HOURS / 2, tick=False):
        response = preview(
            admin_client,
            f"{POLICIES}{policy.pk}/change/",
            policy_form(policy, targets=resolution_targets(policy, "0:20:00")),
        )

    line = moved(response)[running.number, "Resolution"]
    assert (line["before"].breached, line["after"].breached, line["breach_changed"]) == (False, True, True)
    assert line["after"].due_at <= MONDAY + HOURS / 2  # already past: breached as soon as it is saved
    assert line["shift"].startswith("−7 h")


def test_shifts_read_as_signed_durations():
    assert format_shift(2 * 3600 + 15 * 60) == "+2 h 15 min"
    assert format_shift(-30 * 60) == "−30 min"
    assert format_shift(86400) == "+1 d"
    assert format_shift(0) == "0 s"
    assert format_shift(None) == "—"


# Calendars --------------------------------------------------------------------------------------------


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def calendar_form(calendar: BusinessCalendar, *, new_exceptions=(), **fields) -> dict:
    """The calendar admin's POST data: the calendar as it is, plus `new_exceptions`, with `fields` changed."""
    data = {"name": calendar.name, "time_zone": calendar.time_zone, "description": calendar.description}
    intervals = list(calendar.intervals.order_by("pk"))
    data["intervals-TOTAL_FORMS"] = len(intervals)
    data["intervals-INITIAL_FORMS"] = len(intervals)
    for index, interval in enumerate(intervals):
        data |= {
            f"intervals-{index}-id": interval.pk,
            f"intervals-{index}-calendar": calendar.pk,
            f"intervals-{index}-weekday": interval.weekday,
            f"intervals-{index}-start_minute": _clock(interval.start_minute),
            f"intervals-{index}-end_minute": _clock(interval.end_minute),
        }
    exceptions = list(calendar.exceptions.order_by("pk"))
    data["exceptions-TOTAL_FORMS"] = len(exceptions) + len(new_exceptions)
    data["exceptions-INITIAL_FORMS"] = len(exceptions)
    for index, exception in enumerate(exceptions):
        data |= {
            f"exceptions-{index}-id": exception.pk,
            f"exceptions-{index}-calendar": calendar.pk,
            f"exceptions-{index}-date": exception.date.isoformat(),
            f"exceptions-{index}-kind": exception.kind,
            f"exceptions-{index}-name": exception.name,
        }
    for index, row in enumerate(new_exceptions, start=len(exceptions)):
        data |= {f"exceptions-{index}-{key}": value for key, value in row.items()}
    data.update(fields)
    return data


@pytest.fixture
def office_record(office, requester, service):
    """Filed on Monday 10:00 London under an office-hours policy: resolve (8 business hours) by Tuesday
    10:00."""
    make_policy(office, name="Office hours")
    with time_machine.travel(MONDAY, tick=False):
        return services.incident_create(actor=requester, title="Printer", service=service)


def test_a_holiday_tomorrow_previews_a_later_due_time_then_saving_applies_it(
    admin_client, office, office_record
):
    url = f"{CALENDARS}{office.pk}/change/"
    page = admin_client.get(url)
    assert 'name="_preview"' in page.content.decode()
    data = calendar_form(
        office, new_exceptions=[{"date": "2026-01-06", "kind": "closed", "name": "Snow day"}]
    )
    before = state_of_the_database()

    with time_machine.travel(MONDAY + HOURS, tick=False):
        response = preview(admin_client, url, data)

    line = moved(response)[office_record.number, "Resolution"]
    assert (line["before"].due_at, line["after"].due_at) == (at(2026, 1, 6, 10), at(2026, 1, 7, 10))
    assert line["shift"] == "+1 d"
    assert "+1 d" in response.content.decode()
    assert state_of_the_database() == before

    with time_machine.travel(MONDAY + HOURS, tick=False):
        saved = admin_client.post(url, data)

    assert saved.status_code == 302
    assert clocks_of(office_record)["resolution"].due_at == line["after"].due_at
    assert office.exceptions.get().name == "Snow day"


def test_a_calendar_preview_with_bad_hours_shows_the_errors(admin_client, office, office_record):
    data = calendar_form(office, **{"intervals-0-start_minute": "25:00"})

    response = admin_client.post(f"{CALENDARS}{office.pk}/change/", {**data, "_preview": "1"})

    assert response.status_code == 200
    assert "lines" not in response.context
    assert response.context["errors"]


def test_changing_a_calendars_time_zone_re_targets_its_clocks(admin_client, office, office_record):
    with time_machine.travel(MONDAY + HOURS, tick=False):
        response = admin_client.post(
            f"{CALENDARS}{office.pk}/change/", calendar_form(office, time_zone="America/New_York")
        )

    assert response.status_code == 302
    # 1 h ran in London (10:00-11:00); 7 h left from 11:00 UTC = 06:00 New York: 09:00-16:00 there.
    assert clocks_of(office_record)["resolution"].due_at == at(2026, 1, 5, 21)


def test_setting_hours_re_targets_the_open_clocks(office, office_record):
    with time_machine.travel(MONDAY + 2 * HOURS, tick=False):
        calendar_set_hours(calendar=office, actor=None, weekly={day: [(540, 780)] for day in range(5)})

    # 2 h ran on the old hours (10:00-12:00); 6 h left on 09:00-13:00: Mon 12-13, Tue 9-13, Wed 9-10.
    assert clocks_of(office_record)["resolution"].due_at == at(2026, 1, 7, 10)
    assert SLASegment.objects.filter(reason="calendar").exists()


def test_loading_holidays_re_targets_the_open_clocks(office, requester, service):
    make_policy(office, name="Office hours")
    christmas_eve = at(2025, 12, 24, 10)
    with time_machine.travel(christmas_eve, tick=False):
        record = services.incident_create(actor=requester, title="Printer", service=service)
    assert clocks_of(record)["resolution"].due_at == at(2025, 12, 25, 10)

    with time_machine.travel(christmas_eve + 2 * HOURS, tick=False):
        added = calendar_load_holidays(calendar=office, actor=None, country="GB", years=[2025])

    assert added
    assert {date(2025, 12, 25), date(2025, 12, 26)} <= set(office.exceptions.values_list("date", flat=True))
    # Christmas, Boxing Day and the weekend are closed: the last business hour is Monday 29th 09:00-10:00.
    assert clocks_of(record)["resolution"].due_at == at(2025, 12, 29, 10)


def test_loading_holidays_from_the_admin_re_targets_the_open_clocks(admin_client, office, requester, service):
    make_policy(office, name="Office hours")
    christmas_eve = at(2025, 12, 24, 10)
    with time_machine.travel(christmas_eve, tick=False):
        record = services.incident_create(actor=requester, title="Printer", service=service)

    with time_machine.travel(christmas_eve + HOURS, tick=False):
        response = admin_client.post(
            f"{CALENDARS}{office.pk}/holidays/", {"country": "GB", "first_year": "2025", "last_year": "2025"}
        )

    assert response.status_code == 302
    assert clocks_of(record)["resolution"].due_at == at(2025, 12, 29, 10)
