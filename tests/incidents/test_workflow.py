from datetime import timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents import services
from incidents import workflow as wf
from incidents.models import Incident
from servicedesk.errors import Conflict, InvalidTransition, PermissionDenied, StaleWrite
from servicedesk.models import AuditEvent, TimelineEntry

from ..factories import SupportGroupFactory, UserFactory
from .helpers import drive_to, inputs_for

STATUSES = wf.STATUSES
TARGETS = wf.STATUSES

# The statuses each status leads to through a transition a person may choose (internal ones excluded).
PUBLIC_TARGETS = {
    wf.NEW: {wf.ASSIGNED, wf.IN_PROGRESS, wf.RESOLVED, wf.CANCELLED},
    wf.ASSIGNED: {wf.IN_PROGRESS, wf.ON_HOLD, wf.RESOLVED, wf.CANCELLED},
    wf.IN_PROGRESS: {wf.ON_HOLD, wf.RESOLVED, wf.CANCELLED},
    wf.ON_HOLD: {wf.IN_PROGRESS, wf.RESOLVED, wf.CANCELLED},
    wf.RESOLVED: {wf.IN_PROGRESS, wf.CLOSED},
    wf.CLOSED: set(),
    wf.CANCELLED: set(),
}
OWNER_TARGETS = {
    wf.NEW: {wf.CANCELLED},
    wf.ASSIGNED: {wf.CANCELLED},
    wf.IN_PROGRESS: {wf.CANCELLED},
    wf.ON_HOLD: {wf.CANCELLED},
    wf.RESOLVED: {wf.IN_PROGRESS, wf.CLOSED},
    wf.CLOSED: set(),
    wf.CANCELLED: set(),
}
NOTHING = {status: set() for status in STATUSES}
# role fixture -> what allowed_transitions lists for it, by status
EXPECTED_ALLOWED = {
    "requester": OWNER_TARGETS,
    "other_requester": NOTHING,
    "agent": PUBLIC_TARGETS,
    "group_manager": PUBLIC_TARGETS,
    "change_manager": PUBLIC_TARGETS,
    "administrator": PUBLIC_TARGETS,
    "system": NOTHING,  # the system fires transitions but chooses none
}
ROLES = list(EXPECTED_ALLOWED)


def make_record(*, requester, service, agent, status=wf.NEW, **kwargs) -> Incident:
    record = services.incident_create(
        actor=requester, title="Outlook does not start", service=service, **kwargs
    )
    return drive_to(record, status, agent=agent)


def actor_for(request, role):
    return None if role == "system" else request.getfixturevalue(role)


def transition_entries(record):
    return TimelineEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=record.pk,
        kind=TimelineEntry.Kind.TRANSITION,
    )


def audit_events(record):
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident), object_id=str(record.pk)
    )


@pytest.fixture
def fresh(requester, service, agent):
    def _make(status=wf.NEW, **kwargs):
        return make_record(requester=requester, service=service, agent=agent, status=status, **kwargs)

    return _make


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("status", STATUSES)
def test_allowed_transitions_list_exactly_what_the_role_may_fire(request, fresh, status, role):
    record = fresh(status)
    allowed = services.allowed_transitions(record=record, user=actor_for(request, role))
    targets = [t["to"] for t in allowed]
    assert len(targets) == len(set(targets))
    assert set(targets) == EXPECTED_ALLOWED[role][status]


@pytest.mark.parametrize("status", STATUSES)
def test_internal_transitions_are_never_listed(fresh, agent, administrator, status):
    record = fresh(status)
    for user in (agent, administrator, None):
        names = {t["name"] for t in services.allowed_transitions(record=record, user=user)}
        assert not names & {"return_to_queue", "close_as_duplicate"}


