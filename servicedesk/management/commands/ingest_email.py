"""`manage.py ingest_email < message.eml`: take in one message piped by a mail server.

Exits 0 whenever the message was read, whatever became of it (filed, duplicate, ignored, rejected), so
the mail server bounces nothing back; exits 1 for unreadable input and 75 (EX_TEMPFAIL, "try again
later") when the database is unavailable, so the mail server keeps the message and retries.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from servicedesk.intake import email_ingest
from servicedesk.models import Mailbox

EX_TEMPFAIL = 75
MAX_BYTES = 64 * 1024 * 1024


class Command(BaseCommand):
    help = "Take in one e-mail message (RFC 822) from standard input or a file."
    # call_command(..., stdin=BytesIO(...)) in tests.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--file", help=_("Read the message from this file instead of standard input."))
        parser.add_argument("--mailbox", help=_("The name of the mailbox the message arrived at."))

    def handle(self, *args, file=None, mailbox=None, **options):
        raw = self._read(file, options.get("stdin"))
        target = None
        if mailbox:
            target = Mailbox.objects.filter(name=mailbox).first()
            if target is None:
                raise CommandError(_("There is no mailbox named “%(name)s”.") % {"name": mailbox})
        try:
            inbound = email_ingest(raw=raw, mailbox=target)
        except DatabaseError as error:
            self.stderr.write(_("The database is unavailable; try again later: %(error)s") % {"error": error})
            sys.exit(EX_TEMPFAIL)
        self.stdout.write(
            _("%(message_id)s: %(result)s %(detail)s")
            % {
                "message_id": inbound.message_id,
                "result": inbound.get_result_display(),
                "detail": inbound.detail.replace("\n", "; "),
            }
        )

    def _read(self, path, stream) -> bytes:
        try:
            if path:
                with open(path, "rb") as handle:
                    raw = handle.read(MAX_BYTES + 1)
            else:
                stream = stream or sys.stdin
                raw = getattr(stream, "buffer", stream).read(MAX_BYTES + 1)
        except OSError as error:
            raise CommandError(_("Cannot read the message: %(error)s") % {"error": error}) from error
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        if not raw.strip():
            raise CommandError(_("No message: the input is empty."))
        if len(raw) > MAX_BYTES:
            raise CommandError(_("The message is larger than 64 MB."))
        if b":" not in raw.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]:
            raise CommandError(_("This is not an e-mail message: it has no header."))
        return raw
