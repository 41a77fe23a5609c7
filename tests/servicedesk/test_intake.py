"""E-mail intake on the test-only chore kind: what the kernel does for any kind that registers a
`MailIntake` (incidents' own rules: tests/incidents/test_mail_intake.py)."""

import io
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.core.management import CommandError, call_command

from servicedesk import roles
from servicedesk.errors import PermissionDenied
from servicedesk.intake import email_ingest, ingest
from servicedesk.mailthreads import message_id as desk_message_id
from servicedesk.mailthreads import thread_id
from servicedesk.models import Attachment, AuditEvent, InboundEmail, Mailbox, TimelineEntry, User
from servicedesk.records.transitions import record_transition
from tests.kernelkind import workflow as wf
from tests.kernelkind.intake import ChoreMailIntake
from tests.kernelkind.models import Chore
from tests.kernelkind.records import PUBLISHED
from tests.mailmessages import ENGLISH_REPLY, PNG, mail

from ..factories import UserFactory

CHINESE_OUTLOOK_REPLY = (
    "好的，已经可以用了。\n"
    "\n"
    "发件人: ITSM Service Desk <servicedesk@localhost>\n"
    "发送时间: 2026年11月24日 9:00\n"
    "收件人: requester@example.com\n"
    "主题: [TST0000001] Water the plants\n"
    "\n"
    "请浇花。\n"
)
CHINESE_GMAIL_REPLY = (
    "好的，已经可以用了。\n"
    "\n"
    "在 2026年11月24日周二 09:00，ITSM Service Desk <servicedesk@localhost> 写道：\n"
    "> 请浇花。\n"
)


@pytest.fixture(autouse=True)
def _chores_by_email(settings, tmp_path):
    """Mail that names no mailbox files chores; files are kept under the test's directory."""
    settings.ITSM_MAIL_DEFAULT_KIND = "chore"
    settings.ITSM_ATTACHMENT_ROOT = tmp_path / "attachments"


def _record(inbound: InboundEmail) -> Chore:
    assert inbound.content_type is not None, inbound.detail
    return Chore.objects.get(pk=inbound.object_id)


def _comments(record):
    return list(
        TimelineEntry.objects.filter(object_id=record.pk, kind=TimelineEntry.Kind.COMMENT).order_by("pk")
    )


def _finished(chore, worker):
    Chore.objects.filter(pk=chore.pk).update(checked=True)
    return record_transition(record=Chore.objects.get(pk=chore.pk), actor=worker, to=wf.DONE, outcome="Done.")


# New messages -----------------------------------------------------------------------------------


def test_new_message_from_a_known_sender_files_a_record_of_the_default_kind(requester):
    inbound = email_ingest(raw=mail(sender="Requester <REQUESTER@Example.com>"))

    assert inbound.result == InboundEmail.Result.CREATED
    record = _record(inbound)
    assert record.number.startswith("TST")
    assert record.requester == requester
    assert record.title == "Outlook does not start"
    assert record.description == "It crashes at once."
    assert inbound.detail.startswith(record.number)
    assert inbound.mailbox is None


def test_a_mailbox_files_the_kind_it_is_set_to(requester, settings):
    settings.ITSM_MAIL_DEFAULT_KIND = "gadget"  # no such kind: only the mailbox's choice files anything
    mailbox = Mailbox.objects.create(
        name="Chores", address="chores@example.test", host="x", username="x", record_kind="chore"
    )

    inbound = email_ingest(raw=mail(subject="Fwd: RE: Water the plants"), mailbox=mailbox)

    record = _record(inbound)
    assert record.title == "Water the plants"
    assert inbound.mailbox == mailbox


def test_a_mailbox_of_a_kind_that_takes_no_email_files_the_default_kind(requester):
    mailbox = Mailbox.objects.create(
        name="Old", address="old@example.test", host="x", username="x", record_kind="gadget"
    )

    assert _record(email_ingest(raw=mail(), mailbox=mailbox)).number.startswith("TST")


def test_mail_that_no_kind_files_is_rejected(requester, settings):
    settings.ITSM_MAIL_DEFAULT_KIND = "gadget"

    inbound = email_ingest(raw=mail())

    assert inbound.result == InboundEmail.Result.REJECTED
    assert "gadget" in inbound.detail
    assert not Chore.objects.exists()


def test_a_new_mailbox_files_the_default_kind(db, settings):
    settings.ITSM_MAIL_DEFAULT_KIND = "chore"

    mailbox = Mailbox.objects.create(name="Desk", address="desk@example.test", host="x", username="x")

    assert mailbox.record_kind == "chore"


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
    assert Chore.objects.count() == 1


