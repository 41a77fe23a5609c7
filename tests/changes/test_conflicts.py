"""Conflict detection: each kind, the changes weighed, a page in constant statements, and scheduling
refused with conflicts unless a change manager overrides them (recorded)."""

from datetime import UTC, datetime, time, timedelta

import pytest

from changes import workflow as wf
from changes.conflicts import (
    BLACKOUT,
    DEPENDENCY,
    OUTSIDE_MAINTENANCE,
    OVERLAP,
    change_conflicts,
    conflicts_many,
)
from changes.models import BlackoutWindow, Change, MaintenanceWindow
from changes.services import change_create, change_from_standard, change_update
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.models import AuditEvent, TimelineEntry
from servicedesk.records.transitions import record_transition

from ..cmdb.factories import CIFactory, CIRelationshipFactory, relationship_type

pytestmark = pytest.mark.django_db

MONDAY = datetime(2027, 1, 11, 9, tzinfo=UTC)


@pytest.fixture
def plan(agent):
    """`plan(cis, start, hours=2, status=..., services=())`: a change on `cis` planned from `start`, put
    in `status` (approved by default: committed) as the CAB would have left it."""

    def _plan(cis, start=MONDAY, hours=2, status=wf.APPROVED, services=(), title="A change"):
        record = change_create(
            actor=agent,
            title=title,
            affected_cis=cis,
            services=services,
            planned_start=start,
            planned_end=start + timedelta(hours=hours),
        )
        Change.objects.filter(pk=record.pk).update(status=status)
        record.refresh_from_db()
        return record

    return _plan


@pytest.fixture
def app(server):
    """An application that depends on the Payroll database server."""
    ci = CIFactory(name="payroll-app")
    CIRelationshipFactory(source=ci, target=server, type=relationship_type("depends_on"))
    return ci


def kinds(conflicts) -> list[tuple[str, str]]:
    return [(c.kind, c.change or c.window) for c in conflicts]


def test_a_change_on_the_same_ci_at_the_same_time_overlaps(plan, server):
    mine = plan([server])
    theirs = plan([server], start=MONDAY + timedelta(hours=1), status=wf.SCHEDULED)

    (conflict,) = change_conflicts(mine)
    assert (conflict.kind, conflict.change, conflict.cis) == (OVERLAP, theirs.number, ("db-payroll-01",))
    assert theirs.number in conflict.message
    assert "db-payroll-01" in conflict.message
    assert kinds(change_conflicts(theirs)) == [(OVERLAP, mine.number)]


@pytest.mark.parametrize(
    ("offset_hours", "status"),
    [
        (2, wf.SCHEDULED),  # starts when mine ends
        (-2, wf.IMPLEMENTING),  # ends when mine starts
        (0, wf.AWAITING_APPROVAL),  # not committed yet
        (0, wf.DRAFT),
        (0, wf.CLOSED),
        (0, wf.CANCELLED),
    ],
)
def test_changes_apart_in_time_or_not_committed_do_not_conflict(plan, server, offset_hours, status):
    mine = plan([server])
    plan([server], start=MONDAY + timedelta(hours=offset_hours), status=status)
    assert change_conflicts(mine) == []


@pytest.mark.parametrize("status", wf.COMMITTED_STATUSES)
def test_every_committed_status_is_weighed(plan, server, status):
    mine = plan([server], status=wf.ASSESSMENT)
    theirs = plan([server], status=status)
    assert kinds(change_conflicts(mine)) == [(OVERLAP, theirs.number)]


def test_a_change_on_a_ci_that_depends_on_ours_conflicts(plan, server, app):
    mine = plan([server])
    theirs = plan([app])

    (conflict,) = change_conflicts(mine)
    assert (conflict.kind, conflict.direction, conflict.change) == (DEPENDENCY, "up", theirs.number)
    assert conflict.cis == ("payroll-app", "db-payroll-01")
    assert "depends on db-payroll-01" in conflict.message


