"""The forward schedule as an iCalendar feed (RFC 5545), written by hand: one VEVENT per change, and one
per entry other apps put on the schedule (`schedule_sources`: a release, a wave), its kind as a category.

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


def _entry_event(entry, *, url: str, host: str, stamp: datetime) -> list[str]:
    summary = f"{entry.kind_label}: {entry.number} {entry.title}"
    description = _("Status: %(status)s.") % {"status": entry.status_label}
    lines = [
        "BEGIN:VEVENT",
        f"UID:{entry.uid}@{host}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(entry.start)}",
        f"DTEND:{_utc(entry.end)}",
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(description)}",
        f"URL:{url}",
        f"STATUS:{'TENTATIVE' if entry.tentative else 'CONFIRMED'}",
    ]
    if entry.updated_at is not None:
        lines.append(f"LAST-MODIFIED:{_utc(entry.updated_at)}")
    lines += [f"SEQUENCE:{entry.sequence}", f"CATEGORIES:{escape_text(entry.kind_label)}", "END:VEVENT"]
    return lines


def calendar(
    changes: Iterable,
    *,
    url_of,
    host: str,
    name: str,
    stamp: datetime,
    others: Iterable = (),
    url_of_entry=None,
) -> str:
    """The VCALENDAR of `changes` (with dates) and of the other sources' `others` (`ScheduleEntry`):
    `url_of(change)` and `url_of_entry(entry)` their page's absolute address, `host` the UIDs' domain,
    `name` the calendar's."""
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
    for entry in others:
        url = url_of_entry(entry) if url_of_entry is not None else entry.url
        lines += _entry_event(entry, url=url, host=host, stamp=stamp)
    lines.append("END:VCALENDAR")
    return "".join(f"{fold(line)}\r\n" for line in lines)
