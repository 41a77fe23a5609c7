from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cmdb.models import CIClass
from incidents import services
from incidents import workflow as wf
from incidents.models import Incident
from incidents.selectors import incident_queue
from servicedesk.errors import Conflict, PermissionDenied, StaleWrite
from servicedesk.models import (
    Attachment,
    AuditEvent,
    NumberSequence,
    PriorityRule,
    SupportGroup,
    TimelineEntry,
)
from servicedesk.services.people import support_group_create

from ..factories import SupportGroupFactory, UserFactory
from .factories import BusinessServiceFactory, CategoryFactory, RequestTypeFactory
from .helpers import drive_to

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def png(name="screen.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def text(name="log.txt", content=b"error 42\n"):
    return SimpleUploadedFile(name, content, content_type="text/plain")


def stored_files(settings) -> list[Path]:
    root = Path(settings.ITSM_ATTACHMENT_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def entries(record, **filters):
    return TimelineEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident), object_id=record.pk, **filters
    )


def events(record, **filters):
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident), object_id=str(record.pk), **filters
    )


# incident_create: routing and priority


def test_create_routes_a_request_to_its_request_types_group(requester, service):
    fulfilment = SupportGroupFactory(name="Fulfilment")
    request_type = RequestTypeFactory(service=service, support_group=fulfilment)
    record = services.incident_create(
        actor=requester, kind="request", title="Laptop", request_type=request_type
    )
    assert record.support_group == fulfilment
    assert record.service == service
    assert record.number.startswith("REQ")


def test_create_routes_a_request_without_a_group_to_its_services_group(requester, service, support_group):
    request_type = RequestTypeFactory(service=service)
    record = services.incident_create(
        actor=requester, kind="request", title="Laptop", request_type=request_type
    )
    assert record.support_group == support_group


def test_create_routes_to_the_services_group(requester, service, support_group):
    record = services.incident_create(actor=requester, title="Mail down", service=service)
    assert record.support_group == support_group


def test_create_without_service_routes_to_the_default_group_not_the_first_by_name(requester):
    SupportGroupFactory(name="A desk (closed)", tier=SupportGroup.Tier.TIER1, is_active=False)
    SupportGroupFactory(name="B desk", tier=SupportGroup.Tier.TIER1)
    desk = SupportGroupFactory(name="C desk", tier=SupportGroup.Tier.TIER1, is_default=True)
    SupportGroupFactory(name="0 second line", tier=SupportGroup.Tier.TIER2)
    record = services.incident_create(actor=requester, title="Something")
    assert record.support_group == desk


def test_a_new_first_line_group_does_not_capture_unclassified_records(requester, administrator):
    desk = SupportGroupFactory(name="Service Desk", tier=SupportGroup.Tier.TIER1, is_default=True)
    support_group_create(actor=administrator, name="Accounts payable helpers")  # tier 1 by default

    record = services.incident_create(actor=requester, title="Something")

    assert record.support_group == desk


def test_without_a_default_group_an_unclassified_record_has_no_group_and_waits_in_every_unassigned_queue(
    requester, support_group, agent
):
    SupportGroupFactory(name="A desk", tier=SupportGroup.Tier.TIER1)

    record = services.incident_create(actor=requester, title="Something")

    assert record.support_group is None
    assert record in incident_queue(user=agent, view="groups")


def test_create_skips_an_inactive_services_group(requester, support_group):
    support_group.is_active = False
    support_group.save(update_fields=["is_active"])
    desk = SupportGroupFactory(name="Desk", tier=SupportGroup.Tier.TIER1, is_default=True)
    service = BusinessServiceFactory(support_group=support_group)
    record = services.incident_create(actor=requester, title="Something", service=service)
    assert record.support_group == desk


