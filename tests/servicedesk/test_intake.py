import io
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.core.management import CommandError, call_command

from incidents import services
from incidents.models import Incident
from servicedesk import roles
from servicedesk.intake import email_ingest, ingest
from servicedesk.mailthreads import message_id as desk_message_id
from servicedesk.mailthreads import thread_id
from servicedesk.models import Attachment, InboundEmail, Mailbox, TimelineEntry, User

from ..factories import UserFactory
from ..incidents.factories import RequestTypeFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ENGLISH_REPLY = (
    "Thanks, it works again.\n"
    "\n"
    "On Tue, 24 Nov 2026 at 09:00, ITSM Service Desk <servicedesk@localhost> wrote:\n"
    "> Please restart Outlook and tell us if it starts.\n"
    ">\n"
    "> The desk\n"
)
CHINESE_OUTLOOK_REPLY = (
    "好的，已经可以用了。\n"
    "\n"
    "发件人: ITSM Service Desk <servicedesk@localhost>\n"
    "发送时间: 2026年11月24日 9:00\n"
    "收件人: requester@example.com\n"
    "主题: [INC0000001] Outlook does not start\n"
    "\n"
    "请重新启动 Outlook。\n"
)
CHINESE_GMAIL_REPLY = (
    "好的，已经可以用了。\n"
    "\n"
    "在 2026年11月24日周二 09:00，ITSM Service Desk <servicedesk@localhost> 写道：\n"
    "> 请重新启动 Outlook。\n"
)


