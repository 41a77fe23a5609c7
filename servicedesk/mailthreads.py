"""How the desk's e-mail threads: Message-IDs it writes and the record numbers it finds in replies.

Every notification about a record carries `In-Reply-To`/`References: <INC0000123@ITSM_MAIL_DOMAIN>`
(the record's thread) and its own `Message-ID: <INC0000123.{unique}@ITSM_MAIL_DOMAIN>`, and its subject
starts with `[INC0000123]`. A reply names the record in its headers (mail clients keep them) or, when a
client drops them, in its subject; e-mail intake reads both back with the functions below.

A message to a person also carries a reply token in its Message-ID,
`<INC0000123.{unique}.{issued}-{mac}@ITSM_MAIL_DOMAIN>`: an HMAC (keyed from SECRET_KEY) over the record's
number, the person's id and address and the time it was issued. Their reply references that id, and
`reply_authenticates` accepts it for that person on that record only, for ITSM_MAIL_REPLY_TOKEN_MAX_AGE_DAYS.
"""

import re
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import base36_to_int, int_to_base36

from servicedesk.kinds import parse_number

_SUBJECT_TOKEN = re.compile(r"\[\s*(?P<prefix>[A-Za-z]{2,8})[-\s#]?(?P<value>\d{1,12})\s*\]")
_ANGLE = re.compile(r"<([^<>\s]+)>")
_TOKEN = re.compile(r"(?P<issued>[0-9a-z]{1,13})-(?P<mac>[0-9a-f]{32})")
_TOKEN_SALT = "servicedesk.mailthreads.reply_token"
# A token "issued" further ahead than this is refused (it was not made by this desk's clock).
_CLOCK_SKEW = timedelta(hours=1)


def thread_id(number: str) -> str:
    """The record's thread root, referenced by every message about it."""
    return f"<{number}@{settings.ITSM_MAIL_DOMAIN}>"


def message_id(number: str, *, recipient=None) -> str:
    """A new, unique Message-ID for one message about the record; with `recipient` (a user), one whose
    reply authenticates them on this record (`reply_authenticates`)."""
    unique = uuid.uuid4().hex
    if recipient is not None and recipient.pk is not None and recipient.email:
        unique = f"{unique}.{reply_token(number=number, user=recipient)}"
    return f"<{number}.{unique}@{settings.ITSM_MAIL_DOMAIN}>"


def reply_token(*, number: str, user, issued_at: datetime | None = None) -> str:
    """`{issued}-{mac}`: the proof that the desk mailed `user` (at their current address) about `number`."""
    issued = int((issued_at or timezone.now()).timestamp())
    return f"{int_to_base36(issued)}-{_mac(number, user, issued, settings.SECRET_KEY)}"


def _mac(number: str, user, issued: int, secret: str) -> str:
    value = f"{number}\n{user.pk}\n{user.email.strip().lower()}\n{issued}"
    return salted_hmac(_TOKEN_SALT, value, secret=secret, algorithm="sha256").hexdigest()[:32]


def reply_authenticates(ids: list[str], *, number: str, user, now: datetime | None = None) -> bool:
    """Whether one of `ids` (In-Reply-To and References) is a Message-ID the desk wrote to `user` about
    `number`, with a valid token that has not expired.

    A token is bound to the record, the person and their address: another record, another person, or
    the same person after their address changed does not pass. Tokens signed with a key in
    SECRET_KEY_FALLBACKS still pass (rotation); expired ones (ITSM_MAIL_REPLY_TOKEN_MAX_AGE_DAYS) do not.
    """
    if user is None or user.pk is None or not user.email:
        return False
    now = now or timezone.now()
    max_age = timedelta(days=settings.ITSM_MAIL_REPLY_TOKEN_MAX_AGE_DAYS)
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    domain = settings.ITSM_MAIL_DOMAIN.lower()
    for value in ids:
        local, _, host = value.strip("<>").rpartition("@")
        parts = local.split(".")
        if host.lower() != domain or len(parts) != 3:
            continue
        parsed = parse_number(parts[0])
        token = _TOKEN.fullmatch(parts[2].lower())
        if parsed is None or parsed[1] != number or token is None:
            continue
        try:
            issued = base36_to_int(token["issued"])
            age = now - datetime.fromtimestamp(issued, tz=UTC)
        except (ValueError, OverflowError, OSError):
            continue
        if age > max_age or age < -_CLOCK_SKEW:
            continue
        if any(constant_time_compare(token["mac"], _mac(number, user, issued, key)) for key in secrets):
            return True
    return False


def subject_token(number: str) -> str:
    return f"[{number}]"


def number_from_subject(subject: str) -> str | None:
    """The canonical number of the first known `[INC0000123]` (or `[INC-123]`) token in a subject."""
    for match in _SUBJECT_TOKEN.finditer(subject or ""):
        parsed = parse_number(f"{match['prefix']}{match['value']}")
        if parsed is not None:
            return parsed[1]
    return None


def message_ids(*header_values: str | None) -> list[str]:
    """Every `<id>` in `In-Reply-To`/`References` values, in order, without duplicates."""
    found = []
    for value in header_values:
        found.extend(f"<{m}>" for m in _ANGLE.findall(value or ""))
    return list(dict.fromkeys(found))


def number_from_message_ids(ids: list[str]) -> str | None:
    """The record number of the last id the desk itself wrote (newest reference first)."""
    domain = settings.ITSM_MAIL_DOMAIN.lower()
    for value in reversed(ids):
        local, _, host = value.strip("<>").rpartition("@")
        if host.lower() != domain or not local:
            continue
        parsed = parse_number(local.split(".", 1)[0])
        if parsed is not None:
            return parsed[1]
    return None
