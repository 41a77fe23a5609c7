"""When changes may happen: each service's recurring maintenance windows and the freezes (blackout
windows), as spans of time (issue 16, item 5).

A maintenance window recurs every week on its `weekdays` from `start_time` for `duration_minutes`, in its
own time zone: 02:00 in Europe/London is 02:00 GMT in winter and 02:00 BST in summer, so its occurrences
move in UTC across daylight saving while staying put on the local clock. The duration is elapsed time (a
four-hour window over the spring change still lasts four hours). An occurrence belongs to the day it
starts on and may run past midnight.

A local start that does not exist (inside the hour skipped in spring) is read with the offset before the
change, as `zoneinfo` reads `fold=0`; one that exists twice (in the hour repeated in autumn) is its first.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import F, Prefetch, Q, QuerySet

from servicedesk.lookups import AnyOf

from .models import BlackoutWindow, MaintenanceWindow


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a maintenance window, in UTC."""

    window: MaintenanceWindow
    start: datetime
    end: datetime

    def contains(self, start: datetime, end: datetime) -> bool:
        return self.start <= start and end <= self.end


def _local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def occurrences(window: MaintenanceWindow, start: datetime, end: datetime) -> list[Occurrence]:
    """The occurrences of `window` that overlap [start, end) (aware datetimes), earliest first."""
    if not window.weekdays or start >= end:
        return []
    zone = ZoneInfo(window.time_zone)
    length = timedelta(minutes=window.duration_minutes)
    weekdays = {int(day) for day in window.weekdays}
    # An occurrence that began up to its duration (plus a day for the offset) before `start` may still run.
    day = _local_date(start, zone) - timedelta(days=length.days + 1)
    last = _local_date(end, zone)
    found = []
    while day <= last:
        if day.weekday() in weekdays:
            begins = datetime.combine(day, window.start_time, tzinfo=zone).astimezone(UTC)
            ends = begins + length  # elapsed time: arithmetic in UTC, never on the local clock
            if begins < end and ends > start:
                found.append(Occurrence(window, begins, ends))
        day += timedelta(days=1)
    return found


def inside_maintenance(service_windows: Iterable[MaintenanceWindow], start: datetime, end: datetime) -> bool:
    """Whether [start, end) lies wholly inside one occurrence of one of `service_windows` (a service's
    active windows). A service without windows takes changes any time: True for no windows."""
    windows = [window for window in service_windows if window.is_active]
    if not windows:
        return True
    return any(occ.contains(start, end) for window in windows for occ in occurrences(window, start, end))


def maintenance_windows_of(service_ids: Iterable[int]) -> dict[int, list[MaintenanceWindow]]:
    """The active maintenance windows of each of `service_ids` (one query, with their service), by
    service id."""
    ids = set(service_ids)
    by_service: dict[int, list[MaintenanceWindow]] = {}
    if not ids:
        return by_service
    rows = MaintenanceWindow.objects.filter(AnyOf(F("service_id"), sorted(ids)), is_active=True)
    for window in rows.select_related("service").order_by("name", "id"):
        by_service.setdefault(window.service_id, []).append(window)
    return by_service


def blackouts_overlapping(start: datetime, end: datetime) -> QuerySet[BlackoutWindow]:
    """The active freezes that overlap [start, end), each with its services' ids prefetched
    (`service_ids`); two queries when read."""
    return (
        BlackoutWindow.objects.filter(is_active=True, starts_at__lt=end, ends_at__gt=start)
        .prefetch_related(Prefetch("services", to_attr="service_list"))
        .order_by("starts_at", "id")
    )


def blackout_applies(window: BlackoutWindow, service_ids: set[int]) -> bool:
    """A freeze holds every change (it names no service) or those touching one of its services."""
    services = window.service_list if hasattr(window, "service_list") else list(window.services.all())
    return not services or any(service.pk in service_ids for service in services)


def blackouts_for(start: datetime, end: datetime, service_ids: set[int]) -> list[BlackoutWindow]:
    """The active freezes over [start, end) that hold a change touching `service_ids`."""
    return [window for window in blackouts_overlapping(start, end) if blackout_applies(window, service_ids)]


def blackouts_in(start: datetime, end: datetime, *, services: Iterable[int] = ()) -> QuerySet[BlackoutWindow]:
    """The active freezes over [start, end), global or (when `services` is given) on one of them: what
    the schedule draws."""
    rows = blackouts_overlapping(start, end)
    ids = list(services)
    if ids:
        rows = rows.filter(Q(services__isnull=True) | Q(services__in=ids)).distinct()
    return rows