def test_create_without_any_group_leaves_it_unrouted(requester):
    record = services.incident_create(actor=requester, title="Something")
    assert record.support_group is None
    assert record.status == wf.NEW


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [(1, 1, 1), (1, 2, 2), (1, 3, 3), (2, 1, 2), (2, 2, 3), (2, 3, 4), (3, 1, 3), (3, 2, 4), (3, 3, 5)],
)
def test_create_takes_priority_from_the_matrix(agent, service, impact, urgency, priority):
    record = services.incident_create(actor=agent, title="x", service=service, impact=impact, urgency=urgency)
    assert record.priority == priority


def test_create_uses_an_edited_matrix_cell(agent, service):
    PriorityRule.objects.update_or_create(impact=2, urgency=2, defaults={"priority": 1})
    record = services.incident_create(actor=agent, title="x", service=service, impact=2, urgency=2)
    assert record.priority == 1


def test_requester_files_with_user_impact(requester, service):
    record = services.incident_create(actor=requester, title="x", service=service, urgency=1)
    assert (record.impact, record.urgency, record.priority) == (3, 1, 3)
    assert record.channel == Incident.Channel.PORTAL
    assert record.requester == requester
    assert record.created_by == requester


def test_request_takes_its_types_default_urgency(requester, service):
    request_type = RequestTypeFactory(service=service, urgency=1)
    record = services.incident_create(actor=requester, kind="request", title="x", request_type=request_type)
    assert record.urgency == 1


def test_create_writes_an_audit_event(requester, service):
    record = services.incident_create(actor=requester, title="x", service=service)
    (event,) = events(record)
    assert event.action == "incident.created"
    assert event.data["priority"] == record.priority


# incident_create: who may set what


@pytest.mark.parametrize(
    "field", ["support_group", "assignee", "impact", "affected_cis"], ids=lambda f: f"requester sets {f}"
)
def test_requester_cannot_set_agent_fields(requester, agent, service, support_group, field):
    value = {
        "support_group": support_group,
        "assignee": agent,
        "impact": 1,
        "affected_cis": [BusinessServiceFactory()],
    }[field]
    with pytest.raises(PermissionDenied):
        services.incident_create(actor=requester, title="x", service=service, **{field: value})
    assert not Incident.objects.exists()


def test_requester_cannot_file_for_someone_else(requester, other_requester, service):
    with pytest.raises(PermissionDenied):
        services.incident_create(actor=requester, requester=other_requester, title="x", service=service)


def test_user_without_a_role_cannot_file(service):
    nobody = UserFactory()
    with pytest.raises(PermissionDenied):
        services.incident_create(actor=nobody, title="x", service=service)


def test_agent_files_for_a_caller_by_phone(agent, requester, service, support_group):
    server = BusinessServiceFactory(ci_class=CIClass.objects.get(code="server"))
    record = services.incident_create(
        actor=agent,
        requester=requester,
        title="Printer jam",
        service=service,
        impact=2,
        urgency=1,
        support_group=support_group,
        assignee=agent,
        affected_cis=[server],
    )
    assert record.requester == requester
    assert record.created_by == agent
    assert record.channel == Incident.Channel.PHONE
    assert record.priority == 2
    assert record.assignee == agent
    assert record.status == wf.ASSIGNED
    assert list(record.affected_cis.all()) == [server]


def test_agent_filing_for_themself_uses_the_given_channel(agent, service):
    record = services.incident_create(actor=agent, title="x", service=service, channel="monitoring")
    assert record.channel == Incident.Channel.MONITORING


def test_agent_cannot_file_for_an_inactive_person(agent, requester, service):
    requester.is_active = False
    requester.save(update_fields=["is_active"])
    with pytest.raises(ValidationError):
        services.incident_create(actor=agent, requester=requester, title="x", service=service)


# incident_create: classification


def test_request_without_a_request_type_is_refused(requester, service):
    with pytest.raises(ValidationError) as caught:
        services.incident_create(actor=requester, kind="request", title="x", service=service)
    assert "request_type" in caught.value.message_dict


def test_incident_with_a_request_type_is_refused(requester, request_type):
    with pytest.raises(ValidationError) as caught:
        services.incident_create(actor=requester, title="x", request_type=request_type)
    assert "request_type" in caught.value.message_dict


