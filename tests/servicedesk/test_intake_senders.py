"""Who may act by e-mail: a forged From never speaks for staff; reply tokens and trusted
Authentication-Results prove a sender; the unknown-sender and unverified-staff settings. On the test-only
chore kind (what incidents add: tests/incidents/test_mail_intake.py)."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from servicedesk.intake import email_ingest
from servicedesk.mailthreads import thread_id
from servicedesk.models import AuditEvent, InboundEmail, TimelineEntry, User
from servicedesk.services.notifications import notify
from tests.kernelkind.models import Chore
from tests.kernelkind.records import PUBLISHED
from tests.kernelkind.services import chore_create
from tests.mailmessages import mail

from ..factories import OrganisationFactory, UserFactory

Result = InboundEmail.Result
MX = "mx.example.com"


@pytest.fixture(autouse=True)
def _chores_by_email(settings, tmp_path):
    """Mail that names no mailbox files chores; files are kept under the test's directory."""
    settings.ITSM_MAIL_DEFAULT_KIND = "chore"
    settings.ITSM_ATTACHMENT_ROOT = tmp_path / "attachments"


@pytest.fixture
def record(chore, worker):
    """The requester's chore, which the worker (an agent of chores) may see and answer."""
    return chore


def notification_to(user, record) -> str:
    """The Message-ID of a notification the desk writes to `user` about `record`."""
    with transaction.atomic():
        [message] = notify(event="commented", record=record, recipients=[user])
    return message.payload["headers"]["Message-ID"]


def reply(sender, record, *, in_reply_to=None, body="Please uninstall the add-in.", headers=None, top=()):
    """A reply to a notification about `record` (the subject token is always there, as a forger writes
    it); `top` are header lines above all others (what the receiving mail server prepends)."""
    values = {"References": thread_id(record.number), **(headers or {})}
    if in_reply_to:
        values["In-Reply-To"] = in_reply_to
        values["References"] = f"{thread_id(record.number)} {in_reply_to}"
    raw = mail(
        sender=sender, subject=f"Re: [{record.number}] Outlook does not start", body=body, headers=values
    )
    return b"".join(f"{line}\n".encode() for line in top) + raw


def ingest(raw, capture) -> InboundEmail:
    """Take the message in and run what its commit triggers (outbox deliveries)."""
    with capture(execute=True):
        return email_ingest(raw=raw)


def entries(record, kind):
    return list(TimelineEntry.objects.filter(object_id=record.pk, kind=kind).order_by("pk"))


# A forged From ----------------------------------------------------------------------------------


def test_a_forged_agent_reply_is_an_internal_flagged_note_by_nobody(
    record, worker, requester, django_capture_on_commit_callbacks
):
    inbound = ingest(
        reply(worker.email, record, body="Your password is now hunter2."), django_capture_on_commit_callbacks
    )

    assert (inbound.result, inbound.authenticated_by) == (Result.NOTED, "")
    assert worker.email in inbound.detail
    assert entries(record, TimelineEntry.Kind.COMMENT) == []
    [note] = entries(record, TimelineEntry.Kind.WORK_NOTE)
    assert (note.is_public, note.author, note.body) == (False, None, "Your password is now hunter2.")
    assert note.data["event"] == "email_unverified_sender"
    assert note.data["email"] == {
        "sender": worker.email,
        "message_id": inbound.message_id,
        "verified": False,
        "authenticated_by": "",
    }
    assert PUBLISHED[-1] == (record.number, "work_noted", {"entry": note.pk})  # for the kind's rules
    assert AuditEvent.objects.filter(action="chore.email_unverified_noted", actor=None).exists()


def test_the_flagged_note_shows_to_agents_as_unverified_and_not_to_the_requester(
    record, worker, requester, client, django_capture_on_commit_callbacks
):
    ingest(reply(worker.email, record, body="Forged words."), django_capture_on_commit_callbacks)
    page = reverse("record", args=[record.number])

    client.force_login(worker)
    html = client.get(page).content.decode()
    assert 'data-testid="email-sender" data-verified="false"' in html
    assert "By e-mail, sender not verified" in html
    assert "Forged words." in html

    client.force_login(requester)
    html = client.get(page).content.decode()
    assert "Forged words." not in html
    assert "email-sender" not in html


