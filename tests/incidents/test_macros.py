"""Macros: who keeps and uses which, their placeholders, and applying one all or nothing."""

import pytest
from django.core.exceptions import ValidationError

from incidents import services
from incidents import workflow as wf
from servicedesk import roles
from servicedesk.errors import InvalidTransition, NotFound, PermissionDenied, StaleWrite
from servicedesk.models import AuditEvent, Macro, TimelineEntry
from servicedesk.services.macros import (
    macro_apply,
    macro_create,
    macro_delete,
    macro_render,
    macro_update,
    macros_for_record,
)

from ..factories import SupportGroupFactory, UserFactory


@pytest.fixture
def administrator(administrator):
    """The Administrator role with the macro administrator's right (`servicedesk.change_macro`)."""
    from django.contrib.auth.models import Permission

    administrator.user_permissions.add(Permission.objects.get(codename="change_macro"))
    return administrator


@pytest.fixture
def assigned(incident, agent):
    return services.incident_assign(record=incident, actor=agent, assignee=agent)


@pytest.fixture
def hold_macro(agent):
    return macro_create(
        actor=agent,
        owner=agent,
        name="Ask for a screenshot",
        body="Hello {{ requester.first_name }}, please send a screenshot of {{ number }}. {{ agent.name }}",
        changes={"status": wf.ON_HOLD, "hold_reason": "requester"},
    )


def test_placeholders_are_filled_from_the_record_and_the_agent(assigned, agent, hold_macro, requester):
    text = macro_render(hold_macro, assigned, agent)
    assert text == (
        f"Hello {requester.get_short_name()}, please send a screenshot of {assigned.number}. "
        f"{agent.get_full_name()}"
    )


def test_an_unknown_placeholder_is_refused(agent):
    with pytest.raises(ValidationError) as caught:
        macro_create(actor=agent, owner=agent, name="X", body="{{ record.requester.password }}")
    assert "body" in caught.value.message_dict


def test_a_change_the_kind_does_not_accept_is_refused(agent):
    with pytest.raises(ValidationError) as caught:
        macro_create(actor=agent, owner=agent, name="X", changes={"status": wf.CLOSED})
    assert "changes" in caught.value.message_dict
    with pytest.raises(ValidationError):
        macro_create(actor=agent, owner=agent, name="X", changes={"assignee": 1})


def test_an_agent_keeps_personal_macros_only(agent, group_manager, support_group):
    with pytest.raises(PermissionDenied):
        macro_create(actor=agent, name="Global")
    with pytest.raises(PermissionDenied):
        macro_create(actor=agent, group=support_group, name="Group")
    with pytest.raises(PermissionDenied):
        macro_create(actor=agent, owner=group_manager, name="Someone else's")


def test_a_group_manager_keeps_the_groups_macros(group_manager, support_group, agent):
    macro = macro_create(actor=group_manager, group=support_group, name="Group answer", body="Hi")
    with pytest.raises(NotFound):
        macro_update(macro=macro, actor=agent, name="Mine now")
    macro_update(macro=macro, actor=group_manager, name="Renamed")
    assert Macro.objects.get().name == "Renamed"


def test_an_administrator_keeps_global_macros(administrator):
    macro = macro_create(actor=administrator, name="Everyone", body="Hi")
    assert macro.owner is None
    assert macro.group is None


def test_a_requester_keeps_no_macros(requester):
    with pytest.raises(PermissionDenied):
        macro_create(actor=requester, owner=requester, name="Mine")


def test_who_uses_which_macro(assigned, agent, group_manager, support_group, administrator):
    mine = macro_create(actor=agent, owner=agent, name="Mine")
    group = macro_create(actor=group_manager, group=support_group, name="Group")
    everyone = macro_create(actor=administrator, name="Everyone")
    other_group = SupportGroupFactory(manager=group_manager)
    macro_create(actor=group_manager, group=other_group, name="Other group")
    managers = macro_create(actor=group_manager, owner=group_manager, name="Manager's own")
    macro_create(actor=administrator, name="Retired", is_active=False)
    assert macros_for_record(user=agent, record=assigned) == [everyone, group, mine]
    with pytest.raises(NotFound):
        macro_apply(macro=managers, record=assigned, actor=agent)


