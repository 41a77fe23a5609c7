from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from incidents.demo import seed_incidents_demo
from incidents.demo.data import CATEGORIES, REQUEST_TYPES
from incidents.demo.fulfilment import DEMO_TITLE as LAPTOP_DEMO
from incidents.models import Category, Incident, RequestType
from problems.demo import RECURRING_VPN
from servicedesk.kinds import format_number
from servicedesk.models import AuditEvent, TimelineEntry

# The problems demo files its recurring incidents after this demo's (for its trend task).
PROBLEMS_DEMO = [title for _requester, title in RECURRING_VPN]


def _seed_demo():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts():
    return {
        "records": Incident.objects.count(),
        "timeline": TimelineEntry.objects.count(),
        "categories": Category.objects.count(),
        "request types": RequestType.objects.count(),
        "audit events": AuditEvent.objects.count(),
    }


def _timeline(record_ids):
    entries = {}
    for object_id, created_at in (
        TimelineEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Incident), object_id__in=record_ids
        )
        .order_by("id")
        .values_list("object_id", "created_at")
    ):
        entries.setdefault(object_id, []).append(created_at)
    return entries


@pytest.fixture
def seeded(db, settings):
    """The demo desk, a little smaller than the default 300 records, for speed."""
    settings.ITSM_DEMO_RECORDS = 150
    started = timezone.now()
    output = _seed_demo()
    return {"output": output, "started": started}


def test_seed_demo_files_the_configured_number_of_records(db, settings):
    settings.ITSM_DEMO_RECORDS = 300

    output = _seed_demo()

    # And Alice's request awaiting approval, and her laptop being fulfilled (incidents.demo.fulfilment).
    assert Incident.objects.exclude(title__in=PROBLEMS_DEMO).count() == 300 + 2
    assert "300 new incidents and requests" in output
    assert "a request awaiting approval" in output
    assert Incident.objects.filter(requester__username="alice").count() >= 40


def test_seed_demo_files_records_in_every_status_kind_priority_and_channel(seeded):
    # Less the request awaiting approval, the laptop being fulfilled and the problems demo's incidents.
    records = Incident.objects.exclude(title__in=["A licence for the diagram editor", LAPTOP_DEMO]).exclude(
        title__in=PROBLEMS_DEMO
    )

    assert records.count() == 150
    by_status = dict(records.values_list("status").annotate(n=Count("id")))
    assert set(by_status) == {"new", "assigned", "in_progress", "on_hold", "resolved", "closed", "cancelled"}
    assert min(by_status.values()) >= 5
    assert set(records.filter(status="on_hold").values_list("hold_reason", flat=True)) == {
        "requester",
        "vendor",
        "change",
    }
    assert records.filter(status="closed").exclude(csat_score=None).count() >= 20
    assert set(records.values_list("kind", flat=True)) == {"incident", "request"}
    assert set(records.values_list("priority", flat=True)) == {1, 2, 3, 4, 5}
    assert set(records.values_list("channel", flat=True)) == {"portal", "email", "phone", "api", "monitoring"}
    assert records.values("service").distinct().count() >= 12
    assert records.filter(first_contact_resolution=True).exists()


def test_seed_demo_has_major_incidents_with_children_and_a_merged_duplicate(seeded):
    majors = Incident.objects.filter(is_major=True)

    assert majors.count() == 2
    assert {m.status for m in majors} == {"closed", "in_progress"}
    for major in majors:
        children = major.children.all()
        assert children.count() >= 3
        if major.status == "closed":
            assert {c.status for c in children} == {"closed"}
            assert all(
                c.resolved_at == major.resolved_at or c.resolved_at > major.created_at for c in children
            )
        else:
            assert {c.status for c in children} == {"new"}
    duplicate = Incident.objects.exclude(merged_into=None).get()
    assert (duplicate.status, duplicate.resolution_code) == ("closed", "duplicate")
    assert duplicate.merged_into.status == "in_progress"


def test_seed_demo_writes_the_records_through_the_services(seeded):
    incident_type = ContentType.objects.get_for_model(Incident)
    records = list(Incident.objects.values_list("pk", flat=True))
    created = AuditEvent.objects.filter(action="incident.created", content_type=incident_type)
    kinds = dict(
        TimelineEntry.objects.filter(content_type=incident_type).values_list("kind").annotate(n=Count("id"))
    )
    transitions = TimelineEntry.objects.filter(content_type=incident_type, kind="transition")

    assert set(created.values_list("object_id", flat=True)) == {str(pk) for pk in records}
    assert kinds["comment"] >= 50
    assert kinds["work_note"] >= 25
    assert kinds["transition"] >= 150
    assert kinds["field_change"] >= 50
    assert kinds["link"] >= 7
    assert transitions.filter(author=None, data__automatic=True, data__to="closed").count() >= 20
    assert not TimelineEntry.objects.filter(kind="work_note", is_public=True).exists()
    # Numbers were given in the order the desk saw the records: gapless per prefix.
    for prefix in ("INC", "REQ"):
        numbers = sorted(Incident.objects.filter(number__startswith=prefix).values_list("number", flat=True))
        assert numbers == [format_number(prefix, n) for n in range(1, len(numbers) + 1)]


