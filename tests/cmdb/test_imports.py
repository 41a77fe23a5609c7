from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from cmdb.models import CIRelationship, ConfigurationItem, ImportJob, ImportRow
from cmdb.services.imports import _process_batch, import_process, import_start, imports_resume
from servicedesk.errors import PermissionDenied
from servicedesk.models import AuditEvent
from servicedesk.roles import AGENT, CONFIGURATION_MANAGER

from ..factories import SupportGroupFactory, UserFactory

pytestmark = pytest.mark.django_db

ROWS = [
    {
        "class": "location",
        "name": "London DC",
        "external_id": "loc-1",
        "attributes": {"site_type": "datacentre"},
    },
    {
        "class": "server",
        "name": "srv-01",
        "hostname": "SRV-01.example.com",
        "serial_number": "SN-1",
        "status": "in_production",
        "location": "London DC",
        "support_group": "Network",
        "attributes": {"cpu_count": 8, "ip_address": "10.0.0.1"},
    },
    {"class": "server", "name": "srv-02", "asset_tag": "AT-2", "attributes": {"cpu_count": 2}},
    {"class": "application", "name": "CRM", "external_id": "app-crm", "version": "4.1"},
]


@pytest.fixture
def manager():
    SupportGroupFactory(name="Network")
    return UserFactory(roles=[CONFIGURATION_MANAGER])


def _report(job):
    job.refresh_from_db()
    return {
        name: getattr(job, name)
        for name in ("total", "processed", "created", "updated", "unchanged", "rejected")
    }


