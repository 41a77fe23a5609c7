"""A group's records are told to its agents only: never to a member or manager who is not an agent, and
work notes only to whom the record page shows them."""

import pytest
from django.db import transaction

from incidents import services
from servicedesk import roles
from servicedesk.models import NotificationTemplate, OutboxMessage, TimelineEntry
from servicedesk.services.notifications import notify
from servicedesk.services.timeline import timeline_add

from ..factories import SupportGroupFactory, UserFactory
from .factories import BusinessServiceFactory


def _sent(since: int = 0) -> list[tuple[str, str]]:
    return list(
        OutboxMessage.objects.filter(pk__gt=since, channel=OutboxMessage.Channel.EMAIL)
        .order_by("pk")
        .values_list("event", "recipient")
    )


@pytest.fixture
def mixed_group(db, agent):
    """A group that, from before the rule, counts a requester among its members and as its manager."""
    outsider = UserFactory(username="outsider", roles=[roles.REQUESTER])
    return SupportGroupFactory(name="Mixed", manager=outsider, members=[agent, outsider])


def test_new_in_the_queue_goes_to_the_groups_agents_and_not_to_a_requester_member(requester, mixed_group):
    service = BusinessServiceFactory(name="Payroll", support_group=mixed_group)

    services.incident_create(actor=requester, title="Payslip missing", service=service)

    assert _sent() == [
        ("notification.created", "requester@example.com"),
        ("notification.assigned", "agent@example.com"),
    ]


def test_a_breach_is_not_told_to_a_group_manager_who_is_not_an_agent(requester, mixed_group):
    from incidents.services.events import incident_event

    service = BusinessServiceFactory(name="Payroll", support_group=mixed_group)
    record = services.incident_create(actor=requester, title="Payslip missing", service=service)
    start = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first()

    with transaction.atomic():
        incident_event(
            record=record,
            event="sla_breached",
            actor=None,
            data={"metric": "resolution", "target": "Resolution"},
        )

    assert _sent(start) == [("notification.sla_breached", "agent@example.com")]


def test_agents_events_reach_only_agents_whoever_the_caller_names(incident, requester, agent):
    with transaction.atomic():
        messages = notify(event="escalated", record=incident, recipients=[requester, agent])

    assert [message.recipient for message in messages] == ["agent@example.com"]


def test_a_work_note_is_not_mailed_to_an_agent_who_may_not_read_work_notes(incident, agent):
    cab_member = UserFactory(
        username="cab", roles=[roles.CAB_MEMBER]
    )  # uses the workspace, works no incident
    with transaction.atomic():
        note = timeline_add(
            record=incident,
            kind=TimelineEntry.Kind.WORK_NOTE,
            author=agent,
            body="Root password is in the vault",
            is_public=False,
        )
        messages = notify(
            event="commented",
            record=incident,
            recipients=[cab_member, agent],
            actor=None,
            context={"entry": note},
        )

    assert [message.recipient for message in messages] == ["agent@example.com"]
    assert "Root password" in messages[0].payload["text"]


def test_a_work_note_given_with_any_event_reaches_only_who_works_incidents_not_every_agent(incident, agent):
    """The CAB member may use the workspace (`is_agent`) but does not work incidents: the incident kind's
    policy, not `is_agent`, decides who reads work notes in a message and who hears of agents' events."""
    cab_member = UserFactory(username="cab", roles=[roles.CAB_MEMBER])
    NotificationTemplate.objects.create(
        event="closed", language="en", subject="Closed", body_text="Closed. {{ comment_text }}"
    )
    with transaction.atomic():
        note = timeline_add(
            record=incident,
            kind=TimelineEntry.Kind.WORK_NOTE,
            author=agent,
            body="Root password is in the vault",
            is_public=False,
        )
        closed = notify(
            event="closed", record=incident, recipients=[cab_member, agent], context={"entry": note}
        )
        assigned = notify(event="assigned", record=incident, recipients=[cab_member, agent])

    assert cab_member.is_agent
    to_cab, to_agent = closed
    assert to_cab.recipient == "cab@example.com"
    assert to_cab.payload["text"] == "Closed.\n"
    assert to_agent.payload["text"] == "Closed. Root password is in the vault\n"
    assert [message.recipient for message in assigned] == ["agent@example.com"]


def test_an_agent_who_filed_the_record_reads_its_work_notes_by_mail_as_on_its_page(agent, service):
    record = services.incident_create(actor=agent, title="My own laptop", service=service)
    colleague = UserFactory(username="colleague", roles=[roles.AGENT])
    with transaction.atomic():
        note = timeline_add(
            record=record,
            kind=TimelineEntry.Kind.WORK_NOTE,
            author=colleague,
            body="Reimage it tonight",
            is_public=False,
        )
        [message] = notify(
            event="commented", record=record, recipients=[agent], actor=colleague, context={"entry": note}
        )

    assert message.recipient == "agent@example.com"
    assert "Reimage it tonight" in message.payload["text"]