def test_seed_demo_spreads_the_records_over_two_months_keeping_every_timeline_in_order(seeded, settings):
    now = timezone.now()
    records = list(Incident.objects.all())
    timelines = _timeline([r.pk for r in records])

    assert min(r.created_at for r in records) >= seeded["started"] - timedelta(days=61)
    assert min(r.created_at for r in records) < seeded["started"] - timedelta(days=45)
    assert len({r.created_at.date() for r in records}) >= 40
    for record in records:
        times = timelines.get(record.pk, [])
        assert times == sorted(times), record.number
        assert all(record.created_at <= time <= now for time in times), record.number
        assert record.created_at <= record.updated_at <= now
        if record.resolved_at:
            assert record.created_at <= record.resolved_at <= record.updated_at
        if record.closed_at:
            assert record.closed_at <= record.updated_at
            assert record.resolved_at is None or record.resolved_at <= record.closed_at
        if record.rated_at:
            assert record.rated_at >= record.resolved_at
    # Resolved records are younger than the auto-close delay, or the hourly task would close them now.
    due = now - timedelta(days=settings.ITSM_AUTO_CLOSE_DAYS)
    assert not Incident.objects.filter(status="resolved", resolved_at__lte=due).exists()


def test_alice_has_records_in_many_states_and_the_groups_have_unassigned_work(seeded):
    alice_statuses = set(
        Incident.objects.filter(requester__username="alice").values_list("status", flat=True)
    )
    unassigned = Incident.objects.filter(status="new", assignee=None)

    assert alice_statuses == {"new", "assigned", "in_progress", "on_hold", "resolved", "closed", "cancelled"}
    assert set(unassigned.values_list("support_group__name", flat=True)) >= {
        "Service Desk",
        "Network",
        "Applications",
    }
    assert Incident.objects.filter(requester__username="alice", status="on_hold", hold_reason="requester")
    assert set(Incident.objects.exclude(assignee=None).values_list("assignee__username", flat=True)) >= {
        "bob",
        "carol",
        "nina",
        "heidi",
        "wang",
        "dave",
        "grace",
    }
    assert set(Incident.objects.values_list("requester__username", flat=True)) >= {"alice", "tom", "liwei"}


def test_seed_demo_creates_the_catalogue(seeded):
    tops = Category.objects.filter(parent=None)
    request_types = RequestType.objects.select_related("service")

    assert set(tops.values_list("name", flat=True)) == set(CATEGORIES)
    for top in tops:
        assert set(top.subcategories.values_list("name", flat=True)) == set(CATEGORIES[top.name])
    assert request_types.count() == len(REQUEST_TYPES) + 1  # and the one that needs approval
    assert {rt.name for rt in request_types} >= {
        "New laptop",
        "Software installation",
        "Access to a shared folder",
        "New mailbox",
        "Password reset",
    }
    assert all(rt.service.ci_class.code == "business_service" for rt in request_types)
    assert RequestType.objects.get(name="New laptop").support_group.name == "Service Desk"


def test_seed_demo_has_a_request_awaiting_the_managers_approval(seeded):
    from servicedesk.approvals.selectors import approvals_pending_for_user
    from servicedesk.models import User

    carol = User.objects.get(username="carol")
    incident_type = ContentType.objects.get_for_model(Incident)
    # carol owns demo services too: the changes demo's CAB may be asking her as well.
    [approval] = [a for a in approvals_pending_for_user(user=carol) if a.content_type_id == incident_type.pk]
    record = Incident.objects.get(pk=approval.object_id)
    assert (record.requester.username, record.status) == ("alice", "new")
    assert record.request_type.approval == "manager"


def test_running_seed_demo_twice_adds_nothing(seeded):
    before = _counts()

    output = _seed_demo()

    assert _counts() == before
    assert "Incidents demo ready (0 new categories, 0 new request types, 0 new incidents" in output


def test_the_incidents_seeder_alone_makes_the_catalogue_but_no_records_without_the_demo_people(db):
    out = StringIO()

    seed_incidents_demo(out)

    assert Category.objects.filter(parent=None).count() == len(CATEGORIES)
    assert not Incident.objects.exists()
    assert "Demo incidents skipped" in out.getvalue()


def test_demo_texts_are_in_the_requesters_language(seeded):
    def chinese(text):
        return any("\u4e00" <= ch <= "\u9fff" for ch in text)

    english_readers = Incident.objects.filter(requester__username__in=["alice", "tom"])
    assert english_readers.exists()
    assert not any(chinese(d) for d in english_readers.values_list("description", flat=True))
