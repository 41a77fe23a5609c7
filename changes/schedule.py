"""Reads of the forward schedule of changes (issue 16, item 4): what is planned in a span, as a person
may see it, and the spans of its month and week views in their time zone."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from . import workflow as wf
from .models import Change
from .permissions import ChangePolicy

# Scheduled and implementing changes, approved ones that already have their dates (marked), and those
# done (implemented, failed, backed out, closed) in the slot they had: the schedule tells the desk what
# changed when, and a calendar keeps the event after the work is done.
DONE_STATUSES = (*wf.REVIEWABLE_STATUSES, wf.CLOSED)
SCHEDULE_STATUSES = (wf.APPROVED, *wf.ON_SCHEDULE_STATUSES, *DONE_STATUSES)
MONTH, WEEK, LIST = "month", "week", "list"
VIEWS = (MONTH, WEEK, LIST)
MAX_ROWS = 500  # changes drawn on one page of the schedule; more are counted, not drawn
LIST_DAYS = 30


def change_schedule_for_user(
    *, user, start: datetime, end: datetime, service=None, ci=None, group=None, risk: str = ""
) -> QuerySet[Change]:
    """The changes on the schedule over [start, end) that `user` may see (a requester: those they
    requested), earliest first: scheduled and implementing ones, approved ones with dates and done ones
    (never rejected or cancelled ones); filtered by
    a service it names, a CI it affects, its implementer group and its risk."""
    rows = ChangePolicy.visible_to(user).filter(
        status__in=SCHEDULE_STATUSES, planned_start__lt=end, planned_end__gt=start
    )
    if service is not None:
        rows = rows.filter(services=service)
    if ci is not None:
        rows = rows.filter(affected_cis=ci)
    if group is not None:
        rows = rows.filter(support_group=group)
    if risk:
        rows = rows.filter(risk_level=risk)
    return rows.select_related("support_group", "assignee").order_by("planned_start", "id")


@dataclass(frozen=True)
class Span:
    """What one view of the schedule shows: its days (local dates), and the instants they cover."""

    view: str
    anchor: date
    days: list[date]
    start: datetime
    end: datetime
    previous: date
    next: date


def _instant(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def schedule_span(view: str, anchor: date) -> Span:
    """The days of `view` around `anchor` in the current time zone: the month's weeks (Monday first), the
    week from its Monday, or `LIST_DAYS` days from `anchor`."""
    if view == MONTH:
        first = anchor.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        start = first - timedelta(days=first.weekday())
        end = following + timedelta(days=(7 - following.weekday()) % 7)
        previous, after = (first - timedelta(days=1)).replace(day=1), following
    elif view == WEEK:
        start = anchor - timedelta(days=anchor.weekday())
        end = start + timedelta(days=7)
        previous, after = start - timedelta(days=7), end
    else:
        start, end = anchor, anchor + timedelta(days=LIST_DAYS)
        previous, after = start - timedelta(days=LIST_DAYS), end
    days = [start + timedelta(days=n) for n in range((end - start).days)]
    return Span(view, anchor, days, _instant(start), _instant(end), previous, after)


def day_spans(changes, days: list[date]) -> dict[date, list]:
    """Each day's changes (those overlapping the day, local time), in the order given."""
    by_day: dict[date, list] = {day: [] for day in days}
    for change in changes:
        first = timezone.localtime(change.planned_start).date()
        last = timezone.localtime(change.planned_end - timedelta(microseconds=1)).date()
        day = max(first, days[0])
        while day <= min(last, days[-1]):
            by_day[day].append(change)
            day += timedelta(days=1)
    return by_day