def test_inactive_request_type_is_refused(requester, service):
    request_type = RequestTypeFactory(service=service, is_active=False)
    with pytest.raises(ValidationError):
        services.incident_create(actor=requester, kind="request", title="x", request_type=request_type)


def test_request_type_of_another_service_is_refused(requester, service, request_type):
    other = BusinessServiceFactory()
    with pytest.raises(ValidationError) as caught:
        services.incident_create(
            actor=requester, kind="request", title="x", service=other, request_type=request_type
        )
    assert "service" in caught.value.message_dict


def test_unknown_kind_is_refused(requester, service):
    with pytest.raises(ValidationError):
        services.incident_create(actor=requester, kind="problem", title="x", service=service)
    assert not Incident.objects.exists()


def test_subcategory_of_another_category_is_refused(requester, service, category):
    other = CategoryFactory(name="Hardware")
    foreign = CategoryFactory(name="Printer", parent=other)
    with pytest.raises(ValidationError) as caught:
        services.incident_create(
            actor=requester, title="x", service=service, category=category, subcategory=foreign
        )
    assert "subcategory" in caught.value.message_dict


def test_subcategory_without_category_is_refused(requester, service, subcategory):
    with pytest.raises(ValidationError):
        services.incident_create(actor=requester, title="x", service=service, subcategory=subcategory)


def test_subcategory_as_category_is_refused(requester, service, subcategory):
    with pytest.raises(ValidationError) as caught:
        services.incident_create(actor=requester, title="x", service=service, category=subcategory)
    assert "category" in caught.value.message_dict


def test_category_and_its_subcategory_are_accepted(requester, service, category, subcategory):
    record = services.incident_create(
        actor=requester, title="x", service=service, category=category, subcategory=subcategory
    )
    assert (record.category, record.subcategory) == (category, subcategory)


def test_retired_service_is_refused(requester):
    retired = BusinessServiceFactory(status="retired")
    with pytest.raises(ValidationError) as caught:
        services.incident_create(actor=requester, title="x", service=retired)
    assert "service" in caught.value.message_dict


def test_ci_that_is_not_a_business_service_is_refused_as_service(requester):
    server = BusinessServiceFactory(ci_class=CIClass.objects.get(code="server"))
    with pytest.raises(ValidationError) as caught:
        services.incident_create(actor=requester, title="x", service=server)
    assert "service" in caught.value.message_dict


def test_assignee_outside_the_group_is_refused(agent, service):
    outsider = UserFactory(roles=["Agent"])
    with pytest.raises(ValidationError) as caught:
        services.incident_create(actor=agent, title="x", service=service, assignee=outsider)
    assert "assignee" in caught.value.message_dict
    assert not Incident.objects.exists()


def test_blank_title_is_refused(requester, service):
    with pytest.raises(ValidationError):
        services.incident_create(actor=requester, title="   ", service=service)


# incident_create: attachments


def test_create_with_an_attachment_stores_it_publicly(requester, service, settings):
    record = services.incident_create(actor=requester, title="x", service=service, uploads=[png()])
    (entry,) = entries(record, kind=TimelineEntry.Kind.ATTACHMENT)
    assert entry.is_public
    (attachment,) = entry.attachments.all()
    assert attachment.name == "screen.png"
    assert attachment.media_type == "image/png"
    assert len(stored_files(settings)) == 1


@pytest.mark.parametrize(
    "uploads",
    [
        pytest.param(lambda: [SimpleUploadedFile("big.txt", b"a" * 101)], id="too large"),
        pytest.param(lambda: [SimpleUploadedFile("run.exe", b"MZ" + b"\x00" * 10)], id="type"),
        pytest.param(lambda: [SimpleUploadedFile("fake.png", b"not a png at all")], id="magic bytes"),
        pytest.param(lambda: [png(), SimpleUploadedFile("fake.pdf", b"hello")], id="second file bad"),
    ],
)
def test_create_with_a_refused_attachment_creates_nothing(requester, service, settings, uploads):
    settings.ITSM_ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(ValidationError) as caught:
        services.incident_create(actor=requester, title="x", service=service, uploads=uploads())
    assert "attachments" in caught.value.message_dict
    assert not Incident.objects.exists()
    assert not TimelineEntry.objects.exists()
    assert not Attachment.objects.exists()
    assert not AuditEvent.objects.filter(action="incident.created").exists()
    assert stored_files(settings) == []


