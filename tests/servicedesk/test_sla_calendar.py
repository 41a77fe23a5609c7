"""Business-time arithmetic (`servicedesk.sla.calendar`): worked examples and Hypothesis properties.

Pure Python: no database, no Django settings needed by the module under test.
"""

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicedesk.sla.calendar import (
    Schedule,
    add,
    between,
    is_working,
    next_working,
    validate_intervals,
    weekly_seconds,
)

HOUR = 3600
MICRO = timedelta(microseconds=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
NINE_TO_SIX = ((540, 1080),)
WORKWEEK = (NINE_TO_SIX,) * 5 + ((), ())
LUNCH = ((540, 720), (780, 1080))  # 09:00-12:00, 13:00-18:00
SPLIT_DAY = ((0, 720), (720, 1440))  # 24 hours, but not the wall-clock fast path


def local(zone, *args):
    return datetime(*args, tzinfo=zone)


def office(zone="Asia/Shanghai", days=WORKWEEK, **exceptions):
    return Schedule(time_zone=zone, weekly=days, **exceptions)


# Worked examples.


def test_friday_afternoon_plus_two_hours_is_monday_morning():
    friday = local(SHANGHAI, 2026, 11, 20, 17)
    due = add(office(), friday, 2 * HOUR)
    assert due == local(SHANGHAI, 2026, 11, 23, 10)
    assert due.tzinfo is UTC
    assert between(office(), friday, due) == 2 * HOUR


def test_a_budget_that_ends_with_an_interval_returns_that_end_not_the_next_opening():
    friday = local(SHANGHAI, 2026, 11, 20, 17)
    assert add(office(), friday, HOUR) == local(SHANGHAI, 2026, 11, 20, 18)
    assert not is_working(office(), local(SHANGHAI, 2026, 11, 20, 18))


def test_lunch_break_is_not_working_time():
    schedule = office(days=(LUNCH,) * 5 + ((), ()))
    monday = local(SHANGHAI, 2026, 11, 23, 11)
    assert add(schedule, monday, 2 * HOUR) == local(SHANGHAI, 2026, 11, 23, 14)
    assert add(schedule, monday, HOUR) == local(SHANGHAI, 2026, 11, 23, 12)
    assert between(schedule, local(SHANGHAI, 2026, 11, 23), local(SHANGHAI, 2026, 11, 24)) == 8 * HOUR
    assert not is_working(schedule, local(SHANGHAI, 2026, 11, 23, 12, 30))
    assert next_working(schedule, local(SHANGHAI, 2026, 11, 23, 12, 30)) == local(SHANGHAI, 2026, 11, 23, 13)


def test_two_shifts_and_a_night_shift_across_midnight():
    shifts = office(days=(((360, 840), (840, 1320)),) * 5 + ((), ()))  # 06:00-14:00, 14:00-22:00
    assert add(shifts, local(SHANGHAI, 2026, 11, 23, 13), 2 * HOUR) == local(SHANGHAI, 2026, 11, 23, 15)
    assert add(shifts, local(SHANGHAI, 2026, 11, 23, 21), 2 * HOUR) == local(SHANGHAI, 2026, 11, 24, 7)
    assert between(shifts, local(SHANGHAI, 2026, 11, 23), local(SHANGHAI, 2026, 11, 24)) == 16 * HOUR
    nights = office(days=(((0, 360), (1320, 1440)),) * 7)  # 22:00-06:00 every night
    assert add(nights, local(SHANGHAI, 2026, 11, 23, 23), 2 * HOUR) == local(SHANGHAI, 2026, 11, 24, 1)
    assert add(nights, local(SHANGHAI, 2026, 11, 23, 12), 2 * HOUR) == local(SHANGHAI, 2026, 11, 24)


def test_a_holiday_is_skipped():
    schedule = office(closed=frozenset({date(2026, 11, 23)}))
    friday = local(SHANGHAI, 2026, 11, 20, 17)
    assert add(schedule, friday, 2 * HOUR) == local(SHANGHAI, 2026, 11, 24, 10)
    assert between(schedule, local(SHANGHAI, 2026, 11, 23), local(SHANGHAI, 2026, 11, 24)) == 0


def test_a_working_saturday_counts_and_wins_over_a_holiday_on_the_same_date():
    saturday = date(2026, 11, 21)
    schedule = office(opened={saturday: NINE_TO_SIX}, closed=frozenset({saturday}))
    assert add(schedule, local(SHANGHAI, 2026, 11, 20, 17), 2 * HOUR) == local(SHANGHAI, 2026, 11, 21, 10)
    assert between(schedule, local(SHANGHAI, 2026, 11, 21), local(SHANGHAI, 2026, 11, 22)) == 9 * HOUR


def test_year_end_over_the_new_year_holiday():
    schedule = office(closed=frozenset({date(2022, 1, 1), date(2022, 1, 2), date(2022, 1, 3)}))
    new_year_eve = local(SHANGHAI, 2021, 12, 31, 17, 30)  # a Friday
    assert add(schedule, new_year_eve, HOUR) == local(SHANGHAI, 2022, 1, 4, 9, 30)


def test_a_weekend_has_no_business_time():
    assert between(office(), local(SHANGHAI, 2026, 11, 21), local(SHANGHAI, 2026, 11, 23)) == 0
    assert between(office(), local(SHANGHAI, 2026, 11, 20, 18), local(SHANGHAI, 2026, 11, 23, 9)) == 0
    assert between(office(), local(SHANGHAI, 2026, 11, 23), local(SHANGHAI, 2026, 11, 21)) == 0


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        (LONDON, date(2026, 3, 29), 23),
        (LONDON, date(2026, 10, 25), 25),
        (NEW_YORK, date(2026, 3, 8), 23),
        (NEW_YORK, date(2026, 11, 1), 25),
    ],
)
def test_twenty_four_seven_across_dst_is_wall_clock_time(zone, day, hours):
    start = datetime.combine(day - timedelta(days=1), time(12), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(12), tzinfo=zone)
    elapsed = int((end.astimezone(UTC) - start.astimezone(UTC)).total_seconds())  # not wall-clock
    assert elapsed == (24 + hours) * HOUR
    for schedule in (Schedule.twenty_four_seven(zone.key), Schedule(zone.key, (SPLIT_DAY,) * 7)):
        assert between(schedule, start, end) == elapsed
        assert add(schedule, start, elapsed) == end
        midnight = datetime.combine(day, time(), tzinfo=zone)
        assert between(schedule, midnight, midnight + timedelta(days=1)) == hours * HOUR