def test_an_import_creates_the_cis_and_reports_each_row(manager):
    job = import_start(actor=manager, kind="cis", rows=ROWS)

    assert job.status == ImportJob.Status.FINISHED
    assert _report(job) == {
        "total": 4,
        "processed": 4,
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    server = ConfigurationItem.objects.get(serial_number="SN-1")
    assert server.status == "in_production"
    assert server.location.name == "London DC"
    assert server.support_group.name == "Network"
    assert server.attributes == {"cpu_count": 8, "ip_address": "10.0.0.1"}
    assert server.history.first().history_change_reason == f"import:{job.pk}"
    assert server.history.first().history_user == manager


def test_the_same_rows_twice_change_nothing_the_second_time(manager):
    import_start(actor=manager, kind="cis", rows=ROWS)
    events = AuditEvent.objects.filter(action__startswith="ci.").count()
    history = ConfigurationItem.history.count()

    second = import_start(actor=manager, kind="cis", rows=ROWS)

    assert _report(second) == {
        "total": 4,
        "processed": 4,
        "created": 0,
        "updated": 0,
        "unchanged": 4,
        "rejected": 0,
    }
    assert AuditEvent.objects.filter(action__startswith="ci.").count() == events
    assert ConfigurationItem.history.count() == history


def test_rows_match_by_identifier_in_order_and_update_what_changed(manager):
    import_start(actor=manager, kind="cis", rows=ROWS)

    job = import_start(
        actor=manager,
        kind="cis",
        rows=[
            {"hostname": "srv-01.EXAMPLE.com", "attributes": {"memory_gb": 64}, "status": "in_maintenance"},
            {"asset_tag": "AT-2", "name": "srv-02", "version": "2"},
            {"class": "application", "name": "CRM"},
        ],
    )

    assert _report(job)["updated"] == 2
    assert _report(job)["unchanged"] == 1
    server = ConfigurationItem.objects.get(serial_number="SN-1")
    assert server.attributes == {"cpu_count": 8, "ip_address": "10.0.0.1", "memory_gb": 64}
    assert server.status == "in_maintenance"
    assert ConfigurationItem.objects.get(asset_tag="AT-2").version == "2"


def test_a_bad_row_is_rejected_with_its_reason_while_good_rows_apply(manager):
    job = import_start(
        actor=manager,
        kind="cis",
        rows=[
            {"class": "server", "name": "ok-1", "attributes": {"cpu_count": 1}},
            {"class": "server", "name": "bad", "attributes": {"cpu_count": 0}},
            {"class": "spaceship", "name": "nope"},
            {"name": "no class"},
            {"class": "server", "name": "ok-2", "owner": "nobody-here"},
        ],
    )

    assert _report(job)["created"] == 1
    assert _report(job)["rejected"] == 4
    rejected = {row.number: row.errors for row in job.rows.filter(outcome=ImportRow.Outcome.REJECTED)}
    assert rejected[2] == {"attributes.cpu_count": ["Must be at least 1."]}
    assert rejected[3] == {"class": ["Unknown class."]}
    assert rejected[4] == {"non_field_errors": ["A new CI needs at least a class and a name."]}
    assert rejected[5] == {"owner": ["No user with this username."]}
    assert not ConfigurationItem.objects.filter(name__in=["bad", "nope", "no class", "ok-2"]).exists()


def test_identifiers_naming_different_cis_reject_the_row(manager):
    import_start(actor=manager, kind="cis", rows=ROWS)

    job = import_start(
        actor=manager, kind="cis", rows=[{"serial_number": "SN-1", "asset_tag": "AT-2", "version": "9"}]
    )

    [row] = job.rows.all()
    assert row.outcome == ImportRow.Outcome.REJECTED
    assert "different CIs" in row.errors["non_field_errors"][0]


def test_an_illegal_status_change_rejects_the_row_and_changes_nothing(manager):
    import_start(actor=manager, kind="cis", rows=ROWS)

    job = import_start(
        actor=manager, kind="cis", rows=[{"asset_tag": "AT-2", "version": "3", "status": "in_maintenance"}]
    )

    [row] = job.rows.all()
    assert row.outcome == ImportRow.Outcome.REJECTED
    assert ConfigurationItem.objects.get(asset_tag="AT-2").version == ""


def test_relationships_import_the_same_way_and_are_idempotent(manager):
    import_start(actor=manager, kind="cis", rows=ROWS)
    rows = [
        {
            "source": {"external_id": "app-crm"},
            "target": {"hostname": "srv-01.example.com"},
            "type": "runs_on",
        },
        {
            "source": {"class": "location", "name": "London DC"},
            "target": {"serial_number": "SN-1"},
            "type": "contains",
        },
        {"source": {"external_id": "app-crm"}, "target": {"external_id": "missing"}, "type": "runs_on"},
        {"source": {"external_id": "app-crm"}, "target": {"external_id": "app-crm"}, "type": "depends_on"},
        {"source": {"external_id": "app-crm"}, "target": {"asset_tag": "AT-2"}, "type": "teleports_to"},
    ]

    first = import_start(actor=manager, kind="relationships", rows=rows)
    second = import_start(actor=manager, kind="relationships", rows=rows)

    assert (_report(first)["created"], _report(first)["rejected"]) == (2, 3)
    assert (_report(second)["unchanged"], _report(second)["rejected"]) == (2, 3)
    assert CIRelationship.objects.count() == 2
    errors = {row.number: row.errors for row in first.rows.filter(outcome=ImportRow.Outcome.REJECTED)}
    assert errors[3] == {"target": ["No CI matches."]}
    assert errors[4] == {"target": ["A CI cannot be related to itself."]}
    assert errors[5] == {"type": ["Unknown relationship type."]}


@override_settings(ITSM_CMDB_IMPORT_INLINE_ROWS=2)
def test_a_large_import_is_queued_and_a_worker_finishes_it(manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = import_start(actor=manager, kind="cis", rows=ROWS)

    assert job.status == ImportJob.Status.QUEUED
    assert len(callbacks) == 1
    callbacks[0]()  # the task runs eagerly in the test settings
    assert _report(job)["created"] == 4
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FINISHED
    assert job.percent == 100


@override_settings(ITSM_CMDB_IMPORT_INLINE_ROWS=2)
def test_processing_resumes_where_a_killed_worker_stopped(
    manager, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=False):
        job = import_start(actor=manager, kind="cis", rows=ROWS)
    monkeypatch.setattr("cmdb.services.imports.BATCH", 1)
    _process_batch(job)  # the worker dies after its first batch

    import_process(job_id=job.pk)

    assert _report(job) == {
        "total": 4,
        "processed": 4,
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert ConfigurationItem.objects.filter(name="London DC").count() == 1


@override_settings(ITSM_CMDB_IMPORT_INLINE_ROWS=2)
def test_a_broker_outage_delays_a_large_import_and_the_resume_sweep_runs_it(
    manager, django_capture_on_commit_callbacks, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("the broker is down")

    monkeypatch.setattr("cmdb.tasks.import_process_task.delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        job = import_start(actor=manager, kind="cis", rows=ROWS)  # answers; the job waits

    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED
    assert imports_resume() == 0  # its task may still come
    assert imports_resume(now=timezone.now() + timedelta(minutes=3)) == 1
    assert _report(job)["created"] == 4
    assert imports_resume(now=timezone.now() + timedelta(minutes=3)) == 0


def test_only_people_who_may_import_can(db):
    with pytest.raises(PermissionDenied):
        import_start(actor=UserFactory(roles=[AGENT]), kind="cis", rows=ROWS)


@pytest.mark.parametrize("rows", [[], "text", [1, 2], None])
def test_rows_must_be_a_list_of_objects(manager, rows):
    with pytest.raises(ValidationError):
        import_start(actor=manager, kind="cis", rows=rows)


def test_rows_with_null_characters_are_refused_whole(manager):
    with pytest.raises(ValidationError) as caught:
        import_start(actor=manager, kind="cis", rows=[{"class": "server", "name": "a\x00b"}])

    assert caught.value.message_dict == {"rows": ["Null characters are not allowed."]}
    assert not ImportJob.objects.exists()
