"""Reading one RFC 822 message: who sent it, what it answers, whether a machine wrote it, its text and files.

Pure functions over the stdlib `email` package (`policy.default`); nothing here touches the database.
"""

import hashlib
import html
import mimetypes
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

import nh3
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES

from servicedesk.kinds import parse_number
from servicedesk.mailthreads import message_ids

# Reply and forward prefixes of common clients, in the languages the desk's users write in and more.
_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs|antw|rif|tr|r|enc|答复|回复|回覆|转发|轉寄|转寄)\s*(?:\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)
_SUBJECT_TOKEN = re.compile(r"\[\s*[A-Za-z]{2,8}[-\s#]?\d{1,12}\s*\]")
_MACHINE_SENDERS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
_BLOCK_END = re.compile(r"<\s*(?:br\s*/?|/p|/div|/li|/tr|/h[1-6]|/blockquote)\s*>", re.IGNORECASE)
_BLOCKQUOTE = re.compile(r"<blockquote\b.*</blockquote\s*>", re.IGNORECASE | re.DOTALL)
_MANY_NEWLINES = re.compile(r"\n{3,}")
_MESSAGE_ID_MAX = 998


@dataclass
class ParsedMail:
    """What intake needs from one message."""

    message_id: str
    sender_name: str
    sender_address: str
    subject: str
    references: list[str]  # In-Reply-To and References ids, oldest first
    machine_reason: str  # why a machine wrote it (auto-reply, bounce), or ""
    text: str  # the body as plain text, quoted history included
    attachments: list[SimpleUploadedFile] = field(default_factory=list)
    message: EmailMessage | None = None
    # addresses in all From headers: a message with more than one cannot prove who sent it
    from_count: int = 1


def mail_parse(raw: bytes) -> ParsedMail:
    """Parse `raw` (the message as the server holds it); never raises for a malformed message."""
    message = message_from_bytes(raw, policy=policy.default)
    sender_name, sender_address = _sender(message)
    return ParsedMail(
        message_id=_message_id(message, raw),
        sender_name=sender_name,
        sender_address=sender_address,
        subject=_header(message, "Subject"),
        references=message_ids(_header(message, "References"), _header(message, "In-Reply-To")),
        machine_reason=machine_reason(message, sender_address),
        text=body_text(message),
        attachments=attachments(message),
        message=message,
        from_count=_from_count(message),
    )


def _header(message: EmailMessage, name: str) -> str:
    """A header's decoded value, "" when absent or unreadable (a malformed header is not fatal)."""
    try:
        value = message.get(name)
    except (IndexError, ValueError, TypeError, LookupError):
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _message_id(message: EmailMessage, raw: bytes) -> str:
    """The message's own id; a stable one made from its bytes when it has none."""
    found = message_ids(_header(message, "Message-ID"))
    if found and len(found[0]) <= _MESSAGE_ID_MAX:
        return found[0]
    return f"<{hashlib.sha256(raw).hexdigest()}@intake.invalid>"


def _sender(message: EmailMessage) -> tuple[str, str]:
    name, address = parseaddr(_header(message, "From"))
    if "@" not in address:
        return name, ""
    return name.strip(), address.strip()


def _from_count(message: EmailMessage) -> int:
    try:
        values = [str(value) for value in message.get_all("From") or []]
    except (IndexError, ValueError, TypeError, LookupError):
        return 0
    return len([address for _name, address in getaddresses(values) if address])


def address_of(value: str) -> str:
    """The bare address in a header value such as `Desk <desk@example.com>`, lower-cased."""
    return parseaddr(value or "")[1].strip().lower()


def machine_reason(message: EmailMessage, sender_address: str) -> str:
    """Why the message comes from a machine (an auto-reply, a bounce or a list), or "" for a person."""
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = _header(message, "Precedence").lower()
    if precedence in ("bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond"):
        if name in message:
            return f"{name} header"
    if message.get_content_type() == "multipart/report":
        return "multipart/report (delivery report)"
    if "X-Failed-Recipients" in message:
        return "X-Failed-Recipients header (bounce)"
    return_paths = message.get_all("Return-Path") or []
    if any(str(value).strip() == "<>" for value in return_paths):
        return "empty Return-Path (bounce)"
    local_part = sender_address.rpartition("@")[0].lower()
    if local_part in _MACHINE_SENDERS:
        return f"sender {sender_address}"
    return ""