def test_allowed_transitions_say_what_each_needs(fresh, agent):
    record = fresh(wf.IN_PROGRESS)
    by_name = {t["name"]: t for t in services.allowed_transitions(record=record, user=agent)}
    assert by_name["resolve"]["requires"] == ["resolution_code", "resolution_notes"]
    assert by_name["resolve"]["accepts"] == ["first_contact_resolution"]
    assert by_name["hold"]["requires"] == ["hold_reason"]
    assert by_name["cancel"]["requires"] == ["reason"]
    assert all(t["label"] for t in by_name.values())


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("status", STATUSES)
def test_incident_transition_fires_or_refuses_by_status_target_and_role(
    request, fresh, agent, status, target, role
):
    record = fresh(status)
    actor = actor_for(request, role)
    version = record.version
    entries_before = transition_entries(record).count()
    events_before = audit_events(record).count()
    inputs = inputs_for(target, assignee=agent)

    if target not in PUBLIC_TARGETS[status]:
        with pytest.raises(InvalidTransition) as caught:
            services.incident_transition(record=record, actor=actor, to=target, **inputs)
        assert caught.value.status_code == 409
        assert set(caught.value.extra["allowed"]) == EXPECTED_ALLOWED[role][status]
    elif role == "system" or target in EXPECTED_ALLOWED[role][status]:
        result = services.incident_transition(record=record, actor=actor, to=target, **inputs)
        assert result.status == target
        record.refresh_from_db()
        assert record.status == target
        assert record.version == version + 1
        entries = list(transition_entries(record))[entries_before:]
        assert len(entries) == 1
        assert entries[0].is_public
        assert entries[0].data["from"] == status
        assert entries[0].data["to"] == target
        assert entries[0].data["automatic"] is (actor is None)
        events = list(audit_events(record).order_by("pk"))[events_before:]
        assert len(events) == 1
        assert events[0].action == f"incident.{entries[0].data['transition']}"
        assert events[0].data["from"] == status
        assert events[0].data["to"] == target
        assert events[0].actor_id == (actor.pk if actor else None)
        return
    else:
        with pytest.raises(PermissionDenied):
            services.incident_transition(record=record, actor=actor, to=target, **inputs)

    record.refresh_from_db()
    assert record.status == status
    assert record.version == version
    assert transition_entries(record).count() == entries_before
    assert audit_events(record).count() == events_before


@pytest.mark.parametrize(
    ("status", "target", "missing"),
    [
        (wf.NEW, wf.ASSIGNED, "assignee"),
        (wf.ASSIGNED, wf.ON_HOLD, "hold_reason"),
        (wf.IN_PROGRESS, wf.ON_HOLD, "hold_reason"),
        (wf.NEW, wf.RESOLVED, "resolution_code"),
        (wf.IN_PROGRESS, wf.RESOLVED, "resolution_code"),
        (wf.IN_PROGRESS, wf.RESOLVED, "resolution_notes"),
        (wf.ON_HOLD, wf.RESOLVED, "resolution_notes"),
        (wf.RESOLVED, wf.IN_PROGRESS, "reason"),
        (wf.NEW, wf.CANCELLED, "reason"),
        (wf.ON_HOLD, wf.CANCELLED, "reason"),
    ],
)
@pytest.mark.parametrize("how", ["absent", "blank"])
def test_transition_without_a_required_input_is_refused(fresh, agent, status, target, missing, how):
    record = fresh(status)
    inputs = inputs_for(target, assignee=agent)
    if how == "absent":
        del inputs[missing]
    else:
        inputs[missing] = None if missing == "assignee" else "   "
    with pytest.raises(ValidationError) as caught:
        services.incident_transition(record=record, actor=agent, to=target, **inputs)
    assert missing in caught.value.message_dict
    record.refresh_from_db()
    assert record.status == status


def test_requester_cancelling_without_a_reason_is_refused(fresh, requester):
    record = fresh(wf.NEW)
    with pytest.raises(ValidationError) as caught:
        services.incident_transition(record=record, actor=requester, to=wf.CANCELLED)
    assert "reason" in caught.value.message_dict


@pytest.mark.parametrize(
    ("status", "target", "field", "value"),
    [
        (wf.IN_PROGRESS, wf.ON_HOLD, "hold_reason", "holiday"),
        (wf.IN_PROGRESS, wf.RESOLVED, "resolution_code", "magic"),
    ],
)
def test_transition_with_an_unknown_choice_is_refused(fresh, agent, status, target, field, value):
    record = fresh(status)
    inputs = {**inputs_for(target), field: value}
    with pytest.raises(ValidationError) as caught:
        services.incident_transition(record=record, actor=agent, to=target, **inputs)
    assert field in caught.value.message_dict
    record.refresh_from_db()
    assert record.status == status


def test_assigning_to_someone_outside_the_group_is_refused(fresh, agent):
    outsider = UserFactory(roles=["Agent"])
    record = fresh(wf.NEW)
    with pytest.raises(ValidationError) as caught:
        services.incident_transition(record=record, actor=agent, to=wf.ASSIGNED, assignee=outsider)
    assert "assignee" in caught.value.message_dict


def test_assigning_to_a_requester_is_refused(fresh, agent, requester, support_group):
    support_group.members.add(requester)
    record = fresh(wf.NEW)
    with pytest.raises(ValidationError):
        services.incident_transition(record=record, actor=agent, to=wf.ASSIGNED, assignee=requester)


