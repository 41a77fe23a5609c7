"""How the desk's e-mail threads: Message-IDs it writes and the record numbers it finds in replies.

Every notification about a record carries `In-Reply-To`/`References: <INC0000123@ITSM_MAIL_DOMAIN>`
(the record's thread) and its own `Message-ID: <INC0000123.{unique}@ITSM_MAIL_DOMAIN>`, and its subject
starts with `[INC0000123]`. A reply names the record in its headers (mail clients keep them) or, when a
client drops them, in its subject; e-mail intake reads both back with the functions below.
"""

import re
import uuid

from django.conf import settings

from servicedesk.kinds import parse_number

_SUBJECT_TOKEN = re.compile(r"\[\s*(?P<prefix>[A-Za-z]{2,8})[-\s#]?(?P<value>\d{1,12})\s*\]")
_ANGLE = re.compile(r"<([^<>\s]+)>")


def thread_id(number: str) -> str:
    """The record's thread root, referenced by every message about it."""
    return f"<{number}@{settings.ITSM_MAIL_DOMAIN}>"


def message_id(number: str) -> str:
    """A new, unique Message-ID for one message about the record."""
    return f"<{number}.{uuid.uuid4().hex}@{settings.ITSM_MAIL_DOMAIN}>"


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
