"""Who is e-mailed about what, driven through the real incident services."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from incidents import services
from incidents import workflow as wf
from servicedesk import roles
from servicedesk.models import NotificationOptOut, OutboxMessage
from servicedesk.notifications import standard as events
from servicedesk.services.notifications import notify

from ..factories import SupportGroupFactory, UserFactory
from .helpers import drive_to

LINK = "http://localhost:8000/records/{number}/"


class Outbox:
    """The e-mail notifications written since the last `mark()`."""

    def __init__(self):
        self.mark()

    def mark(self):
        self.start = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def messages(self):
        return list(
            OutboxMessage.objects.filter(pk__gt=self.start, channel=OutboxMessage.Channel.EMAIL).order_by(
                "pk"
            )
        )

    def sent(self):
        """(event, recipient) of each message, in order."""
        return [(m.event.removeprefix("notification."), m.recipient) for m in self.messages()]


@pytest.fixture
def outbox(db):
    return Outbox()


@pytest.fixture
def record(incident, outbox):
    """The requester's incident, waiting unassigned in the Service Desk queue; outbox marked after it."""
    outbox.mark()
    return incident


@pytest.fixture
def assigned(record, agent, outbox):
    record = services.incident_assign(record=record, actor=agent, assignee=agent)
    outbox.mark()
    return record


@pytest.fixture
def second_line(db):
    member = UserFactory(username="second", roles=[roles.AGENT])
    return SupportGroupFactory(name="Second line", members=[member])


# Filing and routing


def test_a_record_filed_in_the_portal_is_acknowledged_to_the_requester_and_queued_to_the_group(
    outbox, requester, service, agent, group_manager
):
    record = services.incident_create(actor=requester, title="Outlook does not start", service=service)

    assert outbox.sent() == [
        ("created", "requester@example.com"),
        ("assigned", "agent@example.com"),
        ("assigned", "manager@example.com"),
    ]
    ack, to_group, _ = outbox.messages()
    assert ack.payload["subject"] == f"[{record.number}] We received your message: Outlook does not start"
    assert f"We logged your message as {record.number}" in ack.payload["text"]
    assert (
        to_group.payload["subject"]
        == f"[{record.number}] New in the Service Desk queue: Outlook does not start"
    )


def test_a_group_with_a_list_address_is_told_at_that_address_instead_of_each_member(
    outbox, requester, service, support_group
):
    support_group.email = "desk@example.com"
    support_group.save(update_fields=["email"])

    services.incident_create(actor=requester, title="VPN drops", service=service)

    assert outbox.sent() == [("created", "requester@example.com"), ("assigned", "desk@example.com")]


def test_a_record_filed_with_an_assignee_tells_the_assignee_and_not_the_group(
    outbox, agent, requester, support_group, group_manager
):
    record = services.incident_create(
        actor=agent,
        requester=requester,
        title="Laptop is slow",
        support_group=support_group,
        assignee=group_manager,
    )

    assert outbox.sent() == [("created", "requester@example.com"), ("assigned", "manager@example.com")]
    to_assignee = outbox.messages()[1]
    assert to_assignee.payload["subject"] == f"[{record.number}] Assigned to you: Laptop is slow"
    assert f"{record.number} (P4 low) is now assigned to you." in to_assignee.payload["text"]


def test_an_agent_filing_for_themself_as_assignee_is_not_told(outbox, agent, requester, support_group):
    services.incident_create(
        actor=agent, requester=requester, title="Laptop is slow", support_group=support_group, assignee=agent
    )

    assert outbox.sent() == [("created", "requester@example.com")]


def test_assigning_tells_the_new_assignee_only(record, outbox, group_manager, agent):
    services.incident_assign(record=record, actor=group_manager, assignee=agent)

    assert outbox.sent() == [("assigned", "agent@example.com")]
    assert f"Routed by {group_manager}." in outbox.messages()[0].payload["text"]


def test_moving_a_record_to_another_group_tells_that_groups_members(record, outbox, agent, second_line):
    services.incident_assign(record=record, actor=agent, support_group=second_line)

    assert outbox.sent() == [("assigned", "second@example.com")]
    assert "waiting in the Second line queue" in outbox.messages()[0].payload["text"]