@pytest.mark.parametrize("zone", [LONDON, NEW_YORK])
@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25), date(2026, 3, 8), date(2026, 11, 1)])
def test_nine_to_six_on_a_dst_day_is_still_nine_hours(zone, day):
    schedule = Schedule(zone.key, (NINE_TO_SIX,) * 7)
    midnight = datetime.combine(day, time(), tzinfo=zone)
    assert (
        between(schedule, midnight, datetime.combine(day + timedelta(days=1), time(), tzinfo=zone))
        == 9 * 3600
    )
    assert add(schedule, midnight, 9 * HOUR) == datetime.combine(day, time(18), tzinfo=zone)


def test_an_opening_inside_the_spring_gap_opens_when_the_clock_jumps():
    sundays = Schedule("America/New_York", ((),) * 6 + (((150, 300),),))  # Sundays 02:30-05:00
    start = datetime(2026, 3, 8, 5, tzinfo=UTC)  # 00:00 EST; at 02:00 EST (07:00Z) the clock reads 03:00 EDT

    assert next_working(sundays, start) == datetime(2026, 3, 8, 7, tzinfo=UTC)
    assert add(sundays, start, HOUR) == datetime(2026, 3, 8, 8, tzinfo=UTC)
    assert between(sundays, start, start + timedelta(days=1)) == 2 * HOUR  # 03:00 to 05:00 EDT


