"""Business-time arithmetic for the SLA engine: pure Python (zoneinfo, datetime), no Django, no database.

A `Schedule` says when a desk works, in its own IANA time zone: weekly intervals of local minutes
(Monday = 0), holidays (`closed` local dates) and one-off working days (`opened`, which wins over
`closed`). `add`, `between`, `is_working` and `next_working` take aware datetimes (naive ones are
refused) and return aware UTC datetimes; inside, everything is naive UTC.

How a local day becomes UTC time (the DST rule)
    Each boundary of a day's intervals is a local wall time, mapped to the first instant at which the
    local clock reads that time or later. A boundary that exists is its first occurrence (``fold=0``,
    PEP 495): inside a fall-back overlap that is the earlier one, and a repeated hour inside an interval
    counts twice (00:00-24:00 on that day is 25 hours). A boundary inside a spring-forward gap never
    shows on the clock: it is the moment of the jump (New York 02:30 on a jump day is 03:00 EDT, when
    the clock jumps from 02:00 to 03:00), so a desk opening at 02:30 opens as the clock reaches 03:00
    and one closing at 02:30 closes then; an interval wholly inside the gap is empty. Minute 1440 is the
    next local midnight. The mapping keeps a day's boundaries in order and inside its own window [this
    local midnight, the next one) (`_day` still raises a start to the previous end and lowers an end to
    the next midnight, as a guard, and drops empty intervals). Days therefore never overlap in UTC, and
    every function sees exactly the same working time, so ``between(s, t, add(s, t, d)) == d`` holds on
    DST days too.

Speed (the week skip)
    Nothing steps minute by minute: the loops walk local days and their few intervals. A whole week is
    skipped at once when the budget (``add``) or the range (``between``) covers it, none of its seven
    dates is in `closed` or `opened`, and the UTC offset is the same at all eight local midnights from its
    start to its end: such a week holds exactly `weekly_seconds`. A 24x7 schedule without exceptions is
    plain wall-clock time. Durations are kept as `timedelta` (integer microseconds), never as floats added
    up across days: whole seconds stay exact, a float is rounded once to the microsecond.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from itertools import chain, pairwise
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_MINUTES = 1440
ONE_DAY = timedelta(days=1)
WEEK = timedelta(days=7)
MICROSECOND = timedelta(microseconds=1)
SECOND = timedelta(seconds=1)
IDLE_DAYS = 800  # about two years of local days without working time: the schedule has none, give up

Intervals = tuple[tuple[int, int], ...]
Span = tuple[datetime, datetime]  # naive UTC, start < end


def _hhmm(minute: int) -> str:
    return "{:02d}:{:02d}".format(*divmod(minute, 60))


def validate_intervals(intervals: Iterable[Iterable[int]]) -> Intervals:
    """`intervals` as a sorted tuple of (start_minute, end_minute) pairs.

    Minutes count from local midnight: 0 <= start < end <= 1440 (1440 is the next midnight). Touching
    intervals (12:00-13:00 and 13:00-14:00) are allowed, overlapping ones are not. Raises ValueError.
    """
    spans = []
    for interval in intervals:
        try:
            start, end = interval
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{interval!r} is not a (start minute, end minute) pair.") from exc
        if not all(isinstance(m, int) and not isinstance(m, bool) for m in (start, end)):
            raise ValueError(f"{interval!r}: minutes must be whole numbers.")
        if not 0 <= start < end <= DAY_MINUTES:
            raise ValueError(
                f"{_hhmm(start)}-{_hhmm(end)}: an interval starts before it ends, between 00:00 and 24:00."
            )
        spans.append((start, end))
    spans.sort()
    for (start1, end1), (start2, end2) in pairwise(spans):
        if start2 < end1:
            raise ValueError(f"{_hhmm(start1)}-{_hhmm(end1)} and {_hhmm(start2)}-{_hhmm(end2)} overlap.")
    return tuple(spans)


@dataclass(frozen=True)
class Schedule:
    """A business calendar as data: when the desk works, in its own time zone.

    `weekly` has seven entries, Monday first, each a tuple of (start_minute, end_minute) local intervals.
    `closed` holds holidays (local dates with no working time); `opened` maps a local date to the intervals
    it works instead of the weekly ones (a working Saturday); a date in both is opened. The constructor
    validates everything and freezes `closed` and `opened`, so a schedule is hashable and shareable.
    """

    time_zone: str
    weekly: tuple[Intervals, ...]
    closed: frozenset[date] = frozenset()
    opened: Mapping[date, Intervals] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    def __post_init__(self):
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"Unknown time zone {self.time_zone!r}.") from exc
        weekly = tuple(validate_intervals(day) for day in self.weekly)
        if len(weekly) != 7:
            raise ValueError("A schedule has seven weekdays, Monday first.")
        closed = frozenset(self.closed)
        opened = {day: validate_intervals(spans) for day, spans in dict(self.opened).items()}
        if not all(isinstance(day, date) and not isinstance(day, datetime) for day in chain(closed, opened)):
            raise ValueError("Holidays and opened days are dates (not datetimes).")
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "closed", closed)
        object.__setattr__(self, "opened", MappingProxyType(opened))

    @classmethod
    def twenty_four_seven(cls, time_zone: str = "UTC") -> "Schedule":
        """Always working: business time is wall-clock time."""
        return cls(time_zone=time_zone, weekly=(((0, DAY_MINUTES),),) * 7)

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @cached_property
    def is_wall_clock(self) -> bool:
        """Every weekday 00:00-24:00 and no exceptions: `add` and `between` are plain datetime arithmetic."""
        return not self.closed and not self.opened and all(day == ((0, DAY_MINUTES),) for day in self.weekly)

    def intervals_on(self, day: date) -> Intervals:
        """The local intervals worked on a local date: opened, else none if closed, else the weekly ones."""
        if day in self.opened:
            return self.opened[day]
        if day in self.closed:
            return ()
        return self.weekly[day.weekday()]


def weekly_seconds(schedule: Schedule) -> int:
    """Business seconds in a normal week (no exceptions, no UTC-offset change)."""
    return sum(end - start for day in schedule.weekly for start, end in day) * 60


# Internals: naive UTC datetimes and timedeltas.


def _utc(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, not {moment!r}.")
    return moment.astimezone(UTC).replace(tzinfo=None)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def _budget(seconds: int | float) -> timedelta:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds):
        raise ValueError(f"A duration is a finite number of seconds, not {seconds!r}.")
    budget = timedelta(seconds=seconds)
    if budget < timedelta(0):
        raise ValueError(f"A duration cannot be negative: {seconds!r}.")
    return budget


def _seconds(elapsed: timedelta) -> int | float:
    """An int when whole seconds, else a float rounded to the microsecond."""
    micro = elapsed // MICROSECOND
    return micro // 10**6 if micro % 10**6 == 0 else micro / 10**6


def _local_day(schedule: Schedule, moment: datetime) -> date:
    return _aware(moment).astimezone(schedule.zone).date()


def _wall(zone: ZoneInfo, instant: datetime) -> datetime:
    """The naive local wall time of a naive UTC instant."""
    return _aware(instant).astimezone(zone).replace(tzinfo=None)


def _to_utc(zone: ZoneInfo, local: datetime) -> datetime:
    """The first instant (naive UTC) at which the local clock reads `local` or later.

    That is `local`'s first occurrence (fold=0) when it exists. In a spring-forward gap (PEP 495: fold=1
    then has the larger offset, the one after the jump) it is the jump itself, which tzinfo does not
    expose: it lies in (local - after, local - before], where the clock reads earlier than `local` before
    it and later after it, so a bisection over whole seconds (tzdata's resolution) finds it.
    """
    before, after = zone.utcoffset(local), zone.utcoffset(local.replace(fold=1))
    if after <= before:
        return local - before
    start, low, high = local - after, 0, (after - before) // SECOND  # seconds after `start`
    while high - low > 1:  # the clock reads earlier than `local` at start + low, later at start + high
        middle = (low + high) // 2
        if _wall(zone, start + middle * SECOND) >= local:
            high = middle
        else:
            low = middle
    return start + high * SECOND


def _day(schedule: Schedule, day: date) -> tuple[datetime, datetime, list[Span]]:
    """(window start, window end, working spans) of a local date; spans monotone and inside the window."""
    zone, local = schedule.zone, datetime.combine(day, time())
    begin = _to_utc(zone, local)
    end = max(begin, _to_utc(zone, local + ONE_DAY))
    spans, floor = [], begin
    for start_minute, end_minute in schedule.intervals_on(day):
        start = max(floor, _to_utc(zone, local + timedelta(minutes=start_minute)))
        stop = min(end, _to_utc(zone, local + timedelta(minutes=end_minute)))
        if stop > start:
            spans.append((start, stop))
            floor = stop
    return begin, end, spans


def _plain_week(schedule: Schedule, day: date) -> Span | None:
    """The UTC window of the seven local days from `day` when they hold exactly `weekly_seconds`, else None.

    That is when none of the dates is an exception and the offset is the same at all eight local midnights
    (a change and its reversal within one local day would go unnoticed; no time zone has one).
    """
    if (schedule.closed or schedule.opened) and any(
        day + timedelta(days=i) in schedule.closed or day + timedelta(days=i) in schedule.opened
        for i in range(7)
    ):
        return None
    zone, local = schedule.zone, datetime.combine(day, time())
    offsets = {zone.utcoffset(local + timedelta(days=i)) for i in range(8)}
    if len(offsets) != 1:
        return None
    offset = offsets.pop()
    return local - offset, local + WEEK - offset


def _following(schedule: Schedule, day: date, week: timedelta) -> date | None:
    """The next local date that may hold working time; None when no later date ever does."""
    if week:
        return day + ONE_DAY
    later = [other for other, spans in schedule.opened.items() if other > day and spans]
    return min(later) if later else None


def _next_day(schedule: Schedule, day: date, week: timedelta, idle: int, since: datetime) -> date:
    """`_following`, or ValueError when there is none or after two years of days without working time."""
    following = _following(schedule, day, week) if idle <= IDLE_DAYS else None
    if following is None:
        raise ValueError(f"The schedule has no working time after {_aware(since).isoformat()}.")
    return following


# The public arithmetic.


def add(schedule: Schedule, start: datetime, seconds: int | float) -> datetime:
    """The aware UTC datetime at which `seconds` of business time have elapsed after `start` (aware).

    `seconds == 0` returns `start` (in UTC) even in closed time. When the budget runs out exactly at the
    end of an interval, that end is returned (not the next opening); otherwise the result lies inside
    working time. `add(add(t, a), b) == add(t, a + b)` for all a, b >= 0 that are whole microseconds.
    Raises ValueError for a naive `start`, a negative duration, or a schedule without working time.
    """
    budget, cursor = _budget(seconds), _utc(start, "start")
    if not budget:
        return _aware(cursor)
    if schedule.is_wall_clock:
        return _aware(cursor + budget)
    week = timedelta(seconds=weekly_seconds(schedule))
    origin, day, idle = cursor, _local_day(schedule, cursor) - ONE_DAY, 0
    while True:
        skip = _plain_week(schedule, day) if week and budget > week else None
        if skip is not None and skip[0] >= cursor:
            budget, cursor, day, idle = budget - week, skip[1], day + WEEK, 0
            continue
        spans = _day(schedule, day)[2]
        for span_start, span_end in spans:
            if span_end <= cursor:
                continue
            span_start = max(span_start, cursor)
            if budget <= span_end - span_start:
                return _aware(span_start + budget)
            budget -= span_end - span_start
            cursor = span_end
        idle = 0 if spans else idle + 1
        day = _next_day(schedule, day, week, idle, origin)


def between(schedule: Schedule, a: datetime, b: datetime) -> int | float:
    """Business seconds in [a, b): an int when whole seconds, else a float; 0 when b <= a."""
    low, high = _utc(a, "a"), _utc(b, "b")
    if high <= low:
        return 0
    if schedule.is_wall_clock:
        return _seconds(high - low)
    week = timedelta(seconds=weekly_seconds(schedule))
    total, day = timedelta(0), _local_day(schedule, low) - ONE_DAY
    while day is not None:
        # Cheap pre-check (local vs UTC, offsets are under a day) before the exact one on UTC windows.
        if week and datetime.combine(day, time()) + WEEK <= high + ONE_DAY:
            skip = _plain_week(schedule, day)
            if skip is not None and skip[0] >= low and skip[1] <= high:
                total += week
                day += WEEK
                continue
        begin, _end, spans = _day(schedule, day)
        if begin >= high:
            break
        for span_start, span_end in spans:
            overlap = min(span_end, high) - max(span_start, low)
            if overlap > timedelta(0):
                total += overlap
        day = _following(schedule, day, week)
    return _seconds(total)


def is_working(schedule: Schedule, moment: datetime) -> bool:
    """Whether `moment` (aware) lies in working time: an interval's start counts, its end does not."""
    instant = _utc(moment, "moment")
    if schedule.is_wall_clock:
        return True
    day = _local_day(schedule, instant)
    return any(
        start <= instant < end
        for other in (day - ONE_DAY, day, day + ONE_DAY)
        for start, end in _day(schedule, other)[2]
    )


def next_working(schedule: Schedule, moment: datetime) -> datetime:
    """`moment` (in UTC) when it is in working time, else the next opening. ValueError if there is none."""
    instant = _utc(moment, "moment")
    if schedule.is_wall_clock:
        return _aware(instant)
    week = timedelta(seconds=weekly_seconds(schedule))
    day, idle = _local_day(schedule, instant) - ONE_DAY, 0
    while True:
        spans = _day(schedule, day)[2]
        for start, end in spans:
            if end > instant:
                return _aware(max(start, instant))
        idle = 0 if spans else idle + 1
        day = _next_day(schedule, day, week, idle, instant)