def test_a_duplicate_message_id_files_nothing_twice(requester):
    raw = mail(message_id="<same@client.example>")

    first = email_ingest(raw=raw)
    again = email_ingest(raw=mail(message_id="<same@client.example>", subject="Changed"))

    assert again.pk == first.pk
    assert Chore.objects.count() == 1
    assert InboundEmail.objects.count() == 1


def test_a_concurrent_duplicate_returns_the_row_that_won(requester, monkeypatch):
    first = email_ingest(raw=mail(message_id="<race@client.example>"))
    lookups = iter([None, first])  # not there yet when checked, there when the insert collides
    monkeypatch.setattr(ingest, "_taken_in", lambda message_id: next(lookups))

    again = email_ingest(raw=mail(message_id="<race@client.example>"))

    assert again.pk == first.pk
    assert Chore.objects.count() == 1


def test_a_filing_the_kind_refuses_is_rejected_and_nothing_is_kept(requester, monkeypatch):
    real_file = ChoreMailIntake.file

    def file_then_refuse(self, **kwargs):
        real_file(self, **kwargs)  # the chore and its file are written, then refused
        raise PermissionDenied("You may not file chores.")

    monkeypatch.setattr(ChoreMailIntake, "file", file_then_refuse)

    inbound = email_ingest(raw=mail(attachments=[("a.png", PNG, "image/png")]))

    assert inbound.result == InboundEmail.Result.REJECTED
    assert inbound.detail == "You may not file chores."
    assert not Chore.objects.exists()
    assert not Attachment.objects.exists()
    assert InboundEmail.objects.get() == inbound


def test_an_inactive_sender_is_rejected(db):
    UserFactory(email="gone@example.com", is_active=False)

    inbound = email_ingest(raw=mail(sender="gone@example.com"))

    assert inbound.result == InboundEmail.Result.REJECTED
    assert "inactive" in inbound.detail
    assert not Chore.objects.exists()


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
def test_auto_replies_and_bounces_are_ignored(requester, chore, headers, sender):
    raw = mail(sender=sender, subject=f"Re: [{chore.number}] Out of office", headers=headers)

    inbound = email_ingest(raw=raw)

    assert inbound.result == InboundEmail.Result.IGNORED
    assert inbound.detail
    assert Chore.objects.count() == 1
    assert _comments(chore) == []


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
    assert not Chore.objects.exists()


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
def test_a_reply_by_headers_is_a_public_comment_without_the_quoted_text(requester, chore, headers):
    values = {
        name: value.replace("desk-message", desk_message_id(chore.number)).replace(
            "desk-thread", thread_id(chore.number)
        )
        for name, value in headers.items()
    }

    inbound = email_ingest(raw=mail(subject="Re: Your chore", body=ENGLISH_REPLY, headers=values))

    assert inbound.result == InboundEmail.Result.COMMENTED
    assert _record(inbound) == chore
    [comment] = _comments(chore)
    assert comment.is_public
    assert comment.author == requester
    assert comment.body == "Thanks, it works again."
    assert PUBLISHED[-1] == (chore.number, "commented", {"entry": comment.pk})  # the kind hears of it
    assert AuditEvent.objects.filter(action="chore.commented", actor=requester).exists()


@pytest.mark.parametrize("body", [CHINESE_OUTLOOK_REPLY, CHINESE_GMAIL_REPLY])
def test_a_chinese_clients_quote_header_is_stripped(requester, chore, body):
    raw = mail(subject="回复: 家务", body=body, headers={"In-Reply-To": thread_id(chore.number)})

    email_ingest(raw=raw)

    assert [c.body for c in _comments(chore)] == ["好的，已经可以用了。"]


def test_a_reply_by_the_subject_token_is_a_comment(requester, chore):
    number = int(chore.number[3:])
    inbound = email_ingest(raw=mail(subject=f"RE: [TST-{number}] Plants", body="Still dry."))

    assert inbound.result == InboundEmail.Result.COMMENTED
    assert [c.body for c in _comments(chore)] == ["Still dry."]


def test_a_reply_to_a_message_the_desk_took_in_lands_on_its_record(requester):
    first = email_ingest(raw=mail(message_id="<first@client.example>"))

    again = email_ingest(
        raw=mail(
            subject="Re: Outlook", body="More detail.", headers={"In-Reply-To": "<first@client.example>"}
        )
    )

    assert again.result == InboundEmail.Result.COMMENTED
    assert _record(again) == _record(first)