def test_refused_create_gives_its_number_back(requester, service):
    with pytest.raises(ValidationError):
        services.incident_create(
            actor=requester, title="x", service=service, uploads=[SimpleUploadedFile("a.exe", b"MZ")]
        )
    record = services.incident_create(actor=requester, title="x", service=service)
    assert record.number == "INC0000001"


# incident_update


@pytest.fixture
def worked(incident, agent):
    return drive_to(incident, wf.IN_PROGRESS, agent=agent)


def test_update_recomputes_priority_and_records_the_change(worked, agent):
    version = worked.version
    record = services.incident_update(record=worked, actor=agent, impact=1, urgency=1, title="All mail down")
    record.refresh_from_db()
    assert record.priority == 1
    assert record.version == version + 1
    (entry,) = entries(record, kind=TimelineEntry.Kind.FIELD_CHANGE)
    assert not entry.is_public
    assert entry.data["changes"]["priority"] == {"from": 4, "to": 1}
    assert entry.data["changes"]["title"]["to"] == "All mail down"
    (event,) = events(record, action="incident.updated")
    assert event.data["impact"] == {"from": 3, "to": 1}


def test_update_without_a_change_writes_nothing(worked, agent):
    version = worked.version
    record = services.incident_update(record=worked, actor=agent, title=worked.title)
    assert record.version == version
    assert not entries(record, kind=TimelineEntry.Kind.FIELD_CHANGE).exists()


def test_update_of_affected_cis_is_recorded(worked, agent):
    server = BusinessServiceFactory(ci_class=CIClass.objects.get(code="server"))
    record = services.incident_update(record=worked, actor=agent, affected_cis=[server])
    assert list(record.affected_cis.all()) == [server]
    (entry,) = entries(record, kind=TimelineEntry.Kind.FIELD_CHANGE)
    assert entry.data["changes"]["affected_cis"] == {
        "from": [],
        "to": [server.pk],
        "from_label": "",
        "to_label": server.name,
    }


def test_field_changes_name_people_and_groups_in_the_timeline(worked, agent, support_group):
    other = SupportGroupFactory(name="Network", members=[agent])
    record = services.incident_assign(record=worked, actor=agent, support_group=other)

    (entry,) = entries(record, kind=TimelineEntry.Kind.FIELD_CHANGE)
    change = entry.data["changes"]["support_group"]
    assert (change["from"], change["to"]) == (support_group.pk, other.pk)
    assert (change["from_label"], change["to_label"]) == ("Service Desk", "Network")


def test_update_with_a_stale_version_is_refused(worked, agent):
    with pytest.raises(StaleWrite):
        services.incident_update(record=worked, actor=agent, expected_version=worked.version - 1, title="y")
    worked.refresh_from_db()
    assert worked.title == "Outlook does not start"


@pytest.mark.parametrize("role", ["requester", "other_requester"])
def test_update_by_a_non_agent_is_refused(request, worked, role):
    with pytest.raises(PermissionDenied):
        services.incident_update(record=worked, actor=request.getfixturevalue(role), title="mine now")


@pytest.mark.parametrize("status", [wf.CLOSED, wf.CANCELLED])
def test_update_of_a_final_record_is_refused(incident, agent, status):
    record = drive_to(incident, status, agent=agent)
    with pytest.raises(PermissionDenied):
        services.incident_update(record=record, actor=agent, title="later")


def test_update_of_a_field_not_editable_is_refused(worked, agent):
    with pytest.raises(ValidationError):
        services.incident_update(record=worked, actor=agent, status="closed")


