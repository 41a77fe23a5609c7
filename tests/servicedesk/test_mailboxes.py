"""Polling a real IMAP server (dovecot, started by the `imap_server` fixture), for a mailbox of the
test-only chore kind."""

from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.core.cache import cache
from django.db import connection

from servicedesk import crypto
from servicedesk.models import InboundEmail, Mailbox
from servicedesk.services import mailboxes
from servicedesk.services.mailboxes import mailbox_poll, mailbox_test_connection, mailboxes_poll
from servicedesk.tasks import mailboxes_poll_task
from tests.kernelkind.intake import ChoreMailIntake
from tests.kernelkind.models import Chore

ADMIN = "/admin/servicedesk"
SEEN = "\\Seen"


def mail(subject: str, sender: str = "requester@example.com") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "desk@example.test"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="client.example")
    message.set_content(f"About {subject}.")
    return message.as_bytes()


@pytest.fixture(autouse=True)
def _attachment_root(settings, tmp_path):
    settings.ITSM_ATTACHMENT_ROOT = tmp_path / "attachments"


@pytest.fixture
def desk_mailbox(desk_mailbox):
    """The desk's mailbox on the private dovecot, filing chores."""
    desk_mailbox.record_kind = "chore"
    desk_mailbox.save(update_fields=["record_kind"])
    return desk_mailbox


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def test_a_poll_files_each_new_message_and_marks_it_seen(requester, desk_mailbox, imap):
    imap.append(mail("Printer jammed"))
    imap.append(mail("VPN down"))

    taken = mailbox_poll(mailbox=desk_mailbox)

    assert taken == 2
    assert sorted(Chore.objects.values_list("title", flat=True)) == ["Printer jammed", "VPN down"]
    assert all(SEEN in flags for flags in imap.flags())
    desk_mailbox.refresh_from_db()
    assert desk_mailbox.last_polled_at is not None
    assert desk_mailbox.last_error == ""
    assert mailbox_poll(mailbox=desk_mailbox) == 0
    assert Chore.objects.count() == 2


def test_a_poll_goes_on_when_the_cache_holding_its_lock_is_down(requester, desk_mailbox, imap, monkeypatch):
    def cache_down(*args, **kwargs):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(cache, "add", cache_down)
    monkeypatch.setattr(cache, "delete", cache_down)
    imap.append(mail("Printer jammed"))

    assert mailbox_poll(mailbox=desk_mailbox) == 1
    assert mailbox_poll(mailbox=desk_mailbox) == 0
    assert Chore.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_message_is_marked_seen_only_after_its_record_is_committed(monkeypatch, imap):
    from ..factories import UserFactory

    UserFactory(email="requester@example.com")
    mailbox = Mailbox.objects.create(
        name="Desk",
        address="desk@example.test",
        host=imap.host,
        port=imap.port,
        security="none",
        username=imap.username,
        password=imap.password,
        record_kind="chore",
    )
    imap.append(mail("Printer jammed"))
    seen_while_ingesting = []
    real_ingest = mailboxes.email_ingest

    def ingest(**kwargs):
        inbound = real_ingest(**kwargs)
        assert not connection.in_atomic_block  # its transaction has committed
        seen_while_ingesting.append(SEEN in imap.flags()[0])
        return inbound

    monkeypatch.setattr(mailboxes, "email_ingest", ingest)

    assert mailbox_poll(mailbox=mailbox) == 1
    assert seen_while_ingesting == [False]
    assert SEEN in imap.flags()[0]


def test_processed_messages_move_to_the_processed_folder(requester, desk_mailbox, imap):
    desk_mailbox.processed_folder = "Processed"
    desk_mailbox.save()
    imap.append(mail("Printer jammed"))

    assert mailbox_poll(mailbox=desk_mailbox) == 1

    assert imap.flags("INBOX") == []
    assert len(imap.flags("Processed")) == 1
    assert Chore.objects.count() == 1


def test_a_message_that_fails_stays_unseen_and_the_others_go_through(
    requester, desk_mailbox, imap, monkeypatch
):
    imap.append(mail("Poison"))
    imap.append(mail("Printer jammed"))
    real_ingest = mailboxes.email_ingest

    def ingest(*, raw, mailbox):
        if b"Subject: Poison" in raw:
            raise RuntimeError("cannot parse this one")
        return real_ingest(raw=raw, mailbox=mailbox)

    monkeypatch.setattr(mailboxes, "email_ingest", ingest)

    assert mailbox_poll(mailbox=desk_mailbox) == 1

    poison, good = imap.flags()
    assert SEEN not in poison
    assert SEEN in good
    assert list(Chore.objects.values_list("title", flat=True)) == ["Printer jammed"]
    desk_mailbox.refresh_from_db()
    assert "cannot parse this one" in desk_mailbox.last_error

    monkeypatch.setattr(mailboxes, "email_ingest", real_ingest)
    assert mailbox_poll(mailbox=desk_mailbox) == 1
    desk_mailbox.refresh_from_db()
    assert desk_mailbox.last_error == ""
    assert Chore.objects.count() == 2