def test_a_change_on_a_ci_ours_depends_on_conflicts(plan, server, app):
    mine = plan([app])
    theirs = plan([server])

    (conflict,) = change_conflicts(mine)
    assert (conflict.kind, conflict.direction, conflict.change) == (DEPENDENCY, "down", theirs.number)
    assert conflict.cis == ("db-payroll-01", "payroll-app")


def test_dependency_reaches_further_than_one_step(plan, server, app):
    portal = CIFactory(name="payroll-portal")
    CIRelationshipFactory(source=portal, target=app, type=relationship_type("depends_on"))
    mine = plan([server])
    theirs = plan([portal])
    assert kinds(change_conflicts(mine)) == [(DEPENDENCY, theirs.number)]


def test_unrelated_cis_do_not_conflict(plan, server):
    mine = plan([server])
    plan([CIFactory(name="mail-01")])
    assert change_conflicts(mine) == []


def test_changes_on_the_same_service_overlap_and_a_services_parts_depend_on_it(plan, service, server):
    mine = plan([], services=[service])
    same = plan([CIFactory(name="other-01")], services=[service])
    part = plan([server])  # Payroll depends on the server: changing it takes Payroll down

    found = change_conflicts(mine)
    assert sorted(kinds(found)) == sorted([(OVERLAP, same.number), (DEPENDENCY, part.number)])
    # And the other way round: the server's walk up reaches Payroll, which both others change.
    assert sorted(kinds(change_conflicts(part))) == [(DEPENDENCY, mine.number), (DEPENDENCY, same.number)]


def test_a_global_freeze_conflicts(plan, server):
    mine = plan([server])
    BlackoutWindow.objects.create(
        name="Year-end freeze",
        reason="Closing the books.",
        starts_at=MONDAY,
        ends_at=MONDAY + timedelta(days=1),
    )
    (conflict,) = change_conflicts(mine)
    assert (conflict.kind, conflict.window) == (BLACKOUT, "Year-end freeze")
    assert "Closing the books." in conflict.message


def test_a_freeze_on_a_service_holds_the_changes_touching_it(plan, service, server):
    freeze = BlackoutWindow.objects.create(
        name="Payroll run", starts_at=MONDAY - timedelta(hours=1), ends_at=MONDAY + timedelta(hours=1)
    )
    freeze.services.set([service])
    on_service = plan([], services=[service], status=wf.ASSESSMENT)
    on_its_server = plan([server], status=wf.ASSESSMENT)  # Payroll depends on it
    elsewhere = plan([CIFactory(name="mail-01")], status=wf.ASSESSMENT)
    later = plan([], services=[service], start=MONDAY + timedelta(hours=1), status=wf.ASSESSMENT)

    assert kinds(change_conflicts(on_service)) == [(BLACKOUT, "Payroll run")]
    assert change_conflicts(on_service)[0].cis == ("Payroll",)
    assert kinds(change_conflicts(on_its_server)) == [(BLACKOUT, "Payroll run")]
    assert change_conflicts(elsewhere) == []
    assert change_conflicts(later) == []
    BlackoutWindow.objects.filter(pk=freeze.pk).update(is_active=False)
    assert change_conflicts(on_service) == []


@pytest.fixture
def sunday_window(service):
    """Payroll is changed on Sundays from 02:00 for 4 hours, London time."""
    return MaintenanceWindow.objects.create(
        service=service,
        name="Sunday early",
        weekdays=[6],
        start_time=time(2, 0),
        duration_minutes=240,
        time_zone="Europe/London",
    )