def test_update_with_a_bad_channel_is_refused(worked, agent):
    with pytest.raises(ValidationError):
        services.incident_update(record=worked, actor=agent, channel="pigeon")


# incident_assign


def test_assigning_a_new_record_makes_it_assigned(incident, agent):
    record = services.incident_assign(record=incident, actor=agent, assignee=agent)
    assert (record.status, record.assignee) == (wf.ASSIGNED, agent)
    (entry,) = entries(record, kind=TimelineEntry.Kind.FIELD_CHANGE)
    assert entry.data["changes"]["status"] == {"from": wf.NEW, "to": wf.ASSIGNED}
    assert events(record, action="incident.assigned").count() == 1


def test_clearing_the_assignee_returns_an_assigned_record_to_the_queue(incident, agent):
    record = services.incident_assign(record=incident, actor=agent, assignee=agent)
    record = services.incident_assign(record=record, actor=agent, assignee=None)
    assert (record.status, record.assignee) == (wf.NEW, None)


def test_clearing_the_assignee_of_a_record_in_progress_keeps_its_status(incident, agent):
    record = drive_to(incident, wf.IN_PROGRESS, agent=agent)
    record = services.incident_assign(record=record, actor=agent, assignee=None)
    assert (record.status, record.assignee) == (wf.IN_PROGRESS, None)


def test_moving_to_another_group_drops_an_assignee_who_is_not_a_member(incident, agent):
    record = services.incident_assign(record=incident, actor=agent, assignee=agent)
    network = SupportGroupFactory(name="Network")
    record = services.incident_assign(record=record, actor=agent, support_group=network)
    assert (record.support_group, record.assignee, record.status) == (network, None, wf.NEW)


def test_moving_to_another_group_keeps_an_assignee_who_is_a_member(incident, agent):
    record = services.incident_assign(record=incident, actor=agent, assignee=agent)
    network = SupportGroupFactory(name="Network", members=[agent])
    record = services.incident_assign(record=record, actor=agent, support_group=network)
    assert (record.support_group, record.assignee, record.status) == (network, agent, wf.ASSIGNED)


def test_assignee_outside_the_group_is_refused_by_assign(incident, agent):
    outsider = UserFactory(roles=["Agent"])
    with pytest.raises(ValidationError):
        services.incident_assign(record=incident, actor=agent, assignee=outsider)
    incident.refresh_from_db()
    assert incident.assignee is None


def test_assign_with_no_change_writes_nothing(incident, agent):
    version = incident.version
    record = services.incident_assign(record=incident, actor=agent, support_group=incident.support_group)
    assert record.version == version


def test_assign_with_a_stale_version_is_refused(incident, agent):
    with pytest.raises(StaleWrite):
        services.incident_assign(record=incident, actor=agent, assignee=agent, expected_version=0)


@pytest.mark.parametrize("role", ["requester", "other_requester"])
def test_assign_by_a_non_agent_is_refused(request, incident, agent, role):
    with pytest.raises(PermissionDenied):
        services.incident_assign(record=incident, actor=request.getfixturevalue(role), assignee=agent)


def test_assign_of_a_final_record_is_refused(incident, agent):
    record = drive_to(incident, wf.CLOSED, agent=agent)
    with pytest.raises(PermissionDenied):
        services.incident_assign(record=record, actor=agent, assignee=None)


# incident_comment


def test_agent_work_note_is_never_public(incident, agent):
    entry = services.incident_comment(record=incident, actor=agent, body="Checked logs.", is_public=False)
    assert entry.kind == TimelineEntry.Kind.WORK_NOTE
    assert not entry.is_public
    incident.refresh_from_db()
    assert incident.responded_at is None


@pytest.mark.parametrize("role", ["requester", "other_requester"])
def test_work_note_by_a_non_agent_is_refused(request, incident, role):
    with pytest.raises(PermissionDenied):
        services.incident_comment(
            record=incident, actor=request.getfixturevalue(role), body="x", is_public=False
        )
    assert not entries(incident, kind=TimelineEntry.Kind.WORK_NOTE).exists()