def test_refuse_setting_rejects_a_forged_agent_reply_with_the_reason(
    record, worker, settings, django_capture_on_commit_callbacks
):
    settings.ITSM_MAIL_UNVERIFIED_STAFF = "refuse"

    inbound = ingest(reply(worker.email, record), django_capture_on_commit_callbacks)

    assert inbound.result == Result.REJECTED
    assert worker.email in inbound.detail
    assert "proves" in inbound.detail
    assert TimelineEntry.objects.filter(object_id=record.pk, kind__in=["comment", "work_note"]).count() == 0


@pytest.mark.parametrize("value", ["bogus", ""])
def test_an_unknown_unverified_staff_setting_refuses(record, worker, settings, value):
    settings.ITSM_MAIL_UNVERIFIED_STAFF = value

    assert email_ingest(raw=reply(worker.email, record)).result == Result.REJECTED


@pytest.mark.parametrize("setting", ["note", "refuse"])
def test_a_new_message_from_an_unverified_staff_address(worker, settings, setting):
    settings.ITSM_MAIL_UNVERIFIED_STAFF = setting

    inbound = email_ingest(raw=mail(sender=worker.email, subject="Laptop broken"))

    if setting == "refuse":
        assert inbound.result == Result.REJECTED
        assert not Chore.objects.exists()
        return
    assert inbound.result == Result.CREATED
    record = Chore.objects.get()
    assert record.requester == worker
    [flag] = entries(record, TimelineEntry.Kind.SYSTEM)
    assert (flag.is_public, flag.data["event"], flag.data["email"]["verified"]) == (
        False,
        "email_unverified_sender",
        False,
    )


def test_an_administrator_counts_as_staff(record, administrator):
    administrator.user_permissions.add(Permission.objects.get(codename="view_chore"))  # sees every chore

    inbound = email_ingest(raw=reply(administrator.email, record))

    assert inbound.result == Result.NOTED


def test_several_from_addresses_prove_nothing(record, worker, settings):
    settings.ITSM_MAIL_TRUSTED_AUTHSERV_IDS = [MX]
    raw = reply(
        f"{worker.email}, someone@evil.example",
        record,
        top=[f"Authentication-Results: {MX}; dmarc=pass header.from=example.com"],
    )

    assert email_ingest(raw=raw).result == Result.NOTED


# Reply tokens -----------------------------------------------------------------------------------


def test_a_genuine_agent_reply_to_their_notification_is_the_public_comment(
    record, worker, requester, django_capture_on_commit_callbacks
):
    token_id = notification_to(worker, record)

    inbound = ingest(reply(worker.email, record, in_reply_to=token_id), django_capture_on_commit_callbacks)

    assert (inbound.result, inbound.authenticated_by) == (Result.COMMENTED, "reply_token")
    [comment] = entries(record, TimelineEntry.Kind.COMMENT)
    assert (comment.author, comment.is_public, comment.body) == (worker, True, "Please uninstall the add-in.")
    assert comment.data["email"]["verified"] is True
    assert PUBLISHED[-1] == (record.number, "commented", {"entry": comment.pk})  # for the kind's rules


def test_the_workspace_marks_a_proven_sender_as_verified(record, worker, client):
    token_id = notification_to(worker, record)
    email_ingest(raw=reply(worker.email, record, in_reply_to=token_id))
    client.force_login(worker)

    html = client.get(reverse("record", args=[record.number])).content.decode()

    assert 'data-testid="email-sender" data-verified="true"' in html
    assert 'data-verified="false"' not in html


def test_the_workspace_flags_a_record_filed_from_an_unverified_staff_address(worker, client):
    email_ingest(raw=mail(sender=worker.email, subject="Laptop broken"))
    client.force_login(worker)

    html = client.get(reverse("record", args=[Chore.objects.get().number])).content.decode()

    assert (
        f"Filed by e-mail from {worker.email}, a staff address, but nothing proves that they sent it" in html
    )


def test_a_token_from_another_record_does_not_authenticate(record, worker, requester):
    other = chore_create(actor=requester, title="Feed the cat")
    token_id = notification_to(worker, other)
    moved = token_id.replace(other.number, record.number)

    assert email_ingest(raw=reply(worker.email, record, in_reply_to=moved)).result == Result.NOTED
    assert entries(record, TimelineEntry.Kind.COMMENT) == []


