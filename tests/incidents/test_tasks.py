import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType

from incidents import services
from incidents.models import Incident
from incidents.tasks import close_resolved_task
from itsm.celery import app
from itsm.settings import base as base_settings
from servicedesk.models import AuditEvent, TimelineEntry

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _five_days(settings):
    settings.ITSM_AUTO_CLOSE_DAYS = 5
    settings.ITSM_REOPEN_WINDOW_DAYS = 7


def _file(requester, service, title="Outlook does not start"):
    return services.incident_create(actor=requester, title=title, service=service)


def _resolve(record, agent):
    return services.incident_transition(
        record=record, actor=agent, to="resolved", resolution_code="solved", resolution_notes="Fixed."
    )


def _status(record):
    record.refresh_from_db()
    return record.status


def _entries(record):
    return TimelineEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident), object_id=record.pk
    ).order_by("id")


def test_closes_only_records_resolved_longer_ago_than_the_delay(time_machine, requester, agent, service):
    time_machine.move_to(T0, tick=False)
    old = _resolve(_file(requester, service, "Resolved six days ago"), agent)
    time_machine.move_to(T0 + timedelta(days=1, minutes=1), tick=False)
    recent = _resolve(_file(requester, service, "Resolved five days ago, less a minute"), agent)
    time_machine.move_to(T0 + timedelta(days=6), tick=False)

    closed = services.incidents_close_resolved()

    assert closed == 1
    assert _status(old) == "closed"
    assert old.closed_at == T0 + timedelta(days=6)
    assert old.resolved_at == T0
    assert _status(recent) == "resolved"


def test_a_record_resolved_exactly_the_delay_ago_is_closed(time_machine, requester, agent, service):
    time_machine.move_to(T0, tick=False)
    record = _resolve(_file(requester, service), agent)
    time_machine.move_to(T0 + timedelta(days=5), tick=False)

    assert services.incidents_close_resolved() == 1
    assert _status(record) == "closed"


def test_the_delay_is_read_from_the_settings_when_the_service_runs(
    time_machine, settings, requester, agent, service
):
    time_machine.move_to(T0, tick=False)
    record = _resolve(_file(requester, service), agent)
    time_machine.move_to(T0 + timedelta(days=3), tick=False)
    assert services.incidents_close_resolved() == 0

    settings.ITSM_AUTO_CLOSE_DAYS = 2

    assert services.incidents_close_resolved() == 1
    assert _status(record) == "closed"


def test_the_automatic_close_is_a_public_system_transition_and_an_audit_event(
    time_machine, requester, agent, service
):
    time_machine.move_to(T0, tick=False)
    record = _resolve(_file(requester, service), agent)
    time_machine.move_to(T0 + timedelta(days=6), tick=False)

    services.incidents_close_resolved()

    entry = _entries(record).last()
    assert entry.kind == TimelineEntry.Kind.TRANSITION
    assert entry.is_public is True
    assert entry.author is None
    assert entry.created_at == T0 + timedelta(days=6)
    assert entry.data["from"] == "resolved"
    assert entry.data["to"] == "closed"
    assert entry.data["automatic"] is True
    event = AuditEvent.objects.filter(action="incident.close", object_id=str(record.pk)).get()
    assert event.actor is None
    assert event.data["to"] == "closed"


def test_a_record_reopened_by_its_requester_is_left_open(time_machine, requester, agent, service):
    time_machine.move_to(T0, tick=False)
    record = _resolve(_file(requester, service), agent)
    time_machine.move_to(T0 + timedelta(days=2), tick=False)
    services.incident_comment(record=record, actor=requester, body="It is broken again.")
    assert _status(record) == "in_progress"
    time_machine.move_to(T0 + timedelta(days=30), tick=False)

    assert services.incidents_close_resolved() == 0
    assert _status(record) == "in_progress"