def test_other_requester_cannot_comment_on_a_record_they_cannot_see(incident, other_requester):
    with pytest.raises(PermissionDenied):
        services.incident_comment(record=incident, actor=other_requester, body="Me too")
    assert not entries(incident, kind=TimelineEntry.Kind.COMMENT).exists()


def test_other_requester_cannot_attach_to_a_record_they_cannot_see(incident, other_requester):
    with pytest.raises(PermissionDenied):
        services.incident_attach(record=incident, actor=other_requester, uploads=[png()])


def test_empty_comment_is_refused(incident, requester):
    with pytest.raises(ValidationError):
        services.incident_comment(record=incident, actor=requester, body="   ")


def test_requester_reply_resumes_a_record_on_hold_for_them(incident, agent, requester):
    record = drive_to(incident, wf.IN_PROGRESS, agent=agent)
    services.incident_transition(record=record, actor=agent, to=wf.ON_HOLD, hold_reason="requester")
    services.incident_comment(record=record, actor=requester, body="Here are the logs.")
    record.refresh_from_db()
    assert (record.status, record.hold_reason) == (wf.IN_PROGRESS, "")
    transition = entries(record, kind=TimelineEntry.Kind.TRANSITION).last()
    assert transition.data["automatic"] is True


@pytest.mark.parametrize("reason", ["vendor", "change"])
def test_requester_reply_does_not_resume_a_record_waiting_for_others(incident, agent, requester, reason):
    record = drive_to(incident, wf.IN_PROGRESS, agent=agent)
    services.incident_transition(record=record, actor=agent, to=wf.ON_HOLD, hold_reason=reason)
    services.incident_comment(record=record, actor=requester, body="Any news?")
    record.refresh_from_db()
    assert record.status == wf.ON_HOLD


def test_agent_reply_does_not_resume_a_record_on_hold_for_the_requester(incident, agent):
    record = drive_to(incident, wf.IN_PROGRESS, agent=agent)
    services.incident_transition(record=record, actor=agent, to=wf.ON_HOLD, hold_reason="requester")
    services.incident_comment(record=record, actor=agent, body="Please send logs.")
    record.refresh_from_db()
    assert record.status == wf.ON_HOLD


def test_requester_reply_reopens_a_resolved_record_within_the_window(incident, agent, requester, settings):
    settings.ITSM_REOPEN_WINDOW_DAYS = 7
    record = drive_to(incident, wf.RESOLVED, agent=agent)
    with time_machine.travel(record.resolved_at + timedelta(days=6), tick=False):
        services.incident_comment(record=record, actor=requester, body="Still broken.")
    record.refresh_from_db()
    assert record.status == wf.IN_PROGRESS
    assert record.reopen_count == 1


def test_requester_reply_after_the_window_leaves_it_resolved(incident, agent, requester, settings):
    settings.ITSM_REOPEN_WINDOW_DAYS = 7
    record = drive_to(incident, wf.RESOLVED, agent=agent)
    with time_machine.travel(record.resolved_at + timedelta(days=8), tick=False):
        services.incident_comment(record=record, actor=requester, body="Thanks again.")
    record.refresh_from_db()
    assert record.status == wf.RESOLVED


def test_agents_first_public_reply_is_the_first_response_once(incident, agent, group_manager):
    services.incident_comment(record=incident, actor=incident.requester, body="Hello?")
    incident.refresh_from_db()
    assert incident.responded_at is None
    first = services.incident_comment(record=incident, actor=agent, body="Looking at it.")
    incident.refresh_from_db()
    assert incident.responded_at == first.created_at
    services.incident_comment(record=incident, actor=group_manager, body="Me too.")
    incident.refresh_from_db()
    assert incident.responded_at == first.created_at


@pytest.mark.parametrize("status", [wf.CLOSED, wf.CANCELLED])
@pytest.mark.parametrize("role", ["requester", "agent"])
def test_final_record_takes_no_comments(request, incident, agent, status, role):
    record = drive_to(incident, status, agent=agent)
    with pytest.raises(PermissionDenied):
        services.incident_comment(record=record, actor=request.getfixturevalue(role), body="Hello")