def mail(
    *,
    sender="requester@example.com",
    subject="Outlook does not start",
    body="It crashes at once.",
    html=None,
    message_id="auto",
    headers=None,
    attachments=(),
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "desk@example.test"
    message["Subject"] = subject
    if message_id == "auto":
        message["Message-ID"] = make_msgid(domain="client.example")
    elif message_id:
        message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    if body is not None:
        message.set_content(body)
        if html:
            message.add_alternative(html, subtype="html")
    elif html:
        message.set_content(html, subtype="html")
    for name, content, content_type in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


@pytest.fixture(autouse=True)
def _attachment_root(settings, tmp_path):
    settings.ITSM_ATTACHMENT_ROOT = tmp_path / "attachments"


@pytest.fixture
def incident(requester):
    return services.incident_create(actor=requester, title="Outlook does not start")


def _record(inbound: InboundEmail) -> Incident:
    assert inbound.content_type is not None, inbound.detail
    return Incident.objects.get(pk=inbound.object_id)


def _comments(record):
    return list(
        TimelineEntry.objects.filter(object_id=record.pk, kind=TimelineEntry.Kind.COMMENT).order_by("pk")
    )


# New messages -----------------------------------------------------------------------------------


def test_new_message_from_a_known_sender_files_an_incident_by_email(requester):
    inbound = email_ingest(raw=mail(sender="Requester <REQUESTER@Example.com>"))

    assert inbound.result == InboundEmail.Result.CREATED
    record = _record(inbound)
    assert record.kind == Incident.Kind.INCIDENT
    assert record.number.startswith("INC")
    assert record.requester == requester
    assert record.channel == Incident.Channel.EMAIL
    assert record.title == "Outlook does not start"
    assert record.description == "It crashes at once."
    assert inbound.detail.startswith(record.number)


def test_an_unknown_sender_becomes_a_requester(db, organisation):
    organisation.email_domain = "contoso.example"
    organisation.save(update_fields=["email_domain"])

    inbound = email_ingest(raw=mail(sender="Wang Fang <Wang.Fang@contoso.example>"))

    user = User.objects.get(email__iexact="wang.fang@contoso.example")
    assert _record(inbound).requester == user
    assert user.username == "wang.fang@contoso.example"
    assert user.full_name == "Wang Fang"
    assert not user.has_usable_password()
    assert set(user.groups.values_list("name", flat=True)) == {roles.REQUESTER}
    assert user.organisation == organisation


def test_a_new_requester_whose_address_is_a_taken_user_name_gets_another(db, settings):
    settings.ITSM_MAIL_UNKNOWN_SENDERS = "create"
    UserFactory(username="new@client.example", email="someone@else.example")

    inbound = email_ingest(raw=mail(sender="new@client.example"))

    assert _record(inbound).requester.username == "new@client.example-2"


def test_a_request_mailbox_files_a_request_of_the_email_default_type(requester):
    request_type = RequestTypeFactory(name="General request", is_email_default=True)
    mailbox = Mailbox.objects.create(
        name="Requests", address="requests@example.test", host="x", username="x", record_kind="request"
    )

    inbound = email_ingest(raw=mail(subject="Fwd: RE: A new laptop"), mailbox=mailbox)

    record = _record(inbound)
    assert (record.kind, record.request_type, record.number[:3]) == ("request", request_type, "REQ")
    assert record.title == "A new laptop"
    assert inbound.mailbox == mailbox


def test_a_request_mailbox_without_a_default_type_files_an_incident_and_says_so(requester):
    mailbox = Mailbox.objects.create(
        name="Requests", address="requests@example.test", host="x", username="x", record_kind="request"
    )

    record = _record(email_ingest(raw=mail(), mailbox=mailbox))

    assert record.kind == Incident.Kind.INCIDENT
    assert TimelineEntry.objects.filter(
        object_id=record.pk, kind=TimelineEntry.Kind.SYSTEM, data__event="email_no_default_request_type"
    ).exists()


def test_an_empty_subject_files_a_record_without_subject(requester):
    record = _record(email_ingest(raw=mail(subject="")))

    assert record.title == "(no subject)"


def test_an_html_only_message_is_filed_as_text(requester):
    html = (
        "<html><style>p {color: red}</style><body>"
        "<p>Outlook &amp; Teams</p><p>crash<br>at once</p></body></html>"
    )

    record = _record(email_ingest(raw=mail(body=None, html=html)))

    assert record.description == "Outlook & Teams\ncrash\nat once"


def test_a_message_without_message_id_is_taken_in_once(requester):
    raw = mail(message_id=None)

    first = email_ingest(raw=raw)
    second = email_ingest(raw=raw)

    assert first.pk == second.pk
    assert first.message_id.endswith("@intake.invalid>")
    assert Incident.objects.count() == 1


def test_a_duplicate_message_id_files_nothing_twice(requester):
    raw = mail(message_id="<same@client.example>")

    first = email_ingest(raw=raw)
    again = email_ingest(raw=mail(message_id="<same@client.example>", subject="Changed"))

    assert again.pk == first.pk
    assert Incident.objects.count() == 1
    assert InboundEmail.objects.count() == 1


def test_a_concurrent_duplicate_returns_the_row_that_won(requester, monkeypatch):
    first = email_ingest(raw=mail(message_id="<race@client.example>"))
    lookups = iter([None, first])  # not there yet when checked, there when the insert collides
    monkeypatch.setattr(ingest, "_taken_in", lambda message_id: next(lookups))

    again = email_ingest(raw=mail(message_id="<race@client.example>"))

    assert again.pk == first.pk
    assert Incident.objects.count() == 1


def test_a_sender_who_may_not_file_is_rejected_and_nothing_is_kept(db):
    UserFactory(email="integration@example.com")  # no role

    inbound = email_ingest(
        raw=mail(sender="integration@example.com", attachments=[("a.png", PNG, "image/png")])
    )

    assert inbound.result == InboundEmail.Result.REJECTED
    assert inbound.detail == "You may not file records."
    assert not Incident.objects.exists()
    assert not Attachment.objects.exists()


def test_an_inactive_sender_is_rejected(db):
    UserFactory(email="gone@example.com", is_active=False)

    inbound = email_ingest(raw=mail(sender="gone@example.com"))

    assert inbound.result == InboundEmail.Result.REJECTED
    assert "inactive" in inbound.detail
    assert not Incident.objects.exists()


# Machines ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "sender"),
    [
        ({"Auto-Submitted": "auto-replied"}, "requester@example.com"),
        ({"Auto-Submitted": "auto-generated"}, "requester@example.com"),
        ({"Precedence": "bulk"}, "requester@example.com"),
        ({"Precedence": "junk"}, "requester@example.com"),
        ({"Precedence": "list"}, "requester@example.com"),
        ({"X-Autoreply": "yes"}, "requester@example.com"),
        ({"X-Autorespond": "Out of office"}, "requester@example.com"),
        ({"X-Failed-Recipients": "someone@example.com"}, "requester@example.com"),
        ({"Return-Path": "<>"}, "requester@example.com"),
        ({}, "MAILER-DAEMON@mx.example.com"),
        ({}, "postmaster@example.com"),
    ],
)
def test_auto_replies_and_bounces_are_ignored(requester, incident, headers, sender):
    raw = mail(sender=sender, subject=f"Re: [{incident.number}] Out of office", headers=headers)

    inbound = email_ingest(raw=raw)

    assert inbound.result == InboundEmail.Result.IGNORED
    assert inbound.detail
    assert Incident.objects.count() == 1
    assert _comments(incident) == []


