import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from cmdb.models import CIClass
from incidents import selectors, services
from incidents import workflow as wf
from incidents.models import Incident
from servicedesk.errors import PermissionDenied
from servicedesk.models import AuditEvent, TimelineEntry

from .factories import BusinessServiceFactory
from .helpers import drive_to


@pytest.fixture
def new_record(requester, service):
    def _make(title="Mail is down", actor=None, **kwargs):
        return services.incident_create(actor=actor or requester, title=title, service=service, **kwargs)

    return _make


def links(record, **data):
    entries = TimelineEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident), object_id=record.pk, kind="link"
    )
    return [e for e in entries if all(e.data.get(k) == v for k, v in data.items())]


def server():
    return BusinessServiceFactory(ci_class=CIClass.objects.get(code="server"))


# parent / child


def test_set_parent_links_the_child_and_records_it_on_both(new_record, agent):
    parent, child = new_record("master"), new_record("child")
    version = child.version
    child = services.incident_set_parent(record=child, actor=agent, parent=parent)
    child.refresh_from_db()
    assert child.parent == parent
    assert child.version == version + 1
    assert links(child, link="parent", to=parent.number)
    assert links(parent, link="child_added", number=child.number)
    assert AuditEvent.objects.filter(action="incident.parent_changed", object_id=str(child.pk)).count() == 1


def test_setting_the_same_parent_again_changes_nothing(new_record, agent):
    parent, child = new_record(), new_record()
    child = services.incident_set_parent(record=child, actor=agent, parent=parent)
    version = child.version
    child = services.incident_set_parent(record=child, actor=agent, parent=parent)
    assert child.version == version


def test_record_cannot_be_its_own_parent(new_record, agent):
    record = new_record()
    with pytest.raises(ValidationError):
        services.incident_set_parent(record=record, actor=agent, parent=record)


def test_child_cannot_become_a_parent(new_record, agent):
    grandparent, parent, child = new_record(), new_record(), new_record()
    services.incident_set_parent(record=parent, actor=agent, parent=grandparent)
    with pytest.raises(ValidationError):
        services.incident_set_parent(record=child, actor=agent, parent=parent)


def test_parent_cannot_become_a_child(new_record, agent):
    parent, child, other = new_record(), new_record(), new_record()
    services.incident_set_parent(record=child, actor=agent, parent=parent)
    with pytest.raises(ValidationError):
        services.incident_set_parent(record=parent, actor=agent, parent=other)


def test_parent_of_another_kind_is_refused(new_record, requester, agent, request_type):
    record = new_record()
    request = services.incident_create(actor=requester, kind="request", title="r", request_type=request_type)
    with pytest.raises(ValidationError):
        services.incident_set_parent(record=record, actor=agent, parent=request)


@pytest.mark.parametrize("status", [wf.CLOSED, wf.CANCELLED])
def test_final_parent_is_refused(new_record, agent, status):
    parent = drive_to(new_record(), status, agent=agent)
    with pytest.raises(ValidationError):
        services.incident_set_parent(record=new_record(), actor=agent, parent=parent)


@pytest.mark.parametrize("status", [wf.CLOSED, wf.CANCELLED])
def test_final_record_cannot_be_linked(new_record, agent, status):
    record = drive_to(new_record(), status, agent=agent)
    with pytest.raises(PermissionDenied):
        services.incident_set_parent(record=record, actor=agent, parent=new_record())


@pytest.mark.parametrize("role", ["requester", "other_requester"])
def test_non_agent_cannot_link(request, new_record, role):
    with pytest.raises(PermissionDenied):
        services.incident_set_parent(
            record=new_record(), actor=request.getfixturevalue(role), parent=new_record()
        )