@pytest.mark.parametrize("role", ["agent", "system"])
@pytest.mark.parametrize(
    ("status", "target"),
    [(wf.ASSIGNED, wf.NEW), (wf.ASSIGNED, wf.CLOSED), (wf.IN_PROGRESS, wf.CLOSED), (wf.ON_HOLD, wf.CLOSED)],
)
def test_internal_transitions_cannot_be_fired(request, fresh, status, target, role):
    record = fresh(status)
    with pytest.raises(InvalidTransition):
        services.incident_transition(record=record, actor=actor_for(request, role), to=target)
    record.refresh_from_db()
    assert record.status == status


def test_unknown_target_status_is_an_invalid_transition(fresh, agent):
    record = fresh(wf.NEW)
    with pytest.raises(InvalidTransition) as caught:
        services.incident_transition(record=record, actor=agent, to="exploded")
    assert set(caught.value.extra["allowed"]) == PUBLIC_TARGETS[wf.NEW]


@pytest.mark.parametrize("status", [wf.NEW, wf.IN_PROGRESS, wf.RESOLVED])
def test_stale_expected_version_is_refused(fresh, agent, status):
    record = fresh(status)
    target = sorted(PUBLIC_TARGETS[status])[0]
    with pytest.raises(StaleWrite) as caught:
        services.incident_transition(
            record=record,
            actor=agent,
            to=target,
            expected_version=record.version - 1,
            **inputs_for(target, assignee=agent),
        )
    assert caught.value.status_code == 412
    assert caught.value.extra["current_version"] == record.version
    record.refresh_from_db()
    assert record.status == status


def test_current_expected_version_is_accepted(fresh, agent):
    record = fresh(wf.NEW)
    record = services.incident_transition(
        record=record, actor=agent, to=wf.IN_PROGRESS, expected_version=record.version
    )
    assert record.status == wf.IN_PROGRESS


def test_requester_reopens_within_the_window(fresh, requester, settings):
    settings.ITSM_REOPEN_WINDOW_DAYS = 7
    record = fresh(wf.RESOLVED)
    with time_machine.travel(record.resolved_at + timedelta(days=6, hours=23), tick=False):
        record = services.incident_transition(
            record=record, actor=requester, to=wf.IN_PROGRESS, reason="Still broken."
        )
    assert record.status == wf.IN_PROGRESS
    assert record.reopen_count == 1
    assert record.resolved_at is None
    assert record.resolution_code == ""


def test_requester_cannot_reopen_after_the_window(fresh, requester, settings):
    settings.ITSM_REOPEN_WINDOW_DAYS = 7
    record = fresh(wf.RESOLVED)
    with time_machine.travel(record.resolved_at + timedelta(days=7, minutes=1), tick=False):
        allowed = {t["to"] for t in services.allowed_transitions(record=record, user=requester)}
        assert allowed == {wf.CLOSED}
        with pytest.raises(Conflict) as caught:
            services.incident_transition(
                record=record, actor=requester, to=wf.IN_PROGRESS, reason="Still broken."
            )
    assert caught.value.code == "reopen_window_passed"
    record.refresh_from_db()
    assert record.status == wf.RESOLVED


def test_reopen_window_follows_the_setting(fresh, requester, settings):
    settings.ITSM_REOPEN_WINDOW_DAYS = 1
    record = fresh(wf.RESOLVED)
    with time_machine.travel(record.resolved_at + timedelta(days=2), tick=False), pytest.raises(Conflict):
        services.incident_transition(record=record, actor=requester, to=wf.IN_PROGRESS, reason="x")


def test_agent_reopens_after_the_window(fresh, agent, settings):
    settings.ITSM_REOPEN_WINDOW_DAYS = 7
    record = fresh(wf.RESOLVED)
    with time_machine.travel(record.resolved_at + timedelta(days=30), tick=False):
        record = services.incident_transition(record=record, actor=agent, to=wf.IN_PROGRESS, reason="x")
    assert record.status == wf.IN_PROGRESS


def test_other_requester_reopening_is_denied_not_told_about_the_window(fresh, other_requester):
    record = fresh(wf.RESOLVED)
    with pytest.raises(PermissionDenied):
        services.incident_transition(record=record, actor=other_requester, to=wf.IN_PROGRESS, reason="x")


def test_inactive_agent_may_fire_nothing(fresh, agent):
    record = fresh(wf.IN_PROGRESS)
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    assert services.allowed_transitions(record=record, user=agent) == []
    with pytest.raises(PermissionDenied):
        services.incident_transition(record=record, actor=agent, to=wf.ON_HOLD, hold_reason="vendor")


def test_start_from_new_takes_the_record(fresh, agent):
    record = fresh(wf.NEW)
    record = services.incident_transition(record=record, actor=agent, to=wf.IN_PROGRESS)
    assert record.assignee == agent