def test_a_change_outside_its_services_maintenance_windows_conflicts(plan, service, server, sunday_window):
    inside = plan([], services=[service], start=datetime(2027, 1, 10, 2, tzinfo=UTC), status=wf.ASSESSMENT)
    outside = plan([], services=[service], start=MONDAY, status=wf.ASSESSMENT)
    on_its_server = plan([server], start=MONDAY, status=wf.ASSESSMENT)
    elsewhere = plan([CIFactory(name="mail-01")], start=MONDAY, status=wf.ASSESSMENT)

    assert change_conflicts(inside) == []
    (conflict,) = change_conflicts(outside)
    assert (conflict.kind, conflict.window) == (OUTSIDE_MAINTENANCE, "Payroll")
    assert "Sunday early" in conflict.message
    assert kinds(change_conflicts(on_its_server)) == [(OUTSIDE_MAINTENANCE, "Payroll")]
    assert change_conflicts(elsewhere) == []  # a service without windows takes changes any time


@pytest.mark.parametrize(
    ("start", "fits"),
    [
        # Sunday 22 March 2026, GMT: 02:00-06:00 London is 02:00-06:00 UTC.
        (datetime(2026, 3, 22, 2, tzinfo=UTC), True),
        (datetime(2026, 3, 22, 1, tzinfo=UTC), False),
        # Sunday 5 April 2026, BST: the same window is 01:00-05:00 UTC.
        (datetime(2026, 4, 5, 1, tzinfo=UTC), True),
        (datetime(2026, 4, 5, 4, tzinfo=UTC), False),
        # Sunday 1 November 2026, GMT again (the clocks went back on 25 October).
        (datetime(2026, 11, 1, 1, tzinfo=UTC), False),
        (datetime(2026, 11, 1, 2, tzinfo=UTC), True),
    ],
)
def test_maintenance_windows_follow_the_services_zone_across_daylight_saving(
    plan, service, sunday_window, start, fits
):
    record = plan([], services=[service], start=start, status=wf.ASSESSMENT)
    assert kinds(change_conflicts(record)) == ([] if fits else [(OUTSIDE_MAINTENANCE, "Payroll")])


def test_a_change_without_dates_has_no_conflicts(agent, server, plan):
    plan([server])
    record = change_create(actor=agent, title="Undated", affected_cis=[server])
    assert change_conflicts(record) == []


def test_a_page_of_changes_costs_a_constant_number_of_statements(
    plan, server, app, service, sunday_window, django_assert_max_num_queries
):
    BlackoutWindow.objects.create(name="Freeze", starts_at=MONDAY, ends_at=MONDAY + timedelta(days=1))
    few = [plan([server]), plan([app])]
    many = few + [plan([CIFactory(name=f"ci-{n}")], services=[service]) for n in range(8)]
    for rows in (few, many):
        with django_assert_max_num_queries(16):
            found = conflicts_many(rows)
    assert found == {record.pk: change_conflicts(record) for record in many}
    assert (DEPENDENCY, few[1].number) in kinds(found[few[0].pk])
    assert (BLACKOUT, "Freeze") in kinds(found[few[0].pk])
    assert len(found) == 10


# Scheduling


@pytest.fixture
def approved(plan, server):
    return plan([server], status=wf.APPROVED)


@pytest.fixture
def clashing(plan, server):
    return plan([server], status=wf.SCHEDULED)


def test_scheduling_without_conflicts_goes_ahead(approved, change_manager):
    record = record_transition(record=approved, actor=change_manager, to=wf.SCHEDULED)
    assert record.status == wf.SCHEDULED
    assert record.conflict_override_reason == ""


def test_scheduling_with_conflicts_is_refused_with_409_listing_them(approved, clashing, change_manager):
    with pytest.raises(Conflict) as refused:
        record_transition(record=approved, actor=change_manager, to=wf.SCHEDULED)
    assert refused.value.status_code == 409
    assert refused.value.code == "schedule_conflicts"
    assert [c["change"] for c in refused.value.extra["conflicts"]] == [clashing.number]
    assert clashing.number in str(refused.value.message)
    approved.refresh_from_db()
    assert approved.status == wf.APPROVED