def test_boundaries_inside_a_dst_gap_are_the_jump_and_a_repeated_hour_counts_twice():
    sunday_only = lambda *spans: Schedule("America/New_York", ((),) * 6 + (spans,))  # noqa: E731
    spring = datetime(2026, 3, 8, tzinfo=NEW_YORK)  # 02:00 EST jumps to 03:00 EDT
    jump = datetime(2026, 3, 8, 7, tzinfo=UTC)
    after = spring + timedelta(days=1)
    assert between(sunday_only((120, 240)), spring, after) == HOUR  # 02:00 is the jump: 03:00 EDT
    assert between(sunday_only((60, 150)), spring, after) == HOUR  # 01:00 EST to the jump
    assert add(sunday_only((60, 150)), spring, HOUR) == jump
    assert not is_working(sunday_only((60, 150)), jump)
    assert is_working(sunday_only((60, 150)), jump - MICRO)
    assert between(sunday_only((150, 180)), spring, after) == 0  # 02:30-03:00 never shows on the clock
    assert between(sunday_only((130, 170)), spring, after) == 0
    assert between(sunday_only((120, 150), (150, 180), (180, 240)), spring, after) == HOUR
    assert next_working(sunday_only((130, 170), (170, 200)), spring) == jump
    autumn = datetime(2026, 11, 1, tzinfo=NEW_YORK)  # 02:00 EDT falls back to 01:00 EST
    after = autumn + timedelta(days=1)
    assert between(sunday_only((60, 120)), autumn, after) == 2 * HOUR  # 01:00 EDT to 02:00 EST
    assert between(sunday_only((0, 90)), autumn, after) == 90 * 60  # to the first 01:30
    assert add(sunday_only((60, 120)), autumn, HOUR + 1800) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)


def test_an_opening_inside_a_gap_at_half_past_or_across_a_whole_day_is_the_jump():
    # Lord Howe moves from +10:30 to +11 at 02:00; Samoa skipped 30 December 2011 (-10 to +14).
    lord_howe = Schedule("Australia/Lord_Howe", (((135, 180),),) * 7)  # 02:15-03:00
    day = datetime(2026, 10, 4, tzinfo=ZoneInfo("Australia/Lord_Howe"))
    assert next_working(lord_howe, day) == datetime(2026, 10, 3, 15, 30, tzinfo=UTC)  # 02:00 LHST
    assert between(lord_howe, day, day + timedelta(days=1)) == 30 * 60  # 02:30 to 03:00 +11
    samoa = Schedule("Pacific/Apia", (((540, 1080),),) * 7)
    thursday = datetime(2011, 12, 29, 18, tzinfo=ZoneInfo("Pacific/Apia"))
    assert add(samoa, thursday, HOUR) == datetime(2011, 12, 31, 10, tzinfo=ZoneInfo("Pacific/Apia"))


def test_zero_seconds_returns_the_start_even_in_closed_time():
    saturday = local(SHANGHAI, 2026, 11, 21, 3)
    assert add(office(), saturday, 0) == saturday
    assert add(office(), saturday, 0).tzinfo is UTC
    assert add(office(), saturday, 1) == local(SHANGHAI, 2026, 11, 23, 9, 0, 1)


def test_float_seconds_keep_microseconds_and_whole_seconds_stay_ints():
    start = local(SHANGHAI, 2026, 11, 23, 17, 59, 59)
    due = add(office(), start, 1.5)
    assert due == local(SHANGHAI, 2026, 11, 24, 9, 0, 0, 500000)
    assert between(office(), start, due) == 1.5
    assert isinstance(between(office(), start, local(SHANGHAI, 2026, 11, 25)), int)


def test_three_years_of_a_one_hour_week_is_computed_by_weeks_not_minutes():
    schedule = Schedule("Europe/London", (((600, 660),),) + ((),) * 6)
    assert weekly_seconds(schedule) == HOUR
    start = datetime(2026, 1, 1, tzinfo=UTC)
    due = add(schedule, start, 3 * 52 * HOUR)
    assert due == datetime(2028, 12, 25, 11, tzinfo=UTC)  # Monday 11:00 GMT, the 156th Monday
    assert between(schedule, start, due) == 3 * 52 * HOUR