def test_comment_with_a_refused_file_writes_nothing(incident, requester, settings):
    version = incident.version
    with pytest.raises(ValidationError):
        services.incident_comment(
            record=incident, actor=requester, body="see file", uploads=[png(), text(content=b"a\x00b")]
        )
    incident.refresh_from_db()
    assert incident.version == version
    assert not entries(incident, kind=TimelineEntry.Kind.COMMENT).exists()
    assert stored_files(settings) == []


def test_too_many_files_are_refused(incident, requester, settings):
    settings.ITSM_ATTACHMENTS_PER_ENTRY = 2
    with pytest.raises(ValidationError):
        services.incident_comment(record=incident, actor=requester, body="x", uploads=[png(), png(), png()])


def test_internal_attachment_by_an_agent_stays_private(incident, agent):
    entry = services.incident_attach(record=incident, actor=agent, uploads=[png()], is_public=False)
    assert not entry.is_public
    assert entry.attachments.count() == 1


def test_comment_moves_the_version_and_is_audited(incident, requester):
    version = incident.version
    entry = services.incident_comment(record=incident, actor=requester, body="More detail")
    incident.refresh_from_db()
    assert incident.version == version + 1
    assert events(incident, action="incident.commented").get().data["entry"] == entry.pk


# incident_rate


@pytest.mark.parametrize("status", [wf.RESOLVED, wf.CLOSED])
@pytest.mark.parametrize("score", [1, 5])
def test_requester_rates_a_resolved_or_closed_record(incident, agent, requester, status, score):
    record = drive_to(incident, status, agent=agent)
    record = services.incident_rate(record=record, actor=requester, score=score, comment=" ok ")
    assert (record.csat_score, record.csat_comment) == (score, "ok")
    assert record.rated_at is not None


def test_requester_rates_only_once(incident, agent, requester):
    record = drive_to(incident, wf.RESOLVED, agent=agent)
    services.incident_rate(record=record, actor=requester, score=4)
    with pytest.raises(Conflict):
        services.incident_rate(record=record, actor=requester, score=1)
    record.refresh_from_db()
    assert record.csat_score == 4


@pytest.mark.parametrize("role", ["other_requester", "agent", "administrator"])
def test_only_the_requester_rates(request, incident, agent, role):
    record = drive_to(incident, wf.RESOLVED, agent=agent)
    with pytest.raises(PermissionDenied):
        services.incident_rate(record=record, actor=request.getfixturevalue(role), score=5)


@pytest.mark.parametrize("status", [wf.NEW, wf.IN_PROGRESS, wf.ON_HOLD, wf.CANCELLED])
def test_unresolved_record_cannot_be_rated(incident, agent, requester, status):
    record = drive_to(incident, status, agent=agent)
    with pytest.raises(Conflict):
        services.incident_rate(record=record, actor=requester, score=5)


@pytest.mark.parametrize("score", [0, 6, -1, "five", None])
def test_rating_outside_one_to_five_is_refused(incident, agent, requester, score):
    record = drive_to(incident, wf.RESOLVED, agent=agent)
    with pytest.raises(ValidationError):
        services.incident_rate(record=record, actor=requester, score=score)
    record.refresh_from_db()
    assert record.csat_score is None


# incidents_close_resolved


def _resolved(requester, service, agent, count):
    return [
        drive_to(
            services.incident_create(actor=requester, title=f"r{i}", service=service),
            wf.RESOLVED,
            agent=agent,
        )
        for i in range(count)
    ]