def recipients(message: EmailMessage) -> list[str]:
    values = [_header(message, name) for name in ("To", "Cc")]
    return [address.lower() for _name, address in getaddresses(values) if address]


def body_text(message: EmailMessage) -> str:
    """The text/plain body; else the HTML body as text; "" for a message with neither."""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except (KeyError, LookupError):
        part = None
    if part is None:
        return ""
    text = _content(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return _MANY_NEWLINES.sub("\n\n", text.replace("\r\n", "\n")).strip()


def _content(part) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    return content


def html_to_text(markup: str, *, drop_quotes: bool = False) -> str:
    """Visible text of an HTML body: tags, scripts and styles removed, line breaks kept."""
    if drop_quotes:
        markup = _BLOCKQUOTE.sub("", markup)
    markup = _BLOCK_END.sub("\n", markup)
    text = html.unescape(nh3.clean(markup, tags=set()))
    lines = [line.strip() for line in text.replace("\xa0", " ").splitlines()]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def reply_text(message: EmailMessage | None, text: str) -> str:
    """The new text of a reply: the quoted history below it (and its "On … wrote:" line) cut off."""
    if message is not None:
        part = message.get_body(preferencelist=("plain", "html"))
        if part is not None and part.get_content_subtype() == "html":
            text = html_to_text(_content(part), drop_quotes=True)
    latest = EmailReplyParser(languages=_reply_languages()).parse_reply(text)
    if latest is None:
        latest = text
    # Nothing new (a reply that only forwards a file): "" rather than the history.
    return _strip_quoted_tail(latest).strip()


def _reply_languages() -> list[str]:
    """The desk's languages (`zh-hans` → `zh`) that the reply parser knows, and English."""
    codes = [code.split("-")[0].lower() for code, _name in settings.LANGUAGES]
    return [code for code in dict.fromkeys(["en", *codes]) if code in MAIL_LANGUAGES]


def _strip_quoted_tail(text: str) -> str:
    """Cut a trailing block of `>` lines and the attribution line above it (as "On … wrote:")."""
    lines = text.split("\n")
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and (lines[start - 1].lstrip().startswith(">") or not lines[start - 1].strip()):
        start -= 1
    if start == end:
        return text
    while start and not lines[start - 1].strip():
        start -= 1
    if start and lines[start - 1].rstrip().endswith((":", "：")):
        start -= 1
    return "\n".join(lines[:start]).strip()


def title_from_subject(subject: str) -> str:
    """The subject without reply/forward prefixes and record tokens; a translated placeholder if empty."""
    title = subject or ""
    previous = None
    while previous != title:
        previous = title
        title = _SUBJECT_PREFIX.sub("", title)
        title = _SUBJECT_TOKEN.sub(lambda m: "" if parse_number(_token_number(m[0])) else m[0], title)
        title = " ".join(title.split())
    return title[:200] or _("(no subject)")


def _token_number(token: str) -> str:
    return re.sub(r"[\[\]\s#-]", "", token)


def attachments(message: EmailMessage) -> list[SimpleUploadedFile]:
    """Every attached file as an upload the desk's attachment checks accept as input."""
    files = []
    for index, part in enumerate(message.iter_attachments(), start=1):
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            content = inner.as_bytes() if hasattr(inner, "as_bytes") else b""
        else:
            try:
                content = part.get_payload(decode=True) or b""
            except (ValueError, TypeError):
                content = b""
        name = part.get_filename() or _default_name(part, index)
        files.append(SimpleUploadedFile(name, content, content_type=part.get_content_type()))
    return files


def _default_name(part, index: int) -> str:
    content_type = part.get_content_type()
    extension = ".eml" if content_type == "message/rfc822" else mimetypes.guess_extension(content_type) or ""
    return f"attachment-{index}{extension}"