def test_a_schedule_without_working_time():
    never = Schedule("UTC", ((),) * 7)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert weekly_seconds(never) == 0
    assert add(never, start, 0) == start
    assert between(never, start, start + timedelta(days=3000)) == 0
    assert not is_working(never, start)
    with pytest.raises(ValueError, match="no working time"):
        add(never, start, 1)
    with pytest.raises(ValueError, match="no working time"):
        next_working(never, start)
    mondays_closed = Schedule(
        "UTC",
        (NINE_TO_SIX,) + ((),) * 6,
        closed=frozenset(date(2026, 1, 5) + timedelta(weeks=n) for n in range(200)),
    )
    with pytest.raises(ValueError, match="no working time"):
        add(mondays_closed, start, 1)


def test_only_opened_days_are_jumped_to():
    schedule = Schedule("Asia/Shanghai", ((),) * 7, opened={date(2027, 6, 1): NINE_TO_SIX})
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert add(schedule, start, HOUR) == local(SHANGHAI, 2027, 6, 1, 10)
    assert next_working(schedule, start) == local(SHANGHAI, 2027, 6, 1, 9)
    assert between(schedule, start, datetime(2028, 1, 1, tzinfo=UTC)) == 9 * HOUR
    with pytest.raises(ValueError, match="no working time"):
        add(schedule, start, 9 * HOUR + 1)


def test_naive_datetimes_and_bad_durations_are_refused():
    naive, aware = datetime(2026, 1, 1), datetime(2026, 1, 1, tzinfo=UTC)
    for call in (
        lambda: add(office(), naive, 1),
        lambda: between(office(), naive, aware),
        lambda: between(office(), aware, naive),
        lambda: is_working(office(), naive),
        lambda: next_working(office(), naive),
        lambda: add(office(), aware, -1),
        lambda: add(office(), aware, float("nan")),
        lambda: add(office(), aware, float("inf")),
    ):
        with pytest.raises(ValueError):  # noqa: PT011
            call()


def test_validate_intervals():
    assert validate_intervals([[780, 1080], (540, 720)]) == ((540, 720), (780, 1080))
    assert validate_intervals([(0, 720), (720, 1440)]) == SPLIT_DAY  # touching is fine
    assert validate_intervals([]) == ()
    with pytest.raises(ValueError, match="09:00-12:00 and 11:00-13:00 overlap"):
        validate_intervals([(540, 720), (660, 780)])
    for bad in [(600, 540), (600, 600), (-1, 60), (0, 1441), (0.5, 60), (True, 60), (1, 2, 3), 5]:
        with pytest.raises(ValueError):  # noqa: PT011
            validate_intervals([bad])


def test_a_schedule_is_validated_frozen_and_hashable():
    schedule = Schedule(
        "Asia/Shanghai", [list(LUNCH)] * 5 + [[], []], opened={date(2026, 1, 3): [(540, 600)]}
    )
    assert schedule.weekly[0] == LUNCH
    assert isinstance(schedule.opened, MappingProxyType)
    assert schedule == Schedule(
        "Asia/Shanghai", (LUNCH,) * 5 + ((), ()), opened={date(2026, 1, 3): ((540, 600),)}
    )
    assert hash(schedule) == hash(Schedule("Asia/Shanghai", (LUNCH,) * 5 + ((), ())))
    assert weekly_seconds(schedule) == 5 * 8 * HOUR
    assert Schedule.twenty_four_seven().is_wall_clock
    assert not Schedule("UTC", (SPLIT_DAY,) * 7).is_wall_clock
    with pytest.raises(ValueError, match="time zone"):
        Schedule("Mars/Olympus_Mons", WORKWEEK)
    with pytest.raises(ValueError, match="seven weekdays"):
        Schedule("UTC", WORKWEEK[:5])
    with pytest.raises(ValueError, match="dates"):
        Schedule("UTC", WORKWEEK, closed=frozenset({datetime(2026, 1, 1)}))
    with pytest.raises(ValueError, match="overlap"):
        Schedule("UTC", WORKWEEK, opened={date(2026, 1, 3): [(540, 600), (570, 660)]})


def test_the_module_imports_without_django():
    root = Path(__file__).resolve().parents[2]
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    code = "import sys, servicedesk.sla.calendar; assert 'django' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=root, env=env, check=True)


# Properties.