def test_a_change_manager_overrides_the_conflicts_with_a_reason_recorded(approved, clashing, change_manager):
    record = record_transition(
        record=approved, actor=change_manager, to=wf.SCHEDULED, override_reason="  Agreed with both teams. "
    )
    record.refresh_from_db()
    assert record.status == wf.SCHEDULED
    assert record.conflict_override_reason == "Agreed with both teams."
    assert record.conflict_override_by == change_manager
    assert record.conflict_override_at is not None
    entry = TimelineEntry.objects.filter(object_id=record.pk, kind=TimelineEntry.Kind.TRANSITION).latest("id")
    assert entry.data["override_reason"] == "Agreed with both teams."
    assert [c["change"] for c in entry.data["conflicts"]] == [clashing.number]
    audit = AuditEvent.objects.filter(action="change.schedule", object_id=str(record.pk)).get()
    assert audit.data["conflicts"][0]["kind"] == OVERLAP


def test_only_a_change_manager_may_override(agent, standard, server, plan, change_manager):
    clash = plan([server], status=wf.SCHEDULED)
    record = change_from_standard(
        actor=agent, standard=standard, affected_cis=[server], planned_start=MONDAY + timedelta(minutes=30)
    )
    with pytest.raises(Conflict):
        record_transition(record=record, actor=agent, to=wf.SCHEDULED)
    with pytest.raises(PermissionDenied):
        record_transition(record=record, actor=agent, to=wf.SCHEDULED, override_reason="I know")
    record.refresh_from_db()
    assert record.status == wf.SUBMITTED
    assert record.conflict_override_reason == ""
    record = record_transition(record=record, actor=change_manager, to=wf.SCHEDULED, override_reason="Fine")
    assert record.conflict_override_by == change_manager
    assert clash.number in [
        c["change"] for c in TimelineEntry.objects.filter(object_id=record.pk).latest("id").data["conflicts"]
    ]


def test_scheduling_needs_the_dates(agent, standard, change_manager):
    from django.core.exceptions import ValidationError

    record = change_from_standard(actor=agent, standard=standard)
    with pytest.raises(ValidationError) as refused:
        record_transition(record=record, actor=change_manager, to=wf.SCHEDULED)
    assert "planned_start" in refused.value.message_dict


def test_moving_a_scheduled_change_onto_a_conflict_is_refused_unless_overridden(plan, server, change_manager):
    mine = plan([server], status=wf.SCHEDULED, start=MONDAY + timedelta(days=1))
    theirs = plan([server], status=wf.SCHEDULED)
    with pytest.raises(Conflict) as refused:
        change_update(
            record=mine, actor=change_manager, planned_start=MONDAY, planned_end=MONDAY + timedelta(hours=1)
        )
    assert refused.value.extra["conflicts"][0]["change"] == theirs.number
    mine.refresh_from_db()
    assert mine.planned_start == MONDAY + timedelta(days=1)

    mine = change_update(
        record=mine,
        actor=change_manager,
        planned_start=MONDAY,
        planned_end=MONDAY + timedelta(hours=1),
        override_reason="Both teams agreed",
    )
    mine.refresh_from_db()
    assert mine.planned_start == MONDAY
    assert (mine.conflict_override_reason, mine.conflict_override_by) == ("Both teams agreed", change_manager)
    assert AuditEvent.objects.filter(action="change.conflicts_overridden", object_id=str(mine.pk)).exists()


def test_moving_a_scheduled_change_to_a_free_slot_needs_no_override(plan, server, change_manager):
    mine = plan([server], status=wf.SCHEDULED, start=MONDAY + timedelta(days=1))
    plan([server], status=wf.SCHEDULED)
    change_update(record=mine, actor=change_manager, planned_start=MONDAY + timedelta(days=2),
                  planned_end=MONDAY + timedelta(days=2, hours=1))  # fmt: skip
    mine.refresh_from_db()
    assert mine.conflict_override_reason == ""
