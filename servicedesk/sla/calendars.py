"""Business calendars as rows: reading one as a `Schedule`, setting its hours, loading holidays.

The arithmetic lives in `servicedesk.sla.calendar` (pure, no database); these are the reads and writes
around it. Holidays come from the `holidays` package once, into rows an administrator edits: a new release
of the package never changes an SLA result by itself.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from types import MappingProxyType

import holidays as holiday_data
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from servicedesk.configmemo import config_changed
from servicedesk.models import BusinessCalendar, CalendarException, User, WorkingInterval
from servicedesk.services.audit import audit_record

from .calendar import Schedule, validate_intervals

MAX_YEARS = 10


def calendar_schedule(calendar: BusinessCalendar) -> Schedule:
    """The calendar's weekly hours, holidays and openings as a `Schedule` (two queries)."""
    return calendar_schedules([calendar])[calendar.pk]


def calendar_schedules(calendars: Iterable[BusinessCalendar]) -> dict[int, Schedule]:
    """`Schedule`s of several calendars by id, in two queries whatever their number."""
    calendars = {calendar.pk: calendar for calendar in calendars}
    weekly = defaultdict(lambda: defaultdict(list))
    intervals = WorkingInterval.objects.filter(calendar__in=list(calendars)).order_by(
        "weekday", "start_minute"
    )
    for interval in intervals:
        weekly[interval.calendar_id][interval.weekday].append((interval.start_minute, interval.end_minute))
    closed, opened = defaultdict(set), defaultdict(lambda: defaultdict(list))
    exceptions = CalendarException.objects.filter(calendar__in=list(calendars)).order_by(
        "date", "start_minute"
    )
    for exception in exceptions:
        if exception.kind == CalendarException.Kind.CLOSED:
            closed[exception.calendar_id].add(exception.date)
        else:
            opened[exception.calendar_id][exception.date].append(
                (exception.start_minute, exception.end_minute)
            )
    return {
        pk: Schedule(
            time_zone=calendar.time_zone,
            weekly=tuple(tuple(weekly[pk][day]) for day in range(7)),
            closed=frozenset(closed[pk]),
            opened=MappingProxyType({day: tuple(spans) for day, spans in opened[pk].items()}),
        )
        for pk, calendar in calendars.items()
    }


@transaction.atomic
def calendar_set_hours(
    *, calendar: BusinessCalendar, actor: User | None, weekly: dict[int, Iterable[tuple[int, int]]]
) -> BusinessCalendar:
    """Replace the calendar's working hours: `{weekday: [(start_minute, end_minute), ...]}`, Monday = 0.

    The open clocks counted through the calendar are re-computed: the time they consumed so far stays
    counted through the old hours, the time to come through the new ones. Raises ValidationError for a bad
    weekday, or overlapping or out-of-range intervals.
    """
    checked = {}
    for weekday, spans in weekly.items():
        if weekday not in range(7):
            raise ValidationError({"weekly": _("Weekdays are 0 (Monday) to 6 (Sunday).")})
        try:
            checked[weekday] = validate_intervals(spans)
        except ValueError as exc:
            raise ValidationError({"weekly": str(exc)}) from exc
    before = calendar_schedule(calendar)
    WorkingInterval.objects.filter(calendar=calendar).delete()
    WorkingInterval.objects.bulk_create(
        WorkingInterval(calendar=calendar, weekday=weekday, start_minute=start, end_minute=end)
        for weekday, spans in sorted(checked.items())
        for start, end in spans
    )
    config_changed()  # the bulk writes send no signals
    audit_record(
        actor=actor,
        action="calendar.hours_set",
        target=calendar,
        data={str(day): [list(span) for span in spans] for day, spans in sorted(checked.items())},
    )
    _apply_to_clocks(calendar, before)
    return calendar


def _apply_to_clocks(calendar: BusinessCalendar, before: Schedule) -> None:
    # `changes` reaches this module through clocks -> policies: import it when used.
    from .edits import sla_calendar_changed

    sla_calendar_changed(calendar=calendar, before=before)


def holiday_countries() -> list[tuple[str, str]]:
    """(code, label) of every country the `holidays` package knows, for a choice list."""
    choices = []
    for class_name, code, *_rest in holiday_data.registry.COUNTRIES.values():
        words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", class_name)
        choices.append((code, f"{words} ({code})"))
    return sorted(choices, key=lambda choice: choice[1])


@transaction.atomic
def calendar_load_holidays(
    *,
    calendar: BusinessCalendar,
    actor: User | None,
    country: str,
    years: Iterable[int],
    subdivision: str | None = None,
    language: str | None = None,
) -> int:
    """Add the public holidays of `country` (and `subdivision`) for `years` as closed days, and the
    weekend days the country works instead (China's 调休 make-up days) as open days with the hours of the
    calendar's first working weekday.

    Dates the calendar already has as a holiday or an opening are left as they are (an administrator may
    have renamed or removed one on purpose); returns how many days were added. The open clocks counted
    through the calendar are re-computed (see `calendar_set_hours`). Raises ValidationError for an unknown
    country or subdivision, or for more than ten years at once.
    """
    years = sorted(set(years))
    if not years or len(years) > MAX_YEARS:
        raise ValidationError({"years": _("Choose from one to ten years.")})
    try:
        found = holiday_data.country_holidays(
            country, subdiv=subdivision or None, years=years, language=language
        )
    except NotImplementedError as exc:
        raise ValidationError({"country": _("No holiday data for this country or region.")}) from exc
    taken = set(
        CalendarException.objects.filter(
            calendar=calendar, kind=CalendarException.Kind.CLOSED, date__in=list(found)
        ).values_list("date", flat=True)
    )
    before = calendar_schedule(calendar)
    source = f"holidays:{country}" + (f"-{subdivision}" if subdivision else "")
    rows = [
        CalendarException(
            calendar=calendar,
            date=day,
            kind=CalendarException.Kind.CLOSED,
            name=str(name)[:200],
            source=source,
        )
        for day, name in sorted(found.items())
        if day not in taken
    ]
    openings = _make_up_days(calendar, before, found, years, source)
    CalendarException.objects.bulk_create(rows + openings)
    config_changed()  # the bulk write sends no signal
    added = len(rows) + len({row.date for row in openings})
    audit_record(
        actor=actor,
        action="calendar.holidays_loaded",
        target=calendar,
        data={
            "country": country,
            "subdivision": subdivision,
            "years": years,
            "added": len(rows),
            "working_days_added": added - len(rows),
        },
    )
    if added:
        _apply_to_clocks(calendar, before)
    return added


def _make_up_days(calendar, schedule: Schedule, found, years, source: str) -> list[CalendarException]:
    """Openings for the weekend days `found` says are worked (`weekend_workdays`, e.g. China's 调休) in
    `years`, on the hours of the calendar's first weekday with hours; none when the calendar has no such
    weekday or already works that day of the week, or already has an opening on that date."""
    hours = next((spans for spans in schedule.weekly[:5] if spans), ())
    workdays = sorted(day for day in getattr(found, "weekend_workdays", ()) if day.year in years)
    if not hours or not workdays:
        return []
    already = set(
        CalendarException.objects.filter(
            calendar=calendar, kind=CalendarException.Kind.OPEN, date__in=workdays
        ).values_list("date", flat=True)
    )
    name = _("Make-up working day")
    return [
        CalendarException(
            calendar=calendar,
            date=day,
            kind=CalendarException.Kind.OPEN,
            start_minute=start,
            end_minute=end,
            name=name,
            source=source,
        )
        for day in workdays
        if day not in already and not schedule.weekly[day.weekday()]
        for start, end in hours
    ]