ZONES = [
    "UTC",
    "Europe/London",
    "America/New_York",
    "Asia/Shanghai",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",  # 30-minute DST
    "America/Havana",  # DST changes at midnight
    "America/Santiago",  # DST changes at midnight, southern hemisphere
    "Pacific/Chatham",
]
FIXED_ZONES = ["UTC", "Asia/Shanghai", "Asia/Kathmandu"]
FIRST, LAST = datetime(2020, 1, 1), datetime(2030, 12, 31)


@cache
def transition_days(zone_name):
    """The local dates in 2020-2030 on which `zone_name` changes its UTC offset."""
    zone, day, days = ZoneInfo(zone_name), FIRST.date(), []
    while day <= LAST.date():
        midnight = datetime.combine(day, time())
        if zone.utcoffset(midnight) != zone.utcoffset(midnight + timedelta(days=1)):
            days.append(day)
        day += timedelta(days=1)
    return days


def moments(zone_name):
    """Aware instants from 2020 to 2030, often within two days of a DST change in `zone_name`."""
    anywhere = st.datetimes(min_value=FIRST, max_value=LAST, timezones=st.just(UTC))
    days = transition_days(zone_name)
    if not days:
        return anywhere
    near_dst = st.builds(
        lambda day, offset: datetime.combine(day, time(), tzinfo=ZoneInfo(zone_name)) + offset,
        st.sampled_from(days),
        st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=2)),
    )
    return st.one_of(anywhere, near_dst, near_dst.map(lambda moment: moment.replace(microsecond=0)))


# Interval boundaries, often in the small hours where DST changes happen (00:00-04:00, or around midnight),
# and inside the spring gaps of ZONES: 00:30 (Havana, Santiago), 01:30 (London), 02:15 (Lord Howe), 02:30
# (New York), 03:00 (Chatham).
MINUTES = st.one_of(
    st.integers(0, 1440),
    st.integers(0, 240),
    st.sampled_from([0, 30, 60, 90, 120, 135, 150, 180, 1440]),
)


@st.composite
def day_intervals(draw):
    bounds = sorted(draw(st.lists(MINUTES, unique=True, max_size=6)))
    return tuple(zip(bounds[::2], bounds[1::2], strict=False))


@st.composite
def schedules_and_starts(draw, zones=ZONES, kinds=("24x7", "split", "office", "random")):
    """(schedule, start): exceptions are drawn near the start so they matter."""
    kind = draw(st.sampled_from(kinds))
    if kind == "office":
        zone = draw(st.sampled_from(["Europe/London", "America/New_York", "Asia/Shanghai"]))
    else:
        zone = draw(st.sampled_from(zones))
    start = draw(moments(zone))
    first = start.astimezone(ZoneInfo(zone)).date()
    near = st.builds(lambda n: first + timedelta(days=n), st.integers(-3, 120))
    if kind == "24x7":
        return Schedule.twenty_four_seven(zone), start
    if kind == "split":
        return Schedule(zone, (SPLIT_DAY,) * 7), start
    closed = frozenset(draw(st.lists(near, max_size=15)))
    if kind == "office":
        days = (draw(st.sampled_from([NINE_TO_SIX, LUNCH])),) * 5 + ((), ())
        saturday = first + timedelta(days=(5 - first.weekday()) % 7 + 7 * draw(st.integers(0, 8)))
        opened = draw(st.sampled_from([{}, {saturday: ((540, 780),)}]))
    else:
        days = draw(st.lists(day_intervals(), min_size=7, max_size=7).filter(any))
        opened = draw(st.dictionaries(near, day_intervals(), max_size=3))
    return Schedule(zone, tuple(days), closed=closed, opened=opened), start


def durations(schedule, weeks=12):
    """Seconds from 0 to about 60 business days (12 working weeks) of `schedule`."""
    return st.one_of(st.integers(0, 4 * HOUR), st.integers(0, weeks * weekly_seconds(schedule)))


@settings(max_examples=200, deadline=None)
@given(st.data(), schedules_and_starts())
def test_between_undoes_add(data, case):
    schedule, start = case
    seconds = data.draw(durations(schedule))
    assert between(schedule, start, add(schedule, start, seconds)) == seconds