def test_a_token_issued_to_someone_else_does_not_authenticate(record, worker, requester):
    requesters_id = notification_to(requester, record)  # e.g. forwarded to the forger

    assert email_ingest(raw=reply(worker.email, record, in_reply_to=requesters_id)).result == Result.NOTED


def test_a_token_stops_working_when_the_address_changes(record, worker):
    token_id = notification_to(worker, record)
    worker.email = "agent.new@example.com"
    worker.save(update_fields=["email"])

    assert (
        email_ingest(raw=reply("agent.new@example.com", record, in_reply_to=token_id)).result == Result.NOTED
    )


def test_a_token_expires(record, worker, settings):
    settings.ITSM_MAIL_REPLY_TOKEN_MAX_AGE_DAYS = 30
    token_id = notification_to(worker, record)

    with time_machine.travel(timezone.now() + timedelta(days=31)):
        inbound = email_ingest(raw=reply(worker.email, record, in_reply_to=token_id))

    assert inbound.result == Result.NOTED


def test_a_token_signed_with_a_retired_key_works_while_it_is_a_fallback(record, worker, settings):
    token_id = notification_to(worker, record)
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-for-the-rotation-test-0123456789abcdef"
    settings.SECRET_KEY_FALLBACKS = [old_key]

    assert email_ingest(raw=reply(worker.email, record, in_reply_to=token_id)).result == Result.COMMENTED

    settings.SECRET_KEY_FALLBACKS = []
    again = reply(worker.email, record, in_reply_to=token_id, body="Once more.")
    assert email_ingest(raw=again).result == Result.NOTED


def test_a_tampered_token_does_not_authenticate(record, worker):
    token_id = notification_to(worker, record)
    local, _, host = token_id.strip("<>").rpartition("@")
    tampered = f"<{local[:-1]}{'0' if local[-1] != '0' else '1'}@{host}>"

    assert email_ingest(raw=reply(worker.email, record, in_reply_to=tampered)).result == Result.NOTED


# Requesters ------------------------------------------------------------------------------------


def test_a_requesters_reply_without_proof_is_still_their_public_comment_marked_unverified(
    record, requester, worker, django_capture_on_commit_callbacks
):
    inbound = ingest(reply(requester.email, record, body="Still broken."), django_capture_on_commit_callbacks)

    assert (inbound.result, inbound.authenticated_by) == (Result.COMMENTED, "")
    [comment] = entries(record, TimelineEntry.Kind.COMMENT)
    assert (comment.author, comment.is_public) == (requester, True)
    assert comment.data["email"]["verified"] is False


def test_a_requesters_reply_to_their_notification_is_verified(record, requester):
    token_id = notification_to(requester, record)

    inbound = email_ingest(raw=reply(requester.email, record, in_reply_to=token_id, body="Thanks."))

    assert (inbound.result, inbound.authenticated_by) == (Result.COMMENTED, "reply_token")
    [comment] = entries(record, TimelineEntry.Kind.COMMENT)
    assert comment.data["email"]["verified"] is True


# Authentication-Results -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"{MX}; dmarc=pass (p=reject) header.from=example.com", "dmarc"),
        (f"{MX}; dkim=pass header.d=example.com header.s=s1; dmarc=none header.from=example.com", "dkim"),
        (f"{MX.upper()}; dkim=pass (2048-bit key) header.i=@example.com", "dkim"),
        (f"{MX}; dmarc=fail header.from=example.com", ""),
        (f"{MX}; dkim=fail header.d=example.com", ""),
        (f"{MX}; dkim=pass header.d=evil.example", ""),
        (f"{MX}; dkim=pass header.d=mail.example.com", ""),
        (f"{MX}; dkim=pass header.d=example.com; dmarc=fail header.from=example.com", ""),
        (f"{MX}; dmarc=pass header.from=evil.example", ""),
        (f"{MX}; spf=pass smtp.mailfrom=agent@example.com", ""),
        ("mx.evil.example; dmarc=pass header.from=example.com", ""),
        (f"{MX}; dmarc=pass (unterminated header.from=example.com", ""),
    ],
)
def test_authentication_results_of_the_trusted_server(record, worker, settings, header, expected):
    settings.ITSM_MAIL_TRUSTED_AUTHSERV_IDS = [MX]

    inbound = email_ingest(raw=reply(worker.email, record, top=[f"Authentication-Results: {header}"]))

    assert inbound.authenticated_by == expected
    assert inbound.result == (Result.COMMENTED if expected else Result.NOTED)