def test_a_delivery_report_is_ignored(requester):
    message = EmailMessage()
    message["From"] = "requester@example.com"
    message["Subject"] = "Undelivered Mail Returned to Sender"
    message["Message-ID"] = make_msgid()
    message.set_content("The mail system could not deliver.")
    message.add_attachment("Reporting-MTA: dns; mx.example.com\n", subtype="delivery-status")
    message.set_param("report-type", "delivery-status")
    message.replace_header(
        "Content-Type", message["Content-Type"].replace("multipart/mixed", "multipart/report")
    )

    inbound = email_ingest(raw=message.as_bytes())

    assert inbound.result == InboundEmail.Result.IGNORED
    assert not Incident.objects.exists()


def test_auto_submitted_no_is_a_person(requester):
    inbound = email_ingest(raw=mail(headers={"Auto-Submitted": "no", "X-Auto-Response-Suppress": "All"}))

    assert inbound.result == InboundEmail.Result.CREATED


@pytest.mark.parametrize("sender", ["ITSM Service Desk <servicedesk@localhost>", "desk@example.test"])
def test_mail_from_the_desk_itself_is_ignored_as_a_loop(db, sender):
    mailbox = Mailbox.objects.create(name="Desk", address="desk@example.test", host="x", username="x")

    inbound = email_ingest(raw=mail(sender=sender), mailbox=mailbox)

    assert inbound.result == InboundEmail.Result.IGNORED
    assert "loop" in inbound.detail
    assert not User.objects.filter(email__iexact=sender).exists()


# Replies ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"In-Reply-To": "desk-message"},
        {"References": "<earlier@client.example> desk-message"},
        {"In-Reply-To": "<unknown@client.example>", "References": "desk-thread"},
    ],
)
def test_a_reply_by_headers_is_a_public_comment_without_the_quoted_text(requester, incident, headers):
    values = {
        name: value.replace("desk-message", desk_message_id(incident.number)).replace(
            "desk-thread", thread_id(incident.number)
        )
        for name, value in headers.items()
    }

    inbound = email_ingest(raw=mail(subject="Re: Your incident", body=ENGLISH_REPLY, headers=values))

    assert inbound.result == InboundEmail.Result.COMMENTED
    assert _record(inbound) == incident
    [comment] = _comments(incident)
    assert comment.is_public
    assert comment.author == requester
    assert comment.body == "Thanks, it works again."


@pytest.mark.parametrize("body", [CHINESE_OUTLOOK_REPLY, CHINESE_GMAIL_REPLY])
def test_a_chinese_clients_quote_header_is_stripped(requester, incident, body):
    raw = mail(subject="回复: 事件", body=body, headers={"In-Reply-To": thread_id(incident.number)})

    email_ingest(raw=raw)

    assert [c.body for c in _comments(incident)] == ["好的，已经可以用了。"]


def test_a_reply_by_the_subject_token_is_a_comment(requester, incident):
    number = int(incident.number[3:])
    inbound = email_ingest(raw=mail(subject=f"RE: [INC-{number}] Outlook", body="Still broken."))

    assert inbound.result == InboundEmail.Result.COMMENTED
    assert [c.body for c in _comments(incident)] == ["Still broken."]


def test_a_reply_to_a_message_the_desk_took_in_lands_on_its_record(requester):
    first = email_ingest(raw=mail(message_id="<first@client.example>"))

    again = email_ingest(
        raw=mail(
            subject="Re: Outlook", body="More detail.", headers={"In-Reply-To": "<first@client.example>"}
        )
    )

    assert again.result == InboundEmail.Result.COMMENTED
    assert _record(again) == _record(first)


def test_a_token_for_a_record_the_sender_may_not_see_files_a_new_one(incident, other_requester):
    inbound = email_ingest(raw=mail(sender=other_requester.email, subject=f"Re: [{incident.number}] Mine?"))

    assert inbound.result == InboundEmail.Result.CREATED
    record = _record(inbound)
    assert record != incident
    assert record.requester == other_requester
    assert record.title == "Mine?"
    assert _comments(incident) == []


def test_a_requesters_reply_reopens_a_resolved_record(requester, incident, agent, support_group):
    services.incident_transition(record=incident, actor=agent, to="assigned", assignee=agent)
    services.incident_transition(
        record=incident, actor=agent, to="resolved", resolution_code="solved", resolution_notes="Fixed."
    )

    email_ingest(raw=mail(subject=f"Re: [{incident.number}]", body="No, it is not fixed."))

    incident.refresh_from_db()
    assert incident.status == "in_progress"


def test_a_reply_claiming_an_agents_address_without_proof_is_no_public_comment(requester, incident, agent):
    # More in test_intake_senders.py: a forged From never speaks for staff.
    inbound = email_ingest(
        raw=mail(sender=agent.email, subject=f"Re: [{incident.number}]", body="Try safe mode.")
    )

    assert inbound.result == InboundEmail.Result.NOTED
    assert _comments(incident) == []
    note = TimelineEntry.objects.get(object_id=incident.pk, kind=TimelineEntry.Kind.WORK_NOTE)
    assert (note.author, note.is_public, note.body) == (None, False, "Try safe mode.")


