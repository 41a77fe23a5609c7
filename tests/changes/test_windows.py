"""Maintenance windows' occurrences in their own time zone (across daylight saving, past midnight) and
the freezes over a span."""

from datetime import UTC, datetime, time, timedelta

import pytest

from changes.models import BlackoutWindow, MaintenanceWindow
from changes.windows import blackouts_for, blackouts_in, inside_maintenance, occurrences

LONDON = "Europe/London"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def window(**fields) -> MaintenanceWindow:
    """An unsaved window (occurrences need no database): Sundays 02:00 for 3 hours, London, by default."""
    values = {"name": "Sunday night", "weekdays": [6], "start_time": time(2, 0), "duration_minutes": 180,
              "time_zone": LONDON, "is_active": True, **fields}  # fmt: skip
    return MaintenanceWindow(**values)


def test_a_weekly_window_recurs_on_its_weekdays():
    found = occurrences(window(weekdays=[0, 2]), utc(2026, 1, 5), utc(2026, 1, 12))  # Monday to Monday
    assert [(o.start, o.end) for o in found] == [
        (utc(2026, 1, 5, 2), utc(2026, 1, 5, 5)),
        (utc(2026, 1, 7, 2), utc(2026, 1, 7, 5)),
    ]


def test_02_00_local_stays_02_00_local_across_the_spring_change():
    # The clocks go forward on the last Sunday of March (29 March 2026, 01:00 GMT).
    before = occurrences(window(weekdays=[5]), utc(2026, 3, 28), utc(2026, 3, 29))  # Saturday, GMT
    after = occurrences(window(weekdays=[0]), utc(2026, 3, 30), utc(2026, 3, 31))  # Monday, BST
    assert before[0].start == utc(2026, 3, 28, 2)
    assert after[0].start == utc(2026, 3, 30, 1)  # 02:00 BST
    assert after[0].end - after[0].start == timedelta(hours=3)


def test_02_00_local_stays_02_00_local_across_the_autumn_change():
    # The clocks go back on the last Sunday of October (25 October 2026, 01:00 UTC).
    found = occurrences(window(weekdays=[5, 0]), utc(2026, 10, 24), utc(2026, 10, 27))
    assert [o.start for o in found] == [utc(2026, 10, 24, 1), utc(2026, 10, 26, 2)]


def test_on_the_night_of_the_change_a_skipped_start_reads_as_before_it_and_lasts_its_duration():
    # Sunday 29 March 2026: London skips 01:00-02:00. 02:00 is BST already (01:00 UTC); 01:30 does not
    # exist and reads with the offset before the change (01:30 GMT), lasting 3 elapsed hours.
    (at_two,) = occurrences(window(), utc(2026, 3, 29), utc(2026, 3, 30))
    assert (at_two.start, at_two.end) == (utc(2026, 3, 29, 1), utc(2026, 3, 29, 4))
    (skipped,) = occurrences(window(start_time=time(1, 30)), utc(2026, 3, 29), utc(2026, 3, 30))
    assert (skipped.start, skipped.end) == (utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 4, 30))


def test_a_window_may_run_past_midnight():
    late = window(weekdays=[5], start_time=time(23, 0), duration_minutes=240, time_zone="UTC")  # Sat 23:00
    assert inside_maintenance([late], utc(2026, 1, 11, 0, 30), utc(2026, 1, 11, 2, 30))  # Sunday early
    assert not inside_maintenance([late], utc(2026, 1, 11, 2, 30), utc(2026, 1, 11, 3, 30))


def test_inside_maintenance_needs_the_whole_change_inside_one_occurrence():
    windows = [window(time_zone="UTC")]
    sunday = utc(2026, 1, 11)
    assert inside_maintenance(windows, sunday + timedelta(hours=2), sunday + timedelta(hours=5))
    assert not inside_maintenance(windows, sunday + timedelta(hours=1), sunday + timedelta(hours=3))
    assert not inside_maintenance(windows, sunday + timedelta(hours=4), sunday + timedelta(hours=6))
    assert not inside_maintenance(
        windows, sunday + timedelta(days=1, hours=2), sunday + timedelta(days=1, hours=3)
    )


def test_inside_maintenance_across_dst_in_the_services_zone():
    # 02:00-05:00 London on the Sunday after the spring change is 01:00-04:00 UTC.
    windows = [window()]
    sunday = utc(2026, 4, 5)
    assert inside_maintenance(windows, sunday + timedelta(hours=1), sunday + timedelta(hours=4))
    assert not inside_maintenance(windows, sunday + timedelta(hours=2), sunday + timedelta(hours=5))
    # In winter the same local window is 02:00-05:00 UTC.
    assert inside_maintenance(windows, utc(2026, 11, 1, 2), utc(2026, 11, 1, 5))
    assert not inside_maintenance(windows, utc(2026, 11, 1, 1), utc(2026, 11, 1, 4))


def test_a_service_without_windows_takes_changes_any_time():
    assert inside_maintenance([], utc(2026, 1, 1), utc(2026, 1, 2))
    assert inside_maintenance([window(is_active=False)], utc(2026, 1, 1), utc(2026, 1, 2))


def test_one_of_several_windows_is_enough():
    windows = [window(time_zone="UTC"), window(weekdays=[2], start_time=time(20, 0), time_zone="UTC")]
    assert inside_maintenance(windows, utc(2026, 1, 7, 20), utc(2026, 1, 7, 21))  # Wednesday evening


@pytest.mark.django_db
def test_freezes_apply_globally_or_to_their_services(service):
    start = utc(2026, 12, 20)
    BlackoutWindow.objects.create(name="Year end", starts_at=start, ends_at=start + timedelta(days=14))
    payroll = BlackoutWindow.objects.create(
        name="Payroll run", starts_at=start, ends_at=start + timedelta(days=1)
    )
    payroll.services.set([service])
    BlackoutWindow.objects.create(
        name="Off", starts_at=start, ends_at=start + timedelta(days=1), is_active=False
    )
    BlackoutWindow.objects.create(name="Later", starts_at=utc(2027, 2, 1), ends_at=utc(2027, 2, 2))

    span = (start + timedelta(hours=1), start + timedelta(hours=2))
    assert [w.name for w in blackouts_for(*span, set())] == ["Year end"]
    assert [w.name for w in blackouts_for(*span, {service.pk})] == ["Year end", "Payroll run"]
    assert [
        w.name for w in blackouts_for(start + timedelta(days=2), start + timedelta(days=3), {service.pk})
    ] == ["Year end"]
    assert [w.name for w in blackouts_in(*span, services=[service.pk])] == ["Year end", "Payroll run"]
    assert [w.name for w in blackouts_in(*span)] == ["Year end", "Payroll run"]
    # A freeze ending when the change starts does not hold it.
    assert blackouts_for(start + timedelta(days=14), start + timedelta(days=15), set()) == []