def test_a_macro_for_another_kind_is_not_offered(assigned, agent):
    macro_create(actor=agent, owner=agent, name="Requests only", kinds=["request"])
    assert macros_for_record(user=agent, record=assigned) == []


def test_applying_comments_and_puts_on_hold(assigned, agent, hold_macro, requester):
    record = macro_apply(macro=hold_macro, record=assigned, actor=agent, expected_version=assigned.version)
    assert record.status == wf.ON_HOLD
    assert record.hold_reason == "requester"
    comment = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.COMMENT).get()
    assert comment.is_public
    assert comment.body.startswith(f"Hello {requester.get_short_name()}")
    assert AuditEvent.objects.filter(action="incident.macro_applied").exists()


def test_the_agents_edited_text_is_used(assigned, agent, hold_macro):
    macro_apply(macro=hold_macro, record=assigned, actor=agent, body="My own words")
    assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.COMMENT).get().body == "My own words"


def test_a_work_note_macro_adds_a_work_note(assigned, agent):
    macro = macro_create(actor=agent, owner=agent, name="Note", body="Checked the logs.", is_public=False)
    macro_apply(macro=macro, record=assigned, actor=agent)
    assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.WORK_NOTE, body="Checked the logs.").exists()


def test_an_illegal_transition_leaves_nothing_applied(incident, agent, hold_macro):
    # A new record cannot go on hold: nothing of the macro is kept, not even its comment.
    version = incident.version
    with pytest.raises(InvalidTransition):
        macro_apply(macro=hold_macro, record=incident, actor=agent)
    incident.refresh_from_db()
    assert incident.version == version
    assert incident.status == wf.NEW
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.COMMENT).exists()


def test_a_stale_version_is_refused(assigned, agent, hold_macro):
    with pytest.raises(StaleWrite):
        macro_apply(macro=hold_macro, record=assigned, actor=agent, expected_version=assigned.version - 1)
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.COMMENT).exists()


def test_a_resolving_macro_puts_its_text_in_the_resolution(assigned, agent):
    macro = macro_create(
        actor=agent,
        owner=agent,
        name="Password reset",
        body="Your password was reset, {{ requester.first_name }}.",
        changes={"status": wf.RESOLVED, "resolution_code": "solved"},
    )
    record = macro_apply(macro=macro, record=assigned, actor=agent)
    assert record.status == wf.RESOLVED
    assert record.resolution_notes.startswith("Your password was reset")
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.COMMENT).exists()


def test_impact_and_urgency_change_the_priority(assigned, agent):
    macro = macro_create(actor=agent, owner=agent, name="Outage", changes={"impact": 1, "urgency": 1})
    record = macro_apply(macro=macro, record=assigned, actor=agent)
    assert record.priority == 1


def test_a_status_the_record_has_is_left_alone(assigned, agent, hold_macro):
    record = macro_apply(macro=hold_macro, record=assigned, actor=agent)
    record = macro_apply(macro=hold_macro, record=record, actor=agent)
    assert record.status == wf.ON_HOLD
    assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.COMMENT).count() == 2


def test_a_requester_cannot_apply_a_macro(assigned, requester, administrator):
    macro = macro_create(actor=administrator, name="Everyone", body="Hi")
    with pytest.raises(NotFound):
        macro_apply(macro=macro, record=assigned, actor=requester)


def test_only_its_manager_deletes_a_macro(agent, hold_macro):
    other = UserFactory(roles=[roles.AGENT])
    with pytest.raises(NotFound):
        macro_delete(macro=hold_macro, actor=other)
    macro_delete(macro=hold_macro, actor=agent)
    assert not Macro.objects.exists()