def test_a_record_resolved_again_after_a_reopen_waits_from_the_new_resolution(
    time_machine, requester, agent, service
):
    time_machine.move_to(T0, tick=False)
    record = _resolve(_file(requester, service), agent)
    time_machine.move_to(T0 + timedelta(days=4), tick=False)
    services.incident_transition(record=record, actor=requester, to="in_progress", reason="Not fixed.")
    _resolve(record, agent)
    time_machine.move_to(T0 + timedelta(days=6), tick=False)

    assert services.incidents_close_resolved() == 0
    time_machine.move_to(T0 + timedelta(days=9), tick=False)
    assert services.incidents_close_resolved() == 1
    assert _status(record) == "closed"


@pytest.mark.parametrize("status", ["new", "in_progress", "on_hold", "cancelled"])
def test_records_that_are_not_resolved_are_never_closed(time_machine, requester, agent, service, status):
    time_machine.move_to(T0, tick=False)
    record = _file(requester, service)
    inputs = {
        "new": [],
        "in_progress": [("in_progress", {})],
        "on_hold": [("in_progress", {}), ("on_hold", {"hold_reason": "vendor"})],
        "cancelled": [("cancelled", {"reason": "Not needed."})],
    }[status]
    for to, extra in inputs:
        services.incident_transition(record=record, actor=agent, to=to, **extra)
    time_machine.move_to(T0 + timedelta(days=60), tick=False)

    assert services.incidents_close_resolved() == 0
    assert _status(record) == status


def test_closing_in_small_batches_closes_every_due_record_once(time_machine, requester, agent, service):
    time_machine.move_to(T0, tick=False)
    records = [_resolve(_file(requester, service, f"Record {n}"), agent) for n in range(5)]
    time_machine.move_to(T0 + timedelta(days=6), tick=False)

    assert services.incidents_close_resolved(batch_size=2) == 5
    assert services.incidents_close_resolved(batch_size=2) == 0
    assert {_status(record) for record in records} == {"closed"}
    assert AuditEvent.objects.filter(action="incident.close").count() == 5


def test_the_task_runs_the_service_and_says_how_many_it_closed(time_machine, requester, agent, service):
    time_machine.move_to(T0, tick=False)
    record = _resolve(_file(requester, service), agent)
    time_machine.move_to(T0 + timedelta(days=6), tick=False)

    assert close_resolved_task() == 1
    assert close_resolved_task() == 0
    assert _status(record) == "closed"


def test_the_task_is_registered_under_its_name_and_enqueued_by_it(time_machine, requester, agent, service):
    time_machine.move_to(T0, tick=False)
    record = _resolve(_file(requester, service), agent)
    time_machine.move_to(T0 + timedelta(days=6), tick=False)

    registered = app.tasks["incidents.close_resolved"]
    assert registered.name == close_resolved_task.name
    assert registered.run.__module__ == "incidents.tasks"
    result = app.signature("incidents.close_resolved").delay()  # eager in the test settings

    assert result.get() == 1
    assert _status(record) == "closed"


def test_the_beat_schedule_runs_the_auto_close_hourly():
    entry = base_settings.CELERY_BEAT_SCHEDULE["incidents.close_resolved"]

    assert entry["task"] == "incidents.close_resolved"
    assert entry["schedule"] == timedelta(hours=1)
    assert entry["task"] in app.tasks


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_closes_a_record_resolved_past_the_delay(celery_worker):
    from servicedesk import roles
    from tests.factories import SupportGroupFactory, UserFactory
    from tests.incidents.factories import BusinessServiceFactory

    requester = UserFactory(roles=[roles.REQUESTER])
    agent = UserFactory(roles=[roles.AGENT])
    service = BusinessServiceFactory(support_group=SupportGroupFactory(members=[agent]))
    with time_machine.travel(datetime.now(tz=UTC) - timedelta(days=10), tick=False):
        record = _resolve(_file(requester, service), agent)
        still_recent = _file(requester, service, "Filed ten days ago, still open")

    app.send_task("incidents.close_resolved")

    deadline = time.monotonic() + 20
    while _status(record) != "closed" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert record.status == "closed", "the worker did not close the record within 20 s"
    assert _status(still_recent) == "new"
    assert _entries(record).last().data["automatic"] is True
