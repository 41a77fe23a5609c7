"""Acceptance (issue 5, e-mail intake): a requester and an agent talk about one incident by e-mail.

The requester writes to the desk's mailbox on a real IMAP server (dovecot), the poll files an incident
with the attachment, the agent's public comment reaches the requester by e-mail, and the requester's
reply to that e-mail lands on the same incident as a comment, without the quoted text.
"""

from email.message import EmailMessage
from email.utils import make_msgid

from django.core import mail as outbox

from incidents import services
from incidents.models import Incident
from servicedesk.mailthreads import thread_id
from servicedesk.models import Attachment, TimelineEntry
from servicedesk.services.mailboxes import mailbox_poll

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 256


def _poll(mailbox, capture) -> int:
    with capture(execute=True):
        return mailbox_poll(mailbox=mailbox)


def test_a_requester_and_an_agent_talk_about_an_incident_by_email(
    requester, agent, support_group, desk_mailbox, imap, django_capture_on_commit_callbacks
):
    first = EmailMessage()
    first["From"] = f"{requester.full_name} <{requester.email}>"
    first["To"] = desk_mailbox.address
    first["Subject"] = "Outlook does not start"
    first["Message-ID"] = make_msgid(domain="example.com")
    first.set_content("Outlook crashes at once. A screenshot is attached.")
    first.add_attachment(PNG, maintype="image", subtype="png", filename="crash.png")
    imap.append(first.as_bytes())

    assert _poll(desk_mailbox, django_capture_on_commit_callbacks) == 1

    incident = Incident.objects.get()
    assert (incident.requester, incident.channel, incident.kind) == (requester, "email", "incident")
    assert incident.title == "Outlook does not start"
    assert list(Attachment.objects.filter(entry__object_id=incident.pk).values_list("name", flat=True)) == [
        "crash.png"
    ]

    outbox.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_comment(
            record=incident, actor=agent, body="Please start it with /safe and tell us."
        )

    [notification] = [m for m in outbox.outbox if requester.email in m.to]
    sent = notification.message()
    assert f"[{incident.number}]" in sent["Subject"]
    assert sent["In-Reply-To"] == thread_id(incident.number)
    assert "Please start it with /safe" in notification.body

    reply = EmailMessage()
    reply["From"] = requester.email
    reply["To"] = desk_mailbox.address
    reply["Subject"] = f"Re: {sent['Subject']}"
    reply["Message-ID"] = make_msgid(domain="example.com")
    reply["In-Reply-To"] = sent["Message-ID"]
    reply["References"] = f"{sent['References']} {sent['Message-ID']}"
    quoted = "\n".join(f"> {line}" for line in notification.body.splitlines())
    reply.set_content(
        f"Safe mode works, thank you.\n\nOn Tue, 24 Nov 2026 at 10:00, {sent['From']} wrote:\n{quoted}\n"
    )
    imap.append(reply.as_bytes())

    assert _poll(desk_mailbox, django_capture_on_commit_callbacks) == 1

    assert Incident.objects.count() == 1
    comment = TimelineEntry.objects.filter(object_id=incident.pk, kind=TimelineEntry.Kind.COMMENT).latest(
        "pk"
    )
    assert (comment.author, comment.is_public) == (requester, True)
    assert comment.body == "Safe mode works, thank you."
    assert "/safe" not in comment.body
    assert all("\\Seen" in flags for flags in imap.flags())


def _message(sender, to, subject, body, **headers) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.com")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def test_only_the_agents_genuine_reply_reaches_the_requester_a_forged_one_stays_internal(
    requester, agent, support_group, desk_mailbox, imap, django_capture_on_commit_callbacks
):
    """Issue 12: the agent answers by e-mail (a reply to the notification sent to them), and someone
    who writes `From: agent` with the record's number in the subject reaches nobody."""
    with django_capture_on_commit_callbacks(execute=True):
        incident = services.incident_create(actor=requester, title="Outlook does not start")
        services.incident_transition(record=incident, actor=agent, to="assigned", assignee=agent)
    imap.append(
        _message(requester.email, desk_mailbox.address, f"Re: [{incident.number}]", "It still crashes.")
    )
    outbox.outbox.clear()
    assert _poll(desk_mailbox, django_capture_on_commit_callbacks) == 1
    [to_agent] = [m for m in outbox.outbox if agent.email in m.to]
    notification = to_agent.message()

    outbox.outbox.clear()
    imap.append(
        _message(
            agent.email,
            desk_mailbox.address,
            f"Re: {notification['Subject']}",
            "Please start it with /safe.",
            In_Reply_To=notification["Message-ID"],
            References=f"{notification['References']} {notification['Message-ID']}",
        )
    )
    imap.append(
        _message(
            f"Agent <{agent.email}>",
            desk_mailbox.address,
            f"Re: [{incident.number}] Outlook does not start",
            "Send your password to helpdesk@evil.example.",
        )
    )
    assert _poll(desk_mailbox, django_capture_on_commit_callbacks) == 2

    comments = TimelineEntry.objects.filter(object_id=incident.pk, kind=TimelineEntry.Kind.COMMENT)
    assert [(c.author, c.body) for c in comments.order_by("pk")] == [
        (requester, "It still crashes."),
        (agent, "Please start it with /safe."),
    ]
    [note] = TimelineEntry.objects.filter(object_id=incident.pk, kind=TimelineEntry.Kind.WORK_NOTE)
    assert (note.author, note.is_public, note.data["email"]["verified"]) == (None, False, False)
    to_requester = [m for m in outbox.outbox if requester.email in m.to]
    assert len(to_requester) == 1
    assert "/safe" in to_requester[0].body
    assert all("evil.example" not in m.body for m in outbox.outbox)
