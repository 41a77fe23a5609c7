"""Business-time arithmetic on the days the clocks change, against the local clock read minute by minute.

A working interval's opening or closing time is the first instant at which the local clock reads it or later:
its first occurrence when it exists, the jump itself when the clock skips it (a spring-forward gap).
"""

from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from servicedesk.sla.calendar import Schedule, add, between, is_working, next_working

from .test_sla_calendar import FIXED_ZONES, MICRO, ZONES, day_intervals, transition_days

DST_ZONES = [zone for zone in ZONES if zone not in FIXED_ZONES]
MINUTE = timedelta(minutes=1)


def wall(zone, instant):
    """What the local clock reads at a naive UTC instant (naive)."""
    return instant.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def first_reading(zone, local):
    """The first instant (naive UTC) at which the local clock reads `local` or later, minute by minute.

    No instant before `local` minus its larger offset reads `local` (it is the earlier occurrence when
    the time is repeated, and before the jump when it is skipped), so the walk starts there.
    """
    instant = local - max(zone.utcoffset(local), zone.utcoffset(local.replace(fold=1)))
    while wall(zone, instant) < local:
        instant += MINUTE
    return instant


@cache
def jump_on(zone_name, day):
    """(instant, wall time before, wall time after) of the offset change on local date `day`."""
    zone = ZoneInfo(zone_name)
    instant = first_reading(zone, datetime.combine(day, time())) - MINUTE  # a jump at midnight too
    for _minute in range(2 * 1440):
        if wall(zone, instant + MINUTE) - wall(zone, instant) != MINUTE:
            return instant + MINUTE, wall(zone, instant) + MINUTE, wall(zone, instant + MINUTE)
        instant += MINUTE
    raise AssertionError(f"No offset change in {zone_name} on {day}.")


def reference_minutes(schedule, low, high):
    """Working minutes in [low, high) (naive UTC, whole minutes), one minute at a time: a minute works
    when it lies between the first readings of an interval's opening and closing times."""
    zone = ZoneInfo(schedule.time_zone)
    first, last = wall(zone, low).date() - timedelta(days=1), wall(zone, high).date() + timedelta(days=1)
    spans = []
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        midnight = datetime.combine(day, time())
        for start, end in schedule.intervals_on(day):
            spans.append(
                (
                    first_reading(zone, midnight + timedelta(minutes=start)),
                    first_reading(zone, midnight + timedelta(minutes=end)),
                )
            )
    count, instant = 0, low
    while instant < high:
        count += any(start <= instant < end for start, end in spans)
        instant += MINUTE
    return count


def minute_of(local, day):
    return int((local - datetime.combine(day, time())).total_seconds() // 60)


@st.composite
def dst_days(draw):
    """(schedule, local date of an offset change): intervals on that date often open or close near, or
    inside, the change (a spring gap or an autumn overlap)."""
    zone = draw(st.sampled_from(DST_ZONES))
    day = draw(st.sampled_from(transition_days(zone)))
    _instant, before, after = jump_on(zone, day)
    changes = [m for m in (minute_of(before, day), minute_of(after, day)) if 0 <= m <= 1440]
    near = st.one_of(*(st.integers(max(0, m - 90), min(1440, m + 90)) for m in changes), st.integers(0, 1440))
    bounds = sorted(draw(st.lists(near, unique=True, min_size=2, max_size=6)))
    spans = tuple(zip(bounds[::2], bounds[1::2], strict=False))
    weekly = [draw(day_intervals()) for _ in range(7)]
    weekly[day.weekday()] = spans
    return Schedule(zone, tuple(weekly)), day


@settings(max_examples=150, deadline=None)
@given(dst_days())
def test_a_dst_day_agrees_with_the_local_clock_read_minute_by_minute(case):
    schedule, day = case
    zone = ZoneInfo(schedule.time_zone)
    low = first_reading(zone, datetime.combine(day - timedelta(days=1), time()))
    high = first_reading(zone, datetime.combine(day + timedelta(days=2), time()))
    minutes = reference_minutes(schedule, low, high)
    assert between(schedule, low.replace(tzinfo=UTC), high.replace(tzinfo=UTC)) == 60 * minutes
    if minutes:
        assert add(schedule, low.replace(tzinfo=UTC), 60 * minutes) <= high.replace(tzinfo=UTC)


def gap_days(zone_name):
    return [
        day for day in transition_days(zone_name) if jump_on(zone_name, day)[2] > jump_on(zone_name, day)[1]
    ]


@settings(max_examples=100, deadline=None)
@given(st.data(), st.sampled_from(DST_ZONES))
def test_an_opening_or_closing_time_inside_a_spring_gap_is_the_jump(data, zone_name):
    day = data.draw(st.sampled_from(gap_days(zone_name)))
    jump, skipped_from, skipped_to = jump_on(zone_name, day)
    # The local times the clock skips, as minutes of a date (the gap's date, which may be the next one).
    gap_day = skipped_from.date()
    first_skipped = minute_of(skipped_from, gap_day)
    inside = data.draw(st.integers(first_skipped, minute_of(skipped_to, gap_day) - 1))

    def on_gap_day(*spans):
        return Schedule(zone_name, tuple(spans if n == gap_day.weekday() else () for n in range(7)))

    midnight = datetime.combine(gap_day, time(), tzinfo=ZoneInfo(zone_name))
    jump = jump.replace(tzinfo=UTC)
    opening = on_gap_day((inside, 1440))
    assert next_working(opening, midnight) == jump
    assert not is_working(opening, jump - MICRO)
    assert is_working(opening, jump)
    if first_skipped > 0:  # the clock shows times before the gap on that date: an interval may close in it
        closing = on_gap_day((0, inside))
        assert is_working(closing, jump - MICRO)
        assert not is_working(closing, jump)
        assert add(closing, midnight, between(closing, midnight, jump)) == jump
