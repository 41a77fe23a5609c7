"""SLA fixtures: a 24x7 calendar, an office calendar, a policy with targets, warnings and escalations."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType

from servicedesk.models import BusinessCalendar, EscalationRule, SLAClock, SLAFiring, SLAPolicy, SLATarget
from servicedesk.sla.calendars import calendar_set_hours
from servicedesk.sla.sweep import sla_sweep

from ..incidents.conftest import (  # noqa: F401 (fixtures)
    _attachment_root,
    category,
    incident,
    request_type,
    service,
    service_request,
    subcategory,
)
from ..servicedesk.conftest import worker  # noqa: F401 (fixture: an agent who works chores)

HOURS = timedelta(hours=1)


@pytest.fixture
def always(db):
    calendar = BusinessCalendar.objects.create(name="24x7", time_zone="UTC")
    return calendar_set_hours(calendar=calendar, actor=None, weekly={day: [(0, 1440)] for day in range(7)})


@pytest.fixture
def office(db):
    """Monday to Friday 09:00-17:00 in London."""
    calendar = BusinessCalendar.objects.create(name="London office", time_zone="Europe/London")
    return calendar_set_hours(calendar=calendar, actor=None, weekly={day: [(540, 1020)] for day in range(5)})


def make_policy(calendar, *, name="Standard", order=100, response=HOURS, resolution=8 * HOURS, **fields):
    policy = SLAPolicy.objects.create(name=name, order=order, calendar=calendar, **fields)
    for priority in range(1, 6):
        if response is not None:
            SLATarget.objects.create(policy=policy, metric="response", priority=priority, target=response)
        if resolution is not None:
            SLATarget.objects.create(policy=policy, metric="resolution", priority=priority, target=resolution)
    return policy


@pytest.fixture
def policy(always):
    """24x7: respond in 1 h, resolve in 8 h; warn at 50 and 75 %; paused while waiting for the requester."""
    return make_policy(always, warning_percents=[50, 75], pause_on=["on_hold:requester"])


@pytest.fixture
def escalating(policy, support_group):
    EscalationRule.objects.create(policy=policy, metric="response", percent=100, notify_group_manager=True)
    EscalationRule.objects.create(
        policy=policy, metric="resolution", percent=100, reassign_to_escalation_group=True
    )
    return policy


UTC = ZoneInfo("UTC")
LONDON = ZoneInfo("Europe/London")


def at(year, month, day, hour=0, minute=0, zone=UTC):
    """An aware moment (UTC unless told)."""
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def clocks_of(record) -> dict[str, SLAClock]:
    """The record's clocks by metric, fresh from the database."""
    content_type = ContentType.objects.get_for_model(record)
    return {
        clock.metric: clock
        for clock in SLAClock.objects.filter(content_type=content_type, object_id=record.pk)
    }


def sweep_at(moment, **kwargs) -> int:
    with time_machine.travel(moment, tick=False):
        return sla_sweep(now=moment, **kwargs)


def firings(record=None, **filters) -> list[tuple[str, str, int]]:
    """(metric, threshold, cycle) of every firing (of one record's clocks), in order."""
    queryset = SLAFiring.objects.filter(**filters)
    if record is not None:
        queryset = queryset.filter(
            clock__content_type=ContentType.objects.get_for_model(record), clock__object_id=record.pk
        )
    return list(queryset.order_by("id").values_list("clock__metric", "threshold", "cycle"))