def test_moving_a_record_with_its_assignee_to_another_group_tells_nobody_again(
    assigned, outbox, agent, group_manager, second_line
):
    second_line.members.add(agent)

    services.incident_assign(record=assigned, actor=group_manager, support_group=second_line)

    assert assigned.assignee == agent
    assert outbox.sent() == []


# The conversation


def test_an_agents_public_comment_goes_to_the_requester(
    assigned, outbox, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_comment(record=assigned, actor=agent, body="Please restart **Outlook**.")

    assert outbox.sent() == [("commented", "requester@example.com")]
    [email] = mail.outbox
    assert email.to == ["requester@example.com"]
    assert email.subject == f"[{assigned.number}] New reply: Outlook does not start"
    assert f"{agent} wrote on {assigned.number}:" in email.body
    assert "Please restart **Outlook**." in email.body
    assert "Please restart <strong>Outlook</strong>." in email.alternatives[0][0]
    assert email.extra_headers["In-Reply-To"] == f"<{assigned.number}@itsm.localhost>"


def test_the_requesters_comment_goes_to_the_assignee(assigned, outbox, requester):
    services.incident_comment(record=assigned, actor=requester, body="It still crashes.")

    assert outbox.sent() == [("commented", "agent@example.com")]
    assert "It still crashes." in outbox.messages()[0].payload["text"]


def test_the_requesters_comment_on_an_unassigned_record_goes_to_the_group(record, outbox, requester):
    services.incident_comment(record=record, actor=requester, body="Any news?")

    assert outbox.sent() == [("commented", "agent@example.com"), ("commented", "manager@example.com")]


def test_a_work_note_is_e_mailed_to_nobody(assigned, outbox, agent, group_manager):
    services.incident_comment(
        record=assigned, actor=group_manager, body="Vendor owes us a patch.", is_public=False
    )

    assert outbox.sent() == []
    emails = OutboxMessage.objects.filter(channel=OutboxMessage.Channel.EMAIL)
    assert [m.pk for m in emails if "Vendor owes us" in m.payload["text"] + m.payload["html"]] == []


# Status changes


def test_a_hold_waiting_for_the_requester_asks_the_requester(assigned, outbox, agent):
    record = services.incident_transition(record=assigned, actor=agent, to=wf.IN_PROGRESS)
    services.incident_transition(
        record=record, actor=agent, to=wf.ON_HOLD, hold_reason="requester", reason="Which floor?"
    )

    assert outbox.sent() == [("waiting", "requester@example.com")]
    message = outbox.messages()[0]
    assert message.payload["subject"] == f"[{record.number}] We need your answer: Outlook does not start"
    assert "Which floor?" in message.payload["text"]


def test_a_hold_for_a_vendor_tells_nobody(assigned, outbox, agent):
    record = services.incident_transition(record=assigned, actor=agent, to=wf.IN_PROGRESS)
    services.incident_transition(record=record, actor=agent, to=wf.ON_HOLD, hold_reason="vendor")

    assert outbox.sent() == []


def test_a_resolution_asks_the_requester_to_confirm_or_reopen(assigned, outbox, agent):
    record = drive_to(assigned, wf.RESOLVED, agent=agent)

    assert outbox.sent() == [("resolved", "requester@example.com")]
    payload = outbox.messages()[0].payload
    link = LINK.format(number=record.number)
    assert payload["subject"] == f"[{record.number}] Resolved: Outlook does not start"
    assert "Restarted the mail service." in payload["text"]
    assert "Please confirm that it works, or reopen it if it does not" in payload["text"]
    assert link in payload["text"]
    assert f'<a href="{link}"' in payload["html"]
    assert "Confirm or reopen" in payload["html"]


def test_the_requester_reopening_a_resolution_tells_the_assignee(assigned, outbox, agent, requester):
    record = drive_to(assigned, wf.RESOLVED, agent=agent)
    outbox.mark()

    services.incident_transition(record=record, actor=requester, to=wf.IN_PROGRESS, reason="Still crashing.")

    assert outbox.sent() == [("reopened", "agent@example.com")]
    payload = outbox.messages()[0].payload
    assert payload["subject"] == f"[{record.number}] Reopened: Outlook does not start"
    assert f"{requester} reopened {record.number}" in payload["text"]
    assert "Still crashing." in payload["text"]


def test_a_reply_that_reopens_is_told_once_as_the_reply(assigned, outbox, agent, requester):
    record = drive_to(assigned, wf.RESOLVED, agent=agent)
    outbox.mark()

    services.incident_comment(record=record, actor=requester, body="No, it still crashes.")

    record.refresh_from_db()
    assert record.status == wf.IN_PROGRESS
    assert outbox.sent() == [("commented", "agent@example.com")]


def test_an_assignee_who_turned_reopens_off_is_not_told(assigned, outbox, agent, requester):
    record = drive_to(assigned, wf.RESOLVED, agent=agent)
    NotificationOptOut.objects.create(user=agent, event="reopened")
    outbox.mark()

    services.incident_transition(record=record, actor=requester, to=wf.IN_PROGRESS, reason="Again.")

    assert outbox.sent() == []


def test_closing_by_an_agent_tells_the_requester(assigned, outbox, agent):
    record = drive_to(assigned, wf.RESOLVED, agent=agent)
    outbox.mark()

    services.incident_transition(record=record, actor=agent, to=wf.CLOSED)

    assert outbox.sent() == [("closed", "requester@example.com")]
    assert f"{record.number} is now closed (Closed)." in outbox.messages()[0].payload["text"]


def test_the_requester_confirming_the_resolution_is_not_told_about_it(assigned, outbox, agent, requester):
    record = drive_to(assigned, wf.RESOLVED, agent=agent)
    outbox.mark()

    services.incident_transition(record=record, actor=requester, to=wf.CLOSED)

    assert outbox.sent() == []


def test_an_automatic_close_tells_the_requester(assigned, outbox, agent):
    record = drive_to(assigned, wf.RESOLVED, agent=agent)
    outbox.mark()

    assert services.incidents_close_resolved(now=timezone.now() + timedelta(days=30)) == 1

    assert outbox.sent() == [("closed", "requester@example.com")]
    assert outbox.messages()[0].payload["subject"] == f"[{record.number}] Closed: Outlook does not start"


def test_a_cancelled_record_tells_the_requester(record, outbox, agent):
    services.incident_transition(record=record, actor=agent, to=wf.CANCELLED, reason="Filed twice.")

    assert outbox.sent() == [("closed", "requester@example.com")]
    text = outbox.messages()[0].payload["text"]
    assert "is now closed (Cancelled)." in text
    assert "Filed twice." in text


def test_a_requester_who_turned_resolutions_off_is_not_told(assigned, outbox, agent, requester):
    NotificationOptOut.objects.create(user=requester, event="resolved")

    drive_to(assigned, wf.RESOLVED, agent=agent)

    assert outbox.sent() == []


def test_the_actor_is_never_told_about_their_own_action(record, outbox, agent, group_manager):
    """The group manager works a record from start to close; every e-mail goes to someone else."""
    services.incident_assign(record=record, actor=group_manager, assignee=group_manager)
    services.incident_comment(record=record, actor=group_manager, body="Looking at it.")
    record = drive_to(record, wf.RESOLVED, agent=group_manager)

    assert "manager@example.com" not in [recipient for _, recipient in outbox.sent()]
    assert outbox.sent() == [("commented", "requester@example.com"), ("resolved", "requester@example.com")]


# The kind's words in the recipient's language (the kernel's wording: tests/servicedesk/test_notifications.py)


def _send(event, record, recipients):
    with transaction.atomic():
        return notify(event=event, record=record, recipients=recipients)


def test_an_incidents_kind_and_status_are_told_in_each_recipients_language(record, requester):
    chinese = UserFactory(username="liwei", full_name="Wei Li", language="zh-hans", roles=[roles.REQUESTER])

    to_english, to_chinese = _send(events.WAITING, record, [requester, chinese])

    assert f"Incident {record.number}" in to_english.payload["text"]
    assert f"事件 {record.number}" in to_chinese.payload["text"]
    assert "新建" in to_chinese.payload["text"]


def test_an_incidents_kind_is_told_in_the_sites_language_to_an_address_and_to_whoever_has_none(
    record, settings, agent
):
    agent.language = ""
    settings.LANGUAGE_CODE = "zh-hans"

    to_user, to_list = _send(events.ASSIGNED, record, [agent, "desk@example.com"])

    assert f"事件 {record.number}" in to_user.payload["text"]
    assert f"事件 {record.number}" in to_list.payload["text"]