def test_a_rolled_back_intake_leaves_the_message_for_the_next_poll(
    requester, desk_mailbox, imap, monkeypatch
):
    imap.append(mail("Printer jammed"))

    def broken_create(self, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(ChoreMailIntake, "create", broken_create)

    assert mailbox_poll(mailbox=desk_mailbox) == 0

    assert SEEN not in imap.flags()[0]
    assert not InboundEmail.objects.exists()
    assert not Chore.objects.exists()


def test_a_wrong_password_is_recorded_as_the_last_error(desk_mailbox, imap):
    imap.append(mail("Printer jammed"))
    desk_mailbox.password = "wrong"
    desk_mailbox.save()

    assert mailbox_poll(mailbox=desk_mailbox) == 0

    desk_mailbox.refresh_from_db()
    assert "password" in desk_mailbox.last_error
    assert SEEN not in imap.flags()[0]


def test_an_unreachable_server_is_recorded_as_the_last_error(desk_mailbox, settings):
    settings.ITSM_IMAP_TIMEOUT_SECONDS = 2
    desk_mailbox.port = 1
    desk_mailbox.save()

    assert mailbox_poll(mailbox=desk_mailbox) == 0

    desk_mailbox.refresh_from_db()
    assert "Cannot reach" in desk_mailbox.last_error


def test_a_mailbox_being_polled_elsewhere_is_skipped(requester, desk_mailbox, imap):
    imap.append(mail("Printer jammed"))
    cache.add(f"servicedesk.mailbox_poll.{desk_mailbox.pk}", "1")

    assert mailbox_poll(mailbox=desk_mailbox) == 0

    assert not Chore.objects.exists()
    assert SEEN not in imap.flags()[0]


def test_the_beat_task_polls_active_mailboxes_only(requester, desk_mailbox, imap):
    Mailbox.objects.create(
        name="Old", address="old@example.test", host="127.0.0.1", port=1, username="x", is_active=False
    )
    imap.append(mail("Printer jammed"))

    assert mailboxes_poll_task.delay().get() == 1
    assert mailboxes_poll() == 0
    assert Mailbox.objects.get(name="Old").last_polled_at is None


def test_test_connection_reports_success_and_failure(desk_mailbox, imap):
    imap.append(mail("Waiting"))

    ok, text = mailbox_test_connection(mailbox=desk_mailbox)
    desk_mailbox.password = "wrong"
    refused, why = mailbox_test_connection(mailbox=desk_mailbox)

    assert (ok, refused) == (True, False)
    assert "1 unread" in text
    assert "password" in why


def test_the_admin_action_tests_the_connection(admin_client, desk_mailbox):
    response = admin_client.post(
        f"{ADMIN}/mailbox/",
        {"action": "test_connection", "_selected_action": [desk_mailbox.pk]},
        follow=True,
    )

    assert response.status_code == 200
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith("Desk: Connected")


def test_the_admin_action_polls_now(admin_client, requester, desk_mailbox, imap):
    imap.append(mail("Printer jammed"))

    response = admin_client.post(
        f"{ADMIN}/mailbox/", {"action": "poll_now", "_selected_action": [desk_mailbox.pk]}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == ["Desk: 1 message taken in."]
    assert Chore.objects.count() == 1


def test_the_password_is_stored_encrypted_and_never_rendered(admin_client, desk_mailbox):
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM servicedesk_mailbox WHERE id = %s", [desk_mailbox.pk])
        [stored] = cursor.fetchone()

    response = admin_client.get(f"{ADMIN}/mailbox/{desk_mailbox.pk}/change/")

    assert stored != "secret"
    assert "secret" not in stored
    assert crypto.decrypt(stored) == "secret"
    assert response.status_code == 200
    assert "secret" not in response.content.decode()


def _form_data(mailbox: Mailbox, **changes) -> dict:
    data = {
        "name": mailbox.name,
        "address": mailbox.address,
        "is_active": "on",
        "record_kind": mailbox.record_kind,
        "host": mailbox.host,
        "port": mailbox.port,
        "security": mailbox.security,
        "username": mailbox.username,
        "password": "",
        "folder": mailbox.folder,
        "processed_folder": mailbox.processed_folder,
    }
    data.update(changes)
    return data


def test_saving_the_admin_form_with_a_blank_password_keeps_it(admin_client, desk_mailbox):
    response = admin_client.post(
        f"{ADMIN}/mailbox/{desk_mailbox.pk}/change/", _form_data(desk_mailbox, folder="Support")
    )

    assert response.status_code == 302
    desk_mailbox.refresh_from_db()
    assert (desk_mailbox.folder, desk_mailbox.password) == ("Support", "secret")


def test_the_admin_form_changes_the_password_and_offers_the_kinds_taking_email(admin_client, desk_mailbox):
    desk_mailbox.record_kind = "incident"
    desk_mailbox.save(update_fields=["record_kind"])
    page = admin_client.get(f"{ADMIN}/mailbox/{desk_mailbox.pk}/change/")
    response = admin_client.post(
        f"{ADMIN}/mailbox/{desk_mailbox.pk}/change/",
        _form_data(desk_mailbox, password="n3w", record_kind="chore"),
    )

    choices = dict(page.context["adminform"].form.fields["record_kind"].choices)
    assert set(choices) == {"chore", "incident", "request"}  # every kind registered with a MailIntake
    assert response.status_code == 302
    desk_mailbox.refresh_from_db()
    assert (desk_mailbox.password, desk_mailbox.record_kind) == ("n3w", "chore")


def test_the_inbound_log_is_read_only(admin_client, requester, desk_mailbox, imap):
    imap.append(mail("Printer jammed"))
    mailbox_poll(mailbox=desk_mailbox)
    inbound = InboundEmail.objects.get()

    listing = admin_client.get(f"{ADMIN}/inboundemail/", {"q": "Printer", "result": "created"})
    detail = admin_client.get(f"{ADMIN}/inboundemail/{inbound.pk}/change/")

    assert listing.context["cl"].result_count == 1
    assert Chore.objects.get().number in detail.content.decode()
    assert admin_client.get(f"{ADMIN}/inboundemail/add/").status_code == 403
