"""The periods a report offers, as [start, end) instants in the reader's time zone."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

PERIODS = {
    "last_7_days": _("Last 7 days"),
    "last_30_days": _("Last 30 days"),
    "this_month": _("This month"),
    "last_month": _("Last month"),
    "this_quarter": _("This quarter"),
    "last_quarter": _("Last quarter"),
    "last_12_months": _("Last 12 months"),
    "this_year": _("This year"),
    "custom": _("Dates below"),
}
DEFAULT_PERIOD = "last_30_days"
# The breakdown a period suits best when the reader does not choose one.
DEFAULT_BUCKET = {
    "last_7_days": "day",
    "last_30_days": "day",
    "this_month": "day",
    "last_month": "day",
    "this_quarter": "week",
    "last_quarter": "week",
    "last_12_months": "month",
    "this_year": "month",
    "custom": "day",
}


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_dates(
    name: str, today: date, start: date | None = None, end: date | None = None
) -> tuple[date, date]:
    """(first day, day after the last) of a named period around `today`; "custom": `start` to `end`
    inclusive."""
    if name == "last_7_days":
        return today - timedelta(days=6), today + timedelta(days=1)
    if name == "last_30_days":
        return today - timedelta(days=29), today + timedelta(days=1)
    if name == "this_month":
        return _month_start(today), _add_months(today, 1)
    if name == "last_month":
        return _add_months(today, -1), _month_start(today)
    quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    if name == "this_quarter":
        return quarter, _add_months(quarter, 3)
    if name == "last_quarter":
        return _add_months(quarter, -3), quarter
    if name == "last_12_months":
        return _add_months(today, -11), _add_months(today, 1)
    if name == "this_year":
        return date(today.year, 1, 1), date(today.year + 1, 1, 1)
    if name == "custom" and start and end:
        return start, end + timedelta(days=1)
    raise ValueError(name)


def period_instants(name: str, now: datetime, zone: str, start=None, end=None) -> tuple[datetime, datetime]:
    """The period's [start, end) as aware instants: local midnights in `zone`."""
    tz = ZoneInfo(zone)
    first, after = period_dates(name, now.astimezone(tz).date(), start, end)
    return datetime.combine(first, time(), tzinfo=tz), datetime.combine(after, time(), tzinfo=tz)


def previous_period(frequency: str, now: datetime, zone: str) -> tuple[datetime, datetime]:
    """The period that ended last before `now` in `zone`: "weekly" the last whole week (Monday to
    Sunday), "monthly" the last whole month; [start, end) as local midnights."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    if frequency == "weekly":
        monday = today - timedelta(days=today.weekday())
        first, after = monday - timedelta(days=7), monday
    elif frequency == "monthly":
        first, after = _add_months(today, -1), _month_start(today)
    else:
        raise ValueError(frequency)
    return datetime.combine(first, time(), tzinfo=tz), datetime.combine(after, time(), tzinfo=tz)


def next_run_at(frequency: str, *, weekday: int, day: int, hour: int, after: datetime, zone: str) -> datetime:
    """The first sending time strictly after `after`: the weekday (weekly) or the day of the month
    (monthly) at `hour` o'clock in `zone` (an hour a clock change skips is read as the hour after)."""
    tz = ZoneInfo(zone)
    local = after.astimezone(tz)
    if frequency == "weekly":
        candidate = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
        step = lambda d: d + timedelta(days=7)  # noqa: E731
    elif frequency == "monthly":
        candidate = local.date().replace(day=day)
        step = lambda d: _add_months(d, 1).replace(day=day)  # noqa: E731
    else:
        raise ValueError(frequency)
    while True:
        moment = datetime.combine(candidate, time(hour), tzinfo=tz)
        # Through UTC and back: a local time in a DST gap becomes a real instant.
        moment = moment.astimezone(ZoneInfo("UTC"))
        if moment > after:
            return moment
        candidate = step(candidate)