def test_children_resolve_with_their_parent_and_take_its_resolution(new_record, agent):
    parent = new_record("master")
    children = [
        drive_to(new_record(f"c{i}"), status, agent=agent) for i, status in enumerate(wf.OPEN_STATUSES)
    ]
    for child in children:
        services.incident_set_parent(record=child, actor=agent, parent=parent)
    services.incident_transition(
        record=parent,
        actor=agent,
        to=wf.RESOLVED,
        resolution_code="workaround",
        resolution_notes="Use webmail.",
    )
    for child in children:
        child.refresh_from_db()
        assert child.status == wf.RESOLVED
        assert child.resolution_code == "workaround"
        assert parent.number in child.resolution_notes
        assert "Use webmail." in child.resolution_notes
        assert child.hold_reason == ""
        entry = TimelineEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Incident), object_id=child.pk, kind="transition"
        ).last()
        assert entry.data["automatic"] is True
        assert entry.is_public


def test_resolved_child_is_left_as_it_is_when_the_parent_resolves(new_record, agent):
    parent, child = new_record(), new_record()
    services.incident_set_parent(record=child, actor=agent, parent=parent)
    child = services.incident_transition(
        record=child, actor=agent, to=wf.RESOLVED, resolution_code="advice", resolution_notes="Own fix."
    )
    services.incident_transition(
        record=parent, actor=agent, to=wf.RESOLVED, resolution_code="solved", resolution_notes="Fixed."
    )
    child.refresh_from_db()
    assert (child.resolution_code, child.resolution_notes) == ("advice", "Own fix.")


def test_detached_child_no_longer_resolves_with_the_parent(new_record, agent):
    parent, child = new_record(), new_record()
    services.incident_set_parent(record=child, actor=agent, parent=parent)
    child = services.incident_set_parent(record=child, actor=agent, parent=None)
    assert child.parent is None
    assert links(parent, link="child_removed", number=child.number)
    services.incident_transition(
        record=parent, actor=agent, to=wf.RESOLVED, resolution_code="solved", resolution_notes="Fixed."
    )
    child.refresh_from_db()
    assert child.status == wf.NEW


def test_detaching_a_record_without_parent_changes_nothing(new_record, agent):
    record = new_record()
    version = record.version
    assert services.incident_set_parent(record=record, actor=agent, parent=None).version == version


# merge


def test_merge_closes_the_duplicate_as_such(new_record, agent):
    target, duplicate = new_record("master"), drive_to(new_record("dup"), wf.ON_HOLD, agent=agent)
    result = services.incident_merge(duplicate=duplicate, target=target, actor=agent)
    assert result.pk == target.pk
    duplicate.refresh_from_db()
    assert duplicate.status == wf.CLOSED
    assert duplicate.resolution_code == Incident.ResolutionCode.DUPLICATE
    assert duplicate.merged_into == target
    assert duplicate.closed_at is not None
    assert duplicate.hold_reason == ""
    assert target.number in duplicate.resolution_notes
    assert links(target, link="merged", number=duplicate.number)
    assert AuditEvent.objects.filter(action="incident.merged", object_id=str(duplicate.pk)).exists()


def test_merge_moves_children_and_affected_cis_to_the_target(new_record, agent):
    target, duplicate = new_record(), new_record()
    shared, own = server(), server()
    services.incident_update(record=target, actor=agent, affected_cis=[shared])
    services.incident_update(record=duplicate, actor=agent, affected_cis=[shared, own])
    children = [new_record(), new_record()]
    for child in children:
        services.incident_set_parent(record=child, actor=agent, parent=duplicate)
    services.incident_merge(duplicate=duplicate, target=target, actor=agent)
    assert set(target.affected_cis.all()) == {shared, own}
    assert {c.pk for c in target.children.all()} == {c.pk for c in children}
    duplicate.refresh_from_db()
    assert duplicate.parent is None
    assert not duplicate.children.exists()


def test_duplicates_timeline_shows_in_the_targets_for_agents_only(new_record, agent, other_requester):
    target = new_record("master", actor=agent, requester=other_requester)
    duplicate = new_record("dup")
    note = services.incident_comment(record=duplicate, actor=agent, body="Internal", is_public=False)
    reply = services.incident_comment(record=duplicate, actor=duplicate.requester, body="Private to me")
    services.incident_merge(duplicate=duplicate, target=target, actor=agent)
    seen_by_agent = set(selectors.incident_timeline(record=target, user=agent).values_list("pk", flat=True))
    assert {note.pk, reply.pk} <= seen_by_agent
    seen_by_requester = list(selectors.incident_timeline(record=target, user=other_requester))
    assert all(entry.object_id == target.pk and entry.is_public for entry in seen_by_requester)