def test_close_resolved_closes_only_records_past_the_delay(requester, service, agent, settings):
    settings.ITSM_AUTO_CLOSE_DAYS = 5
    old = _resolved(requester, service, agent, 2)
    with time_machine.travel(timezone.now() + timedelta(days=4), tick=False):
        recent = _resolved(requester, service, agent, 1)[0]
        open_record = services.incident_create(actor=requester, title="open", service=service)
    with time_machine.travel(timezone.now() + timedelta(days=5, minutes=1), tick=False):
        assert services.incidents_close_resolved() == 2
    for record in old:
        record.refresh_from_db()
        assert record.status == wf.CLOSED
        assert record.closed_at is not None
        transition = entries(record, kind=TimelineEntry.Kind.TRANSITION).last()
        assert transition.data["automatic"] is True
        assert events(record, action="incident.close").get().actor is None
    recent.refresh_from_db()
    open_record.refresh_from_db()
    assert recent.status == wf.RESOLVED
    assert open_record.status == wf.NEW


def test_close_resolved_works_in_several_batches(requester, service, agent, settings):
    settings.ITSM_AUTO_CLOSE_DAYS = 1
    records = _resolved(requester, service, agent, 5)
    later = timezone.now() + timedelta(days=2)
    assert services.incidents_close_resolved(now=later, batch_size=2) == 5
    assert all(Incident.objects.get(pk=r.pk).status == wf.CLOSED for r in records)
    assert services.incidents_close_resolved(now=later, batch_size=2) == 0


def test_close_resolved_with_nothing_due_closes_nothing(requester, service, agent):
    _resolved(requester, service, agent, 1)
    assert services.incidents_close_resolved() == 0


def test_number_sequence_is_per_prefix(requester, service, request_type):
    first = services.incident_create(actor=requester, title="x", service=service)
    request = services.incident_create(actor=requester, kind="request", title="y", request_type=request_type)
    second = services.incident_create(actor=requester, title="z", service=service)
    assert (first.number, request.number, second.number) == ("INC0000001", "REQ0000001", "INC0000002")
    assert NumberSequence.objects.get(prefix="INC").last_value == 2


# incident_attach


def test_attach_without_files_is_refused(incident, requester):
    with pytest.raises(ValidationError):
        services.incident_attach(record=incident, actor=requester, uploads=[])


def test_requester_cannot_attach_internal_files(incident, requester):
    with pytest.raises(PermissionDenied):
        services.incident_attach(record=incident, actor=requester, uploads=[png()], is_public=False)


@pytest.mark.parametrize("status", [wf.CLOSED, wf.CANCELLED])
def test_final_record_takes_no_files(incident, agent, requester, status, settings):
    record = drive_to(incident, status, agent=agent)
    with pytest.raises(PermissionDenied):
        services.incident_attach(record=record, actor=requester, uploads=[png()])
    assert stored_files(settings) == []


def test_requester_attaches_a_public_file_to_their_record(incident, requester, settings):
    entry = services.incident_attach(record=incident, actor=requester, uploads=[png(), text()])
    assert entry.is_public
    assert entry.kind == TimelineEntry.Kind.ATTACHMENT
    assert sorted(a.name for a in entry.attachments.all()) == ["log.txt", "screen.png"]
    assert all(a.uploaded_by == requester for a in entry.attachments.all())
    assert len(stored_files(settings)) == 2


def test_title_longer_than_the_field_is_refused(requester, service):
    with pytest.raises(ValidationError) as caught:
        services.incident_create(actor=requester, title="x" * 201, service=service)
    assert "title" in caught.value.message_dict


def test_create_with_too_many_files_is_refused(requester, service, settings):
    settings.ITSM_ATTACHMENTS_PER_ENTRY = 2
    with pytest.raises(ValidationError) as caught:
        services.incident_create(actor=requester, title="x", service=service, uploads=[png(), png(), png()])
    assert "attachments" in caught.value.message_dict
    assert not Incident.objects.exists()
    assert stored_files(settings) == []


def test_create_with_as_many_files_as_allowed_keeps_them_all(requester, service, settings):
    settings.ITSM_ATTACHMENTS_PER_ENTRY = 2
    record = services.incident_create(actor=requester, title="x", service=service, uploads=[png(), text()])
    assert Attachment.objects.filter(entry__object_id=record.pk).count() == 2