def test_a_token_for_a_record_the_sender_may_not_see_files_a_new_one(chore, other_requester):
    inbound = email_ingest(raw=mail(sender=other_requester.email, subject=f"Re: [{chore.number}] Mine?"))

    assert inbound.result == InboundEmail.Result.CREATED
    record = _record(inbound)
    assert record != chore
    assert record.requester == other_requester
    assert record.title == "Mine?"
    assert _comments(chore) == []


def test_a_reply_claiming_an_agents_address_without_proof_is_no_public_comment(requester, chore, worker):
    # More in test_intake_senders.py: a forged From never speaks for staff.
    inbound = email_ingest(
        raw=mail(sender=worker.email, subject=f"Re: [{chore.number}]", body="Try safe mode.")
    )

    assert inbound.result == InboundEmail.Result.NOTED
    assert _comments(chore) == []
    note = TimelineEntry.objects.get(object_id=chore.pk, kind=TimelineEntry.Kind.WORK_NOTE)
    assert (note.author, note.is_public, note.body) == (None, False, "Try safe mode.")
    assert PUBLISHED[-1] == (chore.number, "work_noted", {"entry": note.pk})


@pytest.mark.parametrize("status", [wf.DONE, wf.DROPPED])
def test_a_reply_to_a_final_record_files_a_follow_up_linked_to_it(requester, chore, worker, status):
    if status == wf.DONE:
        chore = _finished(chore, worker)
    else:
        chore = record_transition(record=chore, actor=requester, to=wf.DROPPED, reason="Not needed.")

    inbound = email_ingest(
        raw=mail(
            subject=f"Re: [{chore.number}] Water the plants",
            body=ENGLISH_REPLY,
            headers={"In-Reply-To": thread_id(chore.number)},
        )
    )

    assert inbound.result == InboundEmail.Result.FOLLOW_UP
    follow_up = _record(inbound)
    assert follow_up != chore
    assert follow_up.requester == requester
    assert follow_up.title == "Water the plants"
    assert follow_up.description == "Thanks, it works again."
    links = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.LINK)
    assert links.get(object_id=follow_up.pk).data == {"link": "follow_up_of", "number": chore.number}
    assert links.get(object_id=chore.pk).data == {"link": "followed_up_by", "number": follow_up.number}
    chore.refresh_from_db()
    assert chore.status == status
    assert _comments(chore) == []


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


def test_a_reply_keeps_its_attachment_on_the_comment(requester, chore):
    raw = mail(
        subject=f"Re: [{chore.number}]",
        body="Here is the screenshot.",
        attachments=[("screen.png", PNG, "image/png")],
    )

    email_ingest(raw=raw)

    [comment] = _comments(chore)
    assert [a.name for a in comment.attachments.all()] == ["screen.png"]


def test_a_reply_with_only_a_file_below_the_quote_keeps_no_history(requester, chore):
    raw = mail(
        subject=f"Re: [{chore.number}]",
        body="On Tue, 24 Nov 2026 at 09:00, Desk <servicedesk@localhost> wrote:\n> Send a screenshot.\n",
        attachments=[("screen.png", PNG, "image/png")],
    )

    email_ingest(raw=raw)

    [comment] = _comments(chore)
    assert comment.body == ""
    assert comment.attachments.count() == 1


# The mail server's pipe -------------------------------------------------------------------------


def test_ingest_email_command_takes_a_message_from_stdin(requester):
    out = io.StringIO()

    call_command("ingest_email", stdin=io.BytesIO(mail()), stdout=out)

    record = Chore.objects.get()
    assert record.requester == requester
    assert record.number in out.getvalue()


def test_ingest_email_command_succeeds_for_an_ignored_message_and_a_duplicate(requester, tmp_path):
    path = tmp_path / "bounce.eml"
    path.write_bytes(mail(sender="MAILER-DAEMON@mx.example.com"))

    for _ in range(2):
        call_command("ingest_email", file=str(path), stdout=io.StringIO())

    assert InboundEmail.objects.get().result == InboundEmail.Result.IGNORED


def test_ingest_email_command_files_for_the_named_mailbox(requester, settings):
    settings.ITSM_MAIL_DEFAULT_KIND = "gadget"
    Mailbox.objects.create(
        name="Chores", address="chores@example.test", host="x", username="x", record_kind="chore"
    )

    call_command("ingest_email", mailbox="Chores", stdin=io.BytesIO(mail()), stdout=io.StringIO())

    assert InboundEmail.objects.get().mailbox.name == "Chores"
    assert Chore.objects.get().title == "Outlook does not start"


@pytest.mark.parametrize("raw", [b"", b"   \n", b"no header at all"])
def test_ingest_email_command_refuses_unreadable_input(db, raw):
    with pytest.raises(CommandError):
        call_command("ingest_email", stdin=io.BytesIO(raw), stdout=io.StringIO())