def test_a_forged_pass_below_the_servers_own_header_is_not_trusted(record, worker, settings):
    settings.ITSM_MAIL_TRUSTED_AUTHSERV_IDS = [MX]
    raw = reply(
        worker.email,
        record,
        top=[
            f"Authentication-Results: {MX}; dkim=none; spf=softfail smtp.mailfrom=evil.example",
            f"Received: from evil.example by {MX}",
            f"Authentication-Results: {MX}; dmarc=pass header.from=example.com",
        ],
    )

    assert email_ingest(raw=raw).result == Result.NOTED


def test_authentication_results_are_ignored_until_a_server_is_trusted(record, worker, settings):
    settings.ITSM_MAIL_TRUSTED_AUTHSERV_IDS = []
    raw = reply(
        worker.email, record, top=[f"Authentication-Results: {MX}; dmarc=pass header.from=example.com"]
    )

    assert email_ingest(raw=raw).result == Result.NOTED


# Unknown senders --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "address", "created"),
    [
        ("create", "someone@anywhere.example", True),
        ("create", "someone@contoso.example", True),
        ("organisations", "someone@contoso.example", True),
        ("organisations", "someone@anywhere.example", False),
        ("organisations", "someone@retired.example", False),
        ("refuse", "someone@contoso.example", False),
        ("bogus", "someone@contoso.example", False),
    ],
)
def test_unknown_senders_by_setting(db, settings, setting, address, created):
    settings.ITSM_MAIL_UNKNOWN_SENDERS = setting
    contoso = OrganisationFactory(name="Contoso", email_domain="Contoso.example")
    OrganisationFactory(name="Retired", email_domain="retired.example", is_active=False)

    inbound = email_ingest(raw=mail(sender=address))

    user = User.objects.filter(email__iexact=address).first()
    if created:
        assert inbound.result == Result.CREATED
        assert user is not None
        assert user.organisation == (contoso if address.endswith("contoso.example") else None)
    else:
        assert inbound.result == Result.REJECTED
        assert address in inbound.detail
        assert user is None
        assert not Chore.objects.exists()


def test_the_default_takes_only_the_organisations_domains(db):
    OrganisationFactory(name="Contoso", email_domain="contoso.example")

    assert email_ingest(raw=mail(sender="a@contoso.example")).result == Result.CREATED
    assert email_ingest(raw=mail(sender="b@gmail.example")).result == Result.REJECTED


def test_a_known_requester_is_not_affected_by_the_unknown_sender_setting(requester, settings):
    settings.ITSM_MAIL_UNKNOWN_SENDERS = "refuse"
    UserFactory(email="colleague@anywhere.example", roles=["Requester"])

    assert email_ingest(raw=mail(sender=requester.email)).result == Result.CREATED
    assert email_ingest(raw=mail(sender="colleague@anywhere.example")).result == Result.CREATED


def test_misspelt_settings_are_named_by_the_system_check(settings):
    from servicedesk.intake.senders import intake_settings_check

    assert intake_settings_check() == []
    settings.ITSM_MAIL_UNVERIFIED_STAFF = "notes"
    settings.ITSM_MAIL_REPLY_TOKEN_MAX_AGE_DAYS = 0

    assert [warning.id for warning in intake_settings_check()] == ["servicedesk.W001", "servicedesk.W002"]


@pytest.mark.parametrize(("kind", "warned"), [("chore", False), ("gadget", True), ("", True)])
def test_a_default_kind_that_files_nothing_is_named_by_the_system_check(settings, kind, warned):
    from servicedesk.intake.senders import intake_settings_check

    settings.ITSM_MAIL_DEFAULT_KIND = kind

    assert [warning.id for warning in intake_settings_check()] == (["servicedesk.W003"] if warned else [])