def test_start_from_new_by_the_system_leaves_it_unassigned(fresh):
    record = fresh(wf.NEW)
    record = services.incident_transition(record=record, actor=None, to=wf.IN_PROGRESS)
    assert record.assignee is None


def test_hold_records_its_reason_and_resume_clears_it(fresh, agent):
    record = fresh(wf.IN_PROGRESS)
    record = services.incident_transition(
        record=record, actor=agent, to=wf.ON_HOLD, hold_reason="requester", reason="Asked for logs."
    )
    assert record.hold_reason == "requester"
    record = services.incident_transition(record=record, actor=agent, to=wf.IN_PROGRESS)
    record.refresh_from_db()
    assert record.hold_reason == ""


def test_resolve_records_the_resolution(fresh, agent):
    record = fresh(wf.ON_HOLD)
    record = services.incident_transition(
        record=record,
        actor=agent,
        to=wf.RESOLVED,
        resolution_code="workaround",
        resolution_notes="  Use the web client.  ",
        first_contact_resolution=True,
    )
    record.refresh_from_db()
    assert record.resolution_code == "workaround"
    assert record.resolution_notes == "Use the web client."
    assert record.first_contact_resolution is True
    assert record.hold_reason == ""
    assert record.resolved_at is not None
    entry = transition_entries(record).last()
    assert entry.body == "Use the web client."


@pytest.mark.parametrize("target", [wf.CLOSED, wf.CANCELLED])
def test_final_transitions_record_the_closing_time(fresh, agent, target):
    record = fresh(wf.RESOLVED if target == wf.CLOSED else wf.ON_HOLD)
    record = services.incident_transition(record=record, actor=agent, to=target, **inputs_for(target))
    record.refresh_from_db()
    assert record.closed_at is not None
    assert record.hold_reason == ""


def test_requester_closing_with_a_rating_rates_it(fresh, requester):
    record = fresh(wf.RESOLVED)
    record = services.incident_transition(
        record=record, actor=requester, to=wf.CLOSED, csat_score=5, csat_comment="Quick, thanks."
    )
    record.refresh_from_db()
    assert (record.csat_score, record.csat_comment) == (5, "Quick, thanks.")
    assert record.rated_at is not None


def test_agent_closing_with_a_rating_does_not_rate_for_the_requester(fresh, agent):
    record = fresh(wf.RESOLVED)
    services.incident_transition(record=record, actor=agent, to=wf.CLOSED, csat_score=5)
    record.refresh_from_db()
    assert record.csat_score is None


def test_requester_closing_with_a_bad_rating_is_refused(fresh, requester):
    record = fresh(wf.RESOLVED)
    with pytest.raises(ValidationError):
        services.incident_transition(record=record, actor=requester, to=wf.CLOSED, csat_score=9)
    record.refresh_from_db()
    assert record.status == wf.RESOLVED


def test_reason_is_kept_on_the_transition_entry(fresh, requester):
    record = fresh(wf.NEW)
    services.incident_transition(record=record, actor=requester, to=wf.CANCELLED, reason=" Not needed. ")
    entry = transition_entries(record).last()
    assert entry.body == "Not needed."
    assert entry.data["reason"] == "Not needed."
    assert entry.author_id == requester.pk


def test_every_status_is_reachable_through_the_services(fresh):
    for status in STATUSES:
        assert fresh(status).status == status


def test_status_cannot_be_set_directly(fresh):
    record = fresh(wf.NEW)
    with pytest.raises(AttributeError):
        record.status = wf.CLOSED


def test_request_follows_the_same_machine(requester, agent, request_type):
    record = services.incident_create(
        actor=requester, kind="request", title="A mailbox", request_type=request_type
    )
    assert {t["to"] for t in services.allowed_transitions(record=record, user=agent)} == PUBLIC_TARGETS[
        wf.NEW
    ]
    record = drive_to(record, wf.CLOSED, agent=agent)
    assert record.status == wf.CLOSED


def test_assign_from_new_to_another_groups_member_uses_the_records_group(requester, agent, service):
    other_group = SupportGroupFactory(name="Network")
    other_agent = UserFactory(roles=["Agent"])
    other_group.members.add(other_agent)
    record = make_record(requester=requester, service=service, agent=agent)
    with pytest.raises(ValidationError):
        services.incident_transition(record=record, actor=agent, to=wf.ASSIGNED, assignee=other_agent)


def test_timestamps_use_the_current_time(fresh, agent):
    record = fresh(wf.IN_PROGRESS)
    moment = timezone.now() + timedelta(days=3)
    with time_machine.travel(moment, tick=False):
        record = services.incident_transition(
            record=record, actor=agent, to=wf.RESOLVED, **inputs_for(wf.RESOLVED)
        )
    assert record.resolved_at == moment