@pytest.mark.parametrize("status", ["closed", "cancelled"])
def test_a_reply_to_a_final_record_files_a_follow_up_linked_to_it(requester, incident, agent, status):
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

    assert inbound.result == InboundEmail.Result.FOLLOW_UP
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
    assert _comments(incident) == []


# Attachments ------------------------------------------------------------------------------------


def test_attachments_are_kept_and_refused_ones_dropped_with_a_note(requester, settings):
    settings.ITSM_ATTACHMENT_MAX_BYTES = 1000
    raw = mail(
        attachments=[
            ("screenshot.png", PNG, "image/png"),
            ("huge.txt", b"x" * 2000, "text/plain"),
            ("virus.exe", b"MZ\x90\x00", "application/octet-stream"),
            ("fake.pdf", b"not a pdf", "application/pdf"),
            ("log.txt", b"error 42\n", "text/plain"),
        ]
    )

    inbound = email_ingest(raw=raw)

    assert inbound.result == InboundEmail.Result.CREATED
    record = _record(inbound)
    kept = Attachment.objects.filter(entry__object_id=record.pk).order_by("name")
    assert [a.name for a in kept] == ["log.txt", "screenshot.png"]
    for name in ("huge.txt", "virus.exe", "fake.pdf"):
        assert name in inbound.detail
    note = TimelineEntry.objects.get(object_id=record.pk, kind=TimelineEntry.Kind.SYSTEM)
    assert note.data["event"] == "email_attachments_refused"
    for name in ("huge.txt", "virus.exe", "fake.pdf"):
        assert name in note.body


def test_files_beyond_the_per_message_limit_are_dropped(requester, settings):
    settings.ITSM_ATTACHMENTS_PER_ENTRY = 2
    raw = mail(attachments=[(f"shot{i}.png", PNG, "image/png") for i in range(3)])

    inbound = email_ingest(raw=raw)

    assert Attachment.objects.filter(entry__object_id=_record(inbound).pk).count() == 2
    assert "shot2.png" in inbound.detail


def test_a_reply_keeps_its_attachment_on_the_comment(requester, incident):
    raw = mail(
        subject=f"Re: [{incident.number}]",
        body="Here is the screenshot.",
        attachments=[("screen.png", PNG, "image/png")],
    )

    email_ingest(raw=raw)

    [comment] = _comments(incident)
    assert [a.name for a in comment.attachments.all()] == ["screen.png"]


def test_a_reply_with_only_a_file_below_the_quote_keeps_no_history(requester, incident):
    raw = mail(
        subject=f"Re: [{incident.number}]",
        body="On Tue, 24 Nov 2026 at 09:00, Desk <servicedesk@localhost> wrote:\n> Send a screenshot.\n",
        attachments=[("screen.png", PNG, "image/png")],
    )

    email_ingest(raw=raw)

    [comment] = _comments(incident)
    assert comment.body == ""
    assert comment.attachments.count() == 1


# The mail server's pipe -------------------------------------------------------------------------


def test_ingest_email_command_takes_a_message_from_stdin(requester):
    out = io.StringIO()

    call_command("ingest_email", stdin=io.BytesIO(mail()), stdout=out)

    record = Incident.objects.get()
    assert record.channel == "email"
    assert record.number in out.getvalue()


def test_ingest_email_command_succeeds_for_an_ignored_message_and_a_duplicate(requester, tmp_path):
    path = tmp_path / "bounce.eml"
    path.write_bytes(mail(sender="MAILER-DAEMON@mx.example.com"))

    for _ in range(2):
        call_command("ingest_email", file=str(path), stdout=io.StringIO())

    assert InboundEmail.objects.get().result == InboundEmail.Result.IGNORED


def test_ingest_email_command_files_for_the_named_mailbox(requester):
    RequestTypeFactory(is_email_default=True)
    Mailbox.objects.create(
        name="Requests", address="requests@example.test", host="x", username="x", record_kind="request"
    )

    call_command("ingest_email", mailbox="Requests", stdin=io.BytesIO(mail()), stdout=io.StringIO())

    assert Incident.objects.get().kind == "request"


@pytest.mark.parametrize("raw", [b"", b"   \n", b"no header at all"])
def test_ingest_email_command_refuses_unreadable_input(db, raw):
    with pytest.raises(CommandError):
        call_command("ingest_email", stdin=io.BytesIO(raw), stdout=io.StringIO())
