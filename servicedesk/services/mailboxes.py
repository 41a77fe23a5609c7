"""Polling the desk's IMAP mailboxes: each new message is taken in, then marked seen or moved.

A message is marked (or moved) only after `email_ingest` committed what it filed, so a crash between the
two takes it in again on the next poll, where its Message-ID makes it a duplicate: nothing is lost and
nothing is filed twice. A message whose intake fails stays unseen and is tried again next time.
"""

import contextlib
import logging
import socket
import ssl
from imaplib import IMAP4

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from imap_tools import AND, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage, MailMessageFlags
from imap_tools.errors import MailboxLoginError, UnexpectedCommandStatusError

from servicedesk.intake import email_ingest
from servicedesk.models import Mailbox

logger = logging.getLogger(__name__)

# What a mail server or the network may raise; anything else is a defect and propagates.
CONNECTION_ERRORS = (OSError, IMAP4.error, UnexpectedCommandStatusError, ssl.SSLError, socket.timeout)
_LOCK_PREFIX = "servicedesk.mailbox_poll."


class _RawMessage(MailMessage):
    """A fetched message that keeps the bytes the server sent (intake parses them itself)."""

    def __init__(self, fetch_data: list) -> None:
        self.raw = self._get_message_data_parts(fetch_data)[0]
        super().__init__(fetch_data)


def mailbox_connect(mailbox: Mailbox):
    """A logged-in imap_tools client on the mailbox's folder (a context manager).

    Raises MailboxLoginError for wrong credentials, OSError and IMAP errors for the rest.
    """
    timeout = settings.ITSM_IMAP_TIMEOUT_SECONDS
    if mailbox.security == Mailbox.Security.SSL:
        client = MailBox(mailbox.host, mailbox.port, timeout=timeout)
    elif mailbox.security == Mailbox.Security.STARTTLS:
        client = MailBoxStartTls(mailbox.host, mailbox.port, timeout=timeout)
    else:
        client = MailBoxUnencrypted(mailbox.host, mailbox.port, timeout=timeout)
    client.email_message_class = _RawMessage
    return client.login(mailbox.username, mailbox.password, initial_folder=mailbox.folder)


def mailbox_test_connection(*, mailbox: Mailbox) -> tuple[bool, str]:
    """Log in and open the folder: (True, how many unseen messages wait) or (False, the error)."""
    try:
        with mailbox_connect(mailbox) as client:
            waiting = len(client.uids(AND(seen=False)))
    except MailboxLoginError:
        return False, _("The server refused the user name or password.")
    except CONNECTION_ERRORS as error:
        return False, _("Cannot reach the mailbox: %(error)s") % {"error": error}
    return True, _("Connected; %(count)d unread messages are waiting.") % {"count": waiting}


def mailbox_poll(*, mailbox: Mailbox) -> int:
    """Take in every unseen message of the mailbox's folder; returns how many were taken in.

    One poll at a time per mailbox (a cache lock); a second caller returns 0 at once. A message that
    fails is logged, left unseen and named in `last_error`; the others still go through. A connection
    failure is recorded in `last_error` too. Never raises for the mail server's faults.
    """
    lock = f"{_LOCK_PREFIX}{mailbox.pk}"
    timeout = int(settings.ITSM_IMAP_TIMEOUT_SECONDS * 4 + 60)
    try:
        acquired = cache.add(lock, "1", timeout=timeout)
    except Exception:  # the cache is down: poll anyway; a message is taken in once by its Message-ID
        logger.warning(
            "mailbox %s: the cache is unreachable, polling without its lock", mailbox.name, exc_info=True
        )
        acquired = True
    if not acquired:
        logger.info("mailbox %s: already being polled", mailbox.name)
        return 0
    taken, errors = 0, []
    try:
        with mailbox_connect(mailbox) as client:
            if mailbox.processed_folder and not client.folder.exists(mailbox.processed_folder):
                client.folder.create(mailbox.processed_folder)
            for message in client.fetch(AND(seen=False), mark_seen=False, bulk=False):
                error = _take_in(client, mailbox, message)
                if error:
                    errors.append(error)
                else:
                    taken += 1
    except MailboxLoginError:
        errors.append(_("The server refused the user name or password."))
        logger.warning("mailbox %s: login refused", mailbox.name)
    except CONNECTION_ERRORS as error:
        errors.append(_("Cannot reach the mailbox: %(error)s") % {"error": error})
        logger.warning("mailbox %s: %s", mailbox.name, error)
    finally:
        with contextlib.suppress(Exception):  # an unreachable cache lets the lock expire by itself
            cache.delete(lock)
    mailbox.last_polled_at = timezone.now()
    mailbox.last_error = "\n".join(errors)
    mailbox.save(update_fields=["last_polled_at", "last_error"])
    return taken


def _take_in(client, mailbox: Mailbox, message: _RawMessage) -> str:
    """Ingest one message, then mark or move it; the error text, or "" when it went through."""
    try:
        inbound = email_ingest(raw=message.raw, mailbox=mailbox)
    except Exception as error:  # one bad message must not stop the others
        logger.exception("mailbox %s: message uid %s failed; it stays unseen", mailbox.name, message.uid)
        return _("Message %(uid)s could not be taken in: %(error)s") % {"uid": message.uid, "error": error}
    if mailbox.processed_folder:
        client.move(message.uid, mailbox.processed_folder)
    else:
        client.flag(message.uid, MailMessageFlags.SEEN, True)
    logger.info("mailbox %s: uid %s -> %s", mailbox.name, message.uid, inbound.result)
    return ""


def mailboxes_poll() -> int:
    """Poll every active mailbox (the beat task); returns how many messages were taken in."""
    return sum(mailbox_poll(mailbox=mailbox) for mailbox in Mailbox.objects.filter(is_active=True))