@settings(max_examples=200, deadline=None)
@given(st.data(), schedules_and_starts())
def test_between_undoes_add_to_the_microsecond(data, case):
    schedule, start = case
    seconds = data.draw(st.integers(0, 10 * 10**6 * HOUR)) / 10**6
    assert between(schedule, start, add(schedule, start, seconds)) == seconds


@settings(max_examples=200, deadline=None)
@given(st.data(), schedules_and_starts())
def test_adding_in_two_steps_is_adding_once(data, case):
    # Holds for every a, b >= 0 (whole microseconds), wherever start and the first result land:
    # a first result at an interval's end continues from there, and add(t, 0) is t.
    schedule, start = case
    first, second = data.draw(durations(schedule, weeks=6)), data.draw(durations(schedule, weeks=6))
    assert add(schedule, add(schedule, start, first), second) == add(schedule, start, first + second)


@settings(max_examples=200, deadline=None)
@given(st.data(), schedules_and_starts())
def test_a_result_never_lies_in_closed_time(data, case):
    schedule, start = case
    seconds = data.draw(durations(schedule).filter(bool))
    due = add(schedule, start, seconds)
    assert due > start
    assert is_working(schedule, due - MICRO)  # it may be an interval's end, never later
    opening = next_working(schedule, start)
    assert opening >= start
    assert is_working(schedule, opening)
    assert between(schedule, start, opening) == 0
    after = start.astimezone(UTC) + MICRO  # aware arithmetic in UTC: a zone's would be wall-clock
    assert (between(schedule, start, after) == 1e-6) is is_working(schedule, start)


@settings(max_examples=200, deadline=None)
@given(st.data(), schedules_and_starts())
def test_add_is_strictly_increasing_in_the_duration(data, case):
    schedule, start = case
    shorter, longer = sorted(data.draw(st.lists(durations(schedule), min_size=2, max_size=2, unique=True)))
    assert add(schedule, start, shorter) < add(schedule, start, longer)


@settings(max_examples=200, deadline=None)
@given(
    schedules_and_starts(), st.lists(st.timedeltas(timedelta(0), timedelta(days=40)), min_size=2, max_size=2)
)
def test_between_is_additive(case, gaps):
    schedule, a = case
    b = a.astimezone(UTC) + gaps[0]
    c = b + gaps[1]
    assert between(schedule, a, b) + between(schedule, b, c) == pytest.approx(
        between(schedule, a, c), abs=1e-9
    )
    assert between(schedule, c, a) == 0


@settings(max_examples=200, deadline=None)
@given(st.data(), schedules_and_starts(kinds=("24x7", "split")))
def test_twenty_four_seven_is_wall_clock_time(data, case):
    schedule, start = case
    start = start.astimezone(UTC)
    seconds = data.draw(st.integers(0, 60 * 86400))
    assert add(schedule, start, seconds) == start + timedelta(seconds=seconds)
    elapsed = data.draw(st.timedeltas(timedelta(0), timedelta(days=60)))
    assert between(schedule, start, start + elapsed) == pytest.approx(elapsed.total_seconds(), abs=1e-9)


def reference_between(schedule, a, b):
    """Business seconds in [a, b) for a fixed-offset zone, the obvious way: local day by local day."""
    zone = ZoneInfo(schedule.time_zone)
    low, high = a.astimezone(zone).replace(tzinfo=None), b.astimezone(zone).replace(tzinfo=None)
    total, day = timedelta(0), low.date()
    while day <= high.date():
        for start, end in schedule.intervals_on(day):
            midnight = datetime.combine(day, time())
            overlap = min(high, midnight + timedelta(minutes=end)) - max(
                low, midnight + timedelta(minutes=start)
            )
            total += max(overlap, timedelta(0))
        day += timedelta(days=1)
    return total


@settings(max_examples=200, deadline=None)
@given(
    schedules_and_starts(zones=FIXED_ZONES, kinds=("random",)),
    st.timedeltas(timedelta(0), timedelta(days=60)),
)
def test_between_agrees_with_a_day_by_day_count_without_dst(case, elapsed):
    schedule, start = case
    start = start.astimezone(UTC)
    expected = reference_between(schedule, start, start + elapsed)
    assert between(schedule, start, start + elapsed) == pytest.approx(expected.total_seconds(), abs=1e-9)