def test_cannot_merge_into_itself(new_record, agent):
    record = new_record()
    with pytest.raises(ValidationError):
        services.incident_merge(duplicate=record, target=record, actor=agent)


@pytest.mark.parametrize("status", [wf.CLOSED, wf.CANCELLED])
def test_cannot_merge_into_a_final_record(new_record, agent, status):
    target = drive_to(new_record(), status, agent=agent)
    duplicate = new_record()
    with pytest.raises((ValidationError, PermissionDenied)):
        services.incident_merge(duplicate=duplicate, target=target, actor=agent)
    duplicate.refresh_from_db()
    assert duplicate.status == wf.NEW


def test_cannot_merge_a_final_record(new_record, agent):
    duplicate = drive_to(new_record(), wf.CANCELLED, agent=agent)
    with pytest.raises((ValidationError, PermissionDenied)):
        services.incident_merge(duplicate=duplicate, target=new_record(), actor=agent)


def test_cannot_merge_records_of_different_kinds(new_record, requester, agent, request_type):
    request = services.incident_create(actor=requester, kind="request", title="r", request_type=request_type)
    with pytest.raises(ValidationError):
        services.incident_merge(duplicate=new_record(), target=request, actor=agent)


def test_cannot_merge_a_parent_into_its_own_child(new_record, agent):
    parent, child = new_record(), new_record()
    services.incident_set_parent(record=child, actor=agent, parent=parent)
    with pytest.raises(ValidationError):
        services.incident_merge(duplicate=parent, target=child, actor=agent)


def test_cannot_merge_a_parent_into_a_child_of_another(new_record, agent):
    master, target, duplicate, child = new_record(), new_record(), new_record(), new_record()
    services.incident_set_parent(record=target, actor=agent, parent=master)
    services.incident_set_parent(record=child, actor=agent, parent=duplicate)
    with pytest.raises(ValidationError):
        services.incident_merge(duplicate=duplicate, target=target, actor=agent)
    child.refresh_from_db()
    assert child.parent_id == duplicate.pk


def test_child_merged_into_its_parent_leaves_the_family(new_record, agent):
    parent, child = new_record(), new_record()
    services.incident_set_parent(record=child, actor=agent, parent=parent)
    services.incident_merge(duplicate=child, target=parent, actor=agent)
    child.refresh_from_db()
    assert (child.parent, child.merged_into, child.status) == (None, parent, wf.CLOSED)


@pytest.mark.parametrize("role", ["requester", "other_requester"])
def test_non_agent_cannot_merge(request, new_record, role):
    duplicate = new_record()
    with pytest.raises(PermissionDenied):
        services.incident_merge(duplicate=duplicate, target=new_record(), actor=request.getfixturevalue(role))


def test_merged_duplicate_cannot_be_rated(new_record, agent, requester):
    duplicate = new_record()
    services.incident_merge(duplicate=duplicate, target=new_record(), actor=agent)
    duplicate.refresh_from_db()
    from servicedesk.errors import Conflict

    with pytest.raises(Conflict):
        services.incident_rate(record=duplicate, actor=requester, score=5)


def test_merge_moves_the_version_of_the_children_it_moves(new_record, agent):
    target, duplicate, child = new_record(), new_record(), new_record()
    child = services.incident_set_parent(record=child, actor=agent, parent=duplicate)
    version = child.version
    services.incident_merge(duplicate=duplicate, target=target, actor=agent)
    child.refresh_from_db()
    assert child.parent == target
    assert child.version == version + 1


def test_earlier_duplicates_follow_the_merge_to_the_new_target(new_record, agent):
    first, second, final = new_record(), new_record(), new_record()
    services.incident_merge(duplicate=first, target=second, actor=agent)
    services.incident_merge(duplicate=second, target=final, actor=agent)
    first.refresh_from_db()
    assert first.merged_into == final
    assert set(final.duplicates.all()) == {first, second}
