"""E-mail intake of incidents and requests: what incidents add to the kernel's intake (tested on the chore
in tests/servicedesk/test_intake*.py): channel "email", request mailboxes and their e-mail default type,
who may file, the requester's reply reopening, first responses, notifications and the incident page."""

import io

import pytest
from django.core import mail as sent_mail
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from incidents import services
from incidents.models import Incident
from servicedesk.intake import email_ingest
from servicedesk.mailthreads import thread_id
from servicedesk.models import Attachment, AuditEvent, InboundEmail, Mailbox, OutboxMessage, TimelineEntry
from servicedesk.services.notifications import notify
from tests.mailmessages import ENGLISH_REPLY, PNG, mail

from ..factories import UserFactory
from .factories import RequestTypeFactory

Result = InboundEmail.Result


@pytest.fixture(autouse=True)
def _incidents_by_email(settings):
    settings.ITSM_MAIL_DEFAULT_KIND = "incident"


@pytest.fixture
def incident(requester):
    return services.incident_create(actor=requester, title="Outlook does not start")


@pytest.fixture
def assigned(incident, agent, django_capture_on_commit_callbacks):
    """The requester's incident, assigned to the agent; the outbox starts empty."""
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_transition(record=incident, actor=agent, to="assigned", assignee=agent)
    OutboxMessage.objects.all().delete()
    sent_mail.outbox.clear()
    incident.refresh_from_db()
    return incident


def _record(inbound: InboundEmail) -> Incident:
    assert inbound.content_type is not None, inbound.detail
    return Incident.objects.get(pk=inbound.object_id)


def _entries(record, kind):
    return list(TimelineEntry.objects.filter(object_id=record.pk, kind=kind).order_by("pk"))


def _mailed_to(address) -> list:
    return [message for message in sent_mail.outbox if address in message.to]


def _notification_to(user, record) -> str:
    """The Message-ID of a notification the desk writes to `user` about `record`."""
    with transaction.atomic():
        [message] = notify(event="commented", record=record, recipients=[user])
    return message.payload["headers"]["Message-ID"]


def _reply(sender, record, *, in_reply_to=None, body="Please uninstall the add-in."):
    headers = {"References": thread_id(record.number)}
    if in_reply_to:
        headers = {"In-Reply-To": in_reply_to, "References": f"{thread_id(record.number)} {in_reply_to}"}
    return mail(
        sender=sender, subject=f"Re: [{record.number}] Outlook does not start", body=body, headers=headers
    )


def _ingest(raw, capture) -> InboundEmail:
    with capture(execute=True):
        return email_ingest(raw=raw)


def _request_mailbox() -> Mailbox:
    return Mailbox.objects.create(
        name="Requests", address="requests@example.test", host="x", username="x", record_kind="request"
    )


# Filing -----------------------------------------------------------------------------------------


def test_new_message_from_a_known_sender_files_an_incident_by_email(requester):
    inbound = email_ingest(raw=mail(sender="Requester <REQUESTER@Example.com>"))

    assert inbound.result == Result.CREATED
    record = _record(inbound)
    assert record.kind == Incident.Kind.INCIDENT
    assert record.number.startswith("INC")
    assert record.requester == requester
    assert record.channel == Incident.Channel.EMAIL
    assert record.title == "Outlook does not start"
    assert record.description == "It crashes at once."
    assert inbound.detail.startswith(record.number)


def test_a_request_mailbox_files_a_request_of_the_email_default_type(requester):
    request_type = RequestTypeFactory(name="General request", is_email_default=True)
    mailbox = _request_mailbox()

    inbound = email_ingest(raw=mail(subject="Fwd: RE: A new laptop"), mailbox=mailbox)

    record = _record(inbound)
    assert (record.kind, record.request_type, record.number[:3]) == ("request", request_type, "REQ")
    assert record.channel == Incident.Channel.EMAIL
    assert record.title == "A new laptop"
    assert inbound.mailbox == mailbox


def test_a_request_mailbox_without_a_default_type_files_an_incident_and_says_so(requester):
    record = _record(email_ingest(raw=mail(), mailbox=_request_mailbox()))

    assert record.kind == Incident.Kind.INCIDENT
    assert TimelineEntry.objects.filter(
        object_id=record.pk, kind=TimelineEntry.Kind.SYSTEM, data__event="email_no_default_request_type"
    ).exists()


def test_a_sender_who_may_not_file_is_rejected_and_nothing_is_kept(db):
    UserFactory(email="integration@example.com")  # no role

    inbound = email_ingest(
        raw=mail(sender="integration@example.com", attachments=[("a.png", PNG, "image/png")])
    )

    assert inbound.result == Result.REJECTED
    assert inbound.detail == "You may not file records."
    assert not Incident.objects.exists()
    assert not Attachment.objects.exists()


def test_ingest_email_command_files_an_incident_by_email(requester):
    out = io.StringIO()

    call_command("ingest_email", stdin=io.BytesIO(mail()), stdout=out)

    record = Incident.objects.get()
    assert record.channel == "email"
    assert record.number in out.getvalue()


def test_ingest_email_command_files_for_the_named_request_mailbox(requester):
    RequestTypeFactory(is_email_default=True)
    _request_mailbox()

    call_command("ingest_email", mailbox="Requests", stdin=io.BytesIO(mail()), stdout=io.StringIO())

    assert Incident.objects.get().kind == "request"


# Replies ----------------------------------------------------------------------------------------


