"""The forward schedule as an iCalendar feed (RFC 5545), written by hand: one VEVENT per change.

Lines end in CRLF and are folded at 75 octets (a continuation line starts with one space, and a UTF-8
character is never split); TEXT values escape backslash, semicolon, comma and newlines. Times are UTC
(`...Z`), so no VTIMEZONE is needed.
"""

from collections.abc import Iterable
from datetime import UTC, datetime

from django.utils.translation import gettext as _

from . import workflow as wf

PRODID = "-//ITSM service desk//Forward schedule of changes//EN"
LIMIT = 75  # octets per line, CRLF excluded
# The change's status as a calendar event's: an approved change without its slot confirmed is tentative.
EVENT_STATUS = {wf.APPROVED: "TENTATIVE", wf.SCHEDULED: "CONFIRMED", wf.IMPLEMENTING: "CONFIRMED"}


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11)."""
    value = str(value).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """`line` folded at 75 octets (RFC 5545 §3.1), continuation lines starting with a space."""
    encoded = line.encode()
    if len(encoded) <= LIMIT:
        return line
    parts, current, size = [], [], 0
    room = LIMIT
    for char in line:
        width = len(char.encode())
        if size + width > room:
            parts.append("".join(current))
            current, size, room = [], 0, LIMIT - 1  # the leading space takes one octet
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(change, *, url: str, host: str, stamp: datetime) -> list[str]:
    summary = f"{change.number} {change.title}"
    description = _("Status: %(status)s. Risk: %(risk)s.") % {
        "status": change.get_status_display(),
        "risk": change.get_risk_level_display() or _("not assessed"),
    }
    lines = [
        "BEGIN:VEVENT",
        f"UID:{change.number}@{host}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(change.planned_start)}",
        f"DTEND:{_utc(change.planned_end)}",
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(description)}",
        f"URL:{url}",
        f"STATUS:{EVENT_STATUS.get(change.status, 'CONFIRMED')}",
        f"LAST-MODIFIED:{_utc(change.updated_at)}",
        f"SEQUENCE:{change.version}",
    ]
    if change.risk_level:
        lines.append(f"CATEGORIES:{escape_text(change.get_risk_level_display())}")
    lines.append("END:VEVENT")
    return lines


def calendar(changes: Iterable, *, url_of, host: str, name: str, stamp: datetime) -> str:
    """The VCALENDAR of `changes` (with dates): `url_of(change)` their page's absolute address, `host`
    the UIDs' domain, `name` the calendar's."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for change in changes:
        lines += _event(change, url=url_of(change), host=host, stamp=stamp)
    lines.append("END:VCALENDAR")
    return "".join(f"{fold(line)}\r\n" for line in lines)
