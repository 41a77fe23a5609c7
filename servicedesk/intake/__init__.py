"""E-mail intake (DESIGN.md §4 channels): RFC 822 messages in, records and replies out.

Two ways in call the same service, `email_ingest`: a mailbox polled over IMAP by a beat task
(`servicedesk.services.mailboxes`) and `manage.py ingest_email` for a mail server's pipe. The kernel never
imports process apps: each registers a `MailIntake` on its record kind (`RecordKind(mail=...)`), usually a
`servicedesk.intake.records.RecordMailIntake` with its own `file`. A mailbox files the kind it names
(`Mailbox.record_kind`); mail piped in without one files ITSM_MAIL_DEFAULT_KIND.
"""

from typing import Any, Protocol

from .ingest import email_ingest
from .message import ParsedMail, mail_parse


class MailIntake(Protocol):
    """How e-mail files records of one kind and replies on them; implemented by the process app.

    Each method runs inside intake's transaction and may raise ValidationError or ApplicationError
    (the message is then kept as rejected, with the error as its detail).
    """

    def create(self, *, requester, title: str, body: str, uploads: list, mailbox, follow_up_of=None) -> Any:
        """File a new record for `requester` from e-mail (a kind that keeps a channel says "email") with
        the accepted files.

        With `follow_up_of` (a closed or cancelled record the message answered), link the two records.
        """

    def reply(self, *, record, author, body: str, uploads: list, data: dict) -> Any:
        """Add `author`'s public comment to `record` (as a portal reply would); returns the entry.

        `data` (what the message proved about its sender) is kept on the entry.
        """

    def note(self, *, record, body: str, uploads: list, data: dict) -> Any:
        """Add an internal work note without an author (mail claiming to be from staff that nothing
        authenticates; `data` says who it claims to be). Nobody is mailed; returns the entry."""

    def is_final(self, record) -> bool:
        """Whether `record` takes no more replies (closed, cancelled): a reply then files a follow-up."""


__all__ = ["MailIntake", "ParsedMail", "email_ingest", "mail_parse"]
