"""`slot_window_conflicts`: the freezes and maintenance windows weighed for work that is not a change (a
release's wave), judged as a change's slot is."""

from datetime import UTC, datetime, time, timedelta

import pytest

from changes.conflicts import BLACKOUT, OUTSIDE_MAINTENANCE, change_conflicts, slot_window_conflicts
from changes.models import BlackoutWindow, Change, MaintenanceWindow
from changes.services import change_create

from ..cmdb.factories import CIFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime(2027, 1, 11, 9, tzinfo=UTC)
SUNDAY = datetime(2027, 1, 10, 2, tzinfo=UTC)


@pytest.fixture
def sunday_window(service):
    return MaintenanceWindow.objects.create(
        service=service, name="Sunday early", weekdays=[6], start_time=time(2, 0), duration_minutes=240,
        time_zone="Europe/London",
    )  # fmt: skip


def kinds(conflicts):
    return [(c.kind, c.window) for c in conflicts]


def test_a_slot_on_a_ci_a_service_depends_on_is_held_by_the_services_freeze(service, server):
    freeze = BlackoutWindow.objects.create(
        name="Payroll run", starts_at=MONDAY - timedelta(hours=1), ends_at=MONDAY + timedelta(hours=1)
    )
    freeze.services.set([service])
    at = {"start": MONDAY, "end": MONDAY + timedelta(hours=2)}
    assert kinds(slot_window_conflicts(cis=[server.pk], **at)) == [(BLACKOUT, "Payroll run")]
    assert kinds(slot_window_conflicts(services=[service.pk], **at)) == [(BLACKOUT, "Payroll run")]
    assert slot_window_conflicts(cis=[CIFactory(name="mail-01").pk], **at) == []
    later = {"start": MONDAY + timedelta(hours=1), "end": MONDAY + timedelta(hours=2)}
    assert slot_window_conflicts(cis=[server.pk], **later) == []


def test_a_slot_outside_the_maintenance_windows_conflicts_as_a_change_there_would(
    agent, service, server, sunday_window
):
    inside = {"start": SUNDAY, "end": SUNDAY + timedelta(hours=2)}
    outside = {"start": MONDAY, "end": MONDAY + timedelta(hours=2)}
    assert slot_window_conflicts(cis=[server.pk], **inside) == []
    assert kinds(slot_window_conflicts(cis=[server.pk], **outside)) == [(OUTSIDE_MAINTENANCE, "Payroll")]
    change = change_create(
        actor=agent,
        title="Tune",
        affected_cis=[server],
        planned_start=outside["start"],
        planned_end=outside["end"],
    )
    Change.objects.filter(pk=change.pk).update(status="assessment")
    assert change_conflicts(change) == slot_window_conflicts(cis=[server.pk], **outside)


def test_a_slot_costs_a_constant_number_of_statements(service, server, django_assert_max_num_queries):
    cis = [server.pk, *(CIFactory(name=f"node-{n}").pk for n in range(30))]
    with django_assert_max_num_queries(12):
        slot_window_conflicts(cis=cis, start=MONDAY, end=MONDAY + timedelta(hours=1))