def test_a_requesters_reply_reopens_a_resolved_record(requester, incident, agent, support_group):
    services.incident_transition(record=incident, actor=agent, to="assigned", assignee=agent)
    services.incident_transition(
        record=incident, actor=agent, to="resolved", resolution_code="solved", resolution_notes="Fixed."
    )

    email_ingest(raw=mail(subject=f"Re: [{incident.number}]", body="No, it is not fixed."))

    incident.refresh_from_db()
    assert incident.status == "in_progress"


@pytest.mark.parametrize("status", ["closed", "cancelled"])
def test_a_reply_to_a_closed_or_cancelled_record_files_a_follow_up_by_email(
    requester, incident, agent, status
):
    if status == "closed":
        services.incident_transition(
            record=incident, actor=agent, to="resolved", resolution_code="solved", resolution_notes="Fixed."
        )
        services.incident_transition(record=incident, actor=requester, to="closed")
    else:
        services.incident_transition(record=incident, actor=requester, to="cancelled", reason="Not needed.")

    inbound = email_ingest(
        raw=mail(
            subject=f"Re: [{incident.number}] Outlook does not start",
            body=ENGLISH_REPLY,
            headers={"In-Reply-To": thread_id(incident.number)},
        )
    )

    assert inbound.result == Result.FOLLOW_UP
    follow_up = _record(inbound)
    assert follow_up != incident
    assert (follow_up.requester, follow_up.channel) == (requester, "email")
    assert follow_up.title == "Outlook does not start"
    assert follow_up.description == "Thanks, it works again."
    links = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.LINK)
    assert links.get(object_id=follow_up.pk).data == {"link": "follow_up_of", "number": incident.number}
    assert links.get(object_id=incident.pk).data == {"link": "followed_up_by", "number": follow_up.number}
    incident.refresh_from_db()
    assert incident.status == status
    assert _entries(incident, TimelineEntry.Kind.COMMENT) == []


# Senders: first responses, notifications, the incident page -----------------------------------


def test_a_forged_agent_reply_is_no_first_response_and_mails_nobody(
    assigned, agent, requester, django_capture_on_commit_callbacks
):
    inbound = _ingest(
        _reply(agent.email, assigned, body="Your password is now hunter2."),
        django_capture_on_commit_callbacks,
    )

    assert inbound.result == Result.NOTED
    [note] = _entries(assigned, TimelineEntry.Kind.WORK_NOTE)
    assert (note.is_public, note.author, note.data["event"]) == (False, None, "email_unverified_sender")
    assert not OutboxMessage.objects.filter(recipient=requester.email).exists()
    assert _mailed_to(requester.email) == []
    assigned.refresh_from_db()
    assert assigned.responded_at is None  # an unproven agent reply is no first response
    assert AuditEvent.objects.filter(action="incident.email_unverified_noted", actor=None).exists()


def test_the_flagged_note_shows_to_agents_as_unverified_and_not_to_the_requester(
    assigned, agent, requester, client, django_capture_on_commit_callbacks
):
    _ingest(_reply(agent.email, assigned, body="Forged words."), django_capture_on_commit_callbacks)
    page = reverse("record", args=[assigned.number])

    client.force_login(agent)
    html = client.get(page).content.decode()
    assert 'data-testid="email-sender" data-verified="false"' in html
    assert "By e-mail, sender not verified" in html
    assert "Forged words." in html

    client.force_login(requester)
    html = client.get(page).content.decode()
    assert "Forged words." not in html
    assert "email-sender" not in html


def test_refuse_setting_rejects_a_forged_agent_reply_and_mails_nobody(
    assigned, agent, settings, django_capture_on_commit_callbacks
):
    settings.ITSM_MAIL_UNVERIFIED_STAFF = "refuse"

    inbound = _ingest(_reply(agent.email, assigned), django_capture_on_commit_callbacks)

    assert inbound.result == Result.REJECTED
    assert sent_mail.outbox == []


def test_a_genuine_agent_reply_is_the_first_response_mailed_to_the_requester(
    assigned, agent, requester, django_capture_on_commit_callbacks
):
    token_id = _notification_to(agent, assigned)

    inbound = _ingest(_reply(agent.email, assigned, in_reply_to=token_id), django_capture_on_commit_callbacks)

    assert (inbound.result, inbound.authenticated_by) == (Result.COMMENTED, "reply_token")
    [message] = _mailed_to(requester.email)
    assert "Please uninstall the add-in." in message.body
    assigned.refresh_from_db()
    assert assigned.responded_at is not None


def test_the_incident_page_marks_a_proven_sender_as_verified(assigned, agent, client):
    token_id = _notification_to(agent, assigned)
    email_ingest(raw=_reply(agent.email, assigned, in_reply_to=token_id))
    client.force_login(agent)

    html = client.get(reverse("record", args=[assigned.number])).content.decode()

    assert 'data-testid="email-sender" data-verified="true"' in html
    assert 'data-verified="false"' not in html


def test_the_incident_page_flags_an_incident_filed_from_an_unverified_staff_address(agent, client):
    email_ingest(raw=mail(sender=agent.email, subject="Laptop broken"))
    client.force_login(agent)

    html = client.get(reverse("record", args=[Incident.objects.get().number])).content.decode()

    assert (
        f"Filed by e-mail from {agent.email}, a staff address, but nothing proves that they sent it" in html
    )


def test_a_requesters_unproven_reply_is_mailed_to_the_agent(
    assigned, requester, agent, django_capture_on_commit_callbacks
):
    inbound = _ingest(
        _reply(requester.email, assigned, body="Still broken."), django_capture_on_commit_callbacks
    )

    assert (inbound.result, inbound.authenticated_by) == (Result.COMMENTED, "")
    assert len(_mailed_to(agent.email)) == 1
