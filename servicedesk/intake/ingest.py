"""E-mail intake: one message becomes a new record, a public reply on one, or nothing (and says why)."""

import logging
import re

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from servicedesk.attachments import validate_upload
from servicedesk.errors import ApplicationError, NotFound
from servicedesk.kinds import RecordKind, parse_number, record_get_for_user, record_kind
from servicedesk.mailthreads import number_from_message_ids, number_from_subject
from servicedesk.models import InboundEmail, Mailbox, Organisation, TimelineEntry, User
from servicedesk.roles import REQUESTER
from servicedesk.services.people import user_create
from servicedesk.services.timeline import timeline_add

from .message import ParsedMail, address_of, mail_parse, reply_text, title_from_subject

logger = logging.getLogger(__name__)

DEFAULT_KIND = "incident"
_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")

Result = InboundEmail.Result


class _Refused(Exception):
    """The message is kept as rejected, with `detail`; nothing else is written."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def email_ingest(*, raw: bytes, mailbox: Mailbox | None = None) -> InboundEmail:
    """Take in one RFC 822 message (as bytes) that arrived at `mailbox` (None: a mail server's pipe).

    Guarantees: a Message-ID is taken in once (a duplicate, even a concurrent one, returns the first
    row and writes nothing); auto-replies, bounces and the desk's own mail are ignored; the record, its
    reply and the InboundEmail row commit together or not at all. A reply (by In-Reply-To/References
    or the `[INC…]` subject token) on a record the sender may see becomes their public comment, without
    the quoted history; on a closed record it files a follow-up linked to it. Anything else files a new
    record of the mailbox's kind. Files the portal would refuse are dropped and listed.

    Returns the InboundEmail row. Raises only for a database failure (the caller may retry).
    """
    mail = mail_parse(raw)
    existing = _taken_in(mail.message_id)
    if existing is not None:
        logger.info("intake: duplicate %s (%s), already taken in", mail.message_id, existing.result)
        return existing
    try:
        with transaction.atomic():
            inbound = InboundEmail.objects.create(
                message_id=mail.message_id,
                mailbox=mailbox,
                sender=mail.sender_address[:320],
                subject=mail.subject[:500],
                result=Result.IGNORED,
            )
            _take_in(inbound=inbound, mail=mail, mailbox=mailbox)
            inbound.save(update_fields=["result", "detail", "content_type", "object_id"])
    except IntegrityError:
        existing = _taken_in(mail.message_id)
        if existing is None:
            raise
        logger.info("intake: %s was taken in concurrently", mail.message_id)
        return existing
    logger.info(
        "intake: %s from %s: %s %s",
        inbound.message_id,
        inbound.sender,
        inbound.result,
        inbound.detail.replace("\n", "; "),
    )
    return inbound


def _taken_in(message_id: str) -> InboundEmail | None:
    return InboundEmail.objects.filter(message_id=message_id).first()


def _take_in(*, inbound: InboundEmail, mail: ParsedMail, mailbox: Mailbox | None) -> None:
    """Decide what the message is and file it, filling in `inbound`."""
    reason = _loop_reason(mail, mailbox)
    if mail.machine_reason:
        reason = _("Not from a person: %(reason)s") % {"reason": mail.machine_reason}
    if reason:
        inbound.result = Result.IGNORED
        inbound.detail = reason
        return
    try:
        # A savepoint: a refusal rolls back what was written, the rejected row stays.
        with transaction.atomic():
            sender = _sender_user(mail)
            uploads, refused = _accepted_uploads(mail.attachments)
            record, result = _file(mail=mail, mailbox=mailbox, sender=sender, uploads=uploads)
            if refused:
                _note_refused(record=record, refused=refused)
    except _Refused as refusal:
        inbound.result, inbound.detail = Result.REJECTED, refusal.detail
        return
    except (ValidationError, ApplicationError) as error:
        inbound.result, inbound.detail = Result.REJECTED, _error_text(error)
        return
    inbound.result = result
    inbound.content_type = ContentType.objects.get_for_model(record)
    inbound.object_id = record.pk
    inbound.detail = "\n".join([record.number, *([_("Files not attached:")] + refused if refused else [])])


def _loop_reason(mail: ParsedMail, mailbox: Mailbox | None) -> str:
    """Mail from the desk itself (its sender address or any mailbox's) must not file anything."""
    if not mail.sender_address:
        return ""
    own = {address_of(settings.DEFAULT_FROM_EMAIL), address_of(settings.SERVER_EMAIL)}
    own.update(address.lower() for address in Mailbox.objects.values_list("address", flat=True))
    if mailbox is not None:
        own.add(mailbox.address.lower())
    if mail.sender_address.lower() in own:
        return _("Sent by the desk itself (%(address)s): a mail loop.") % {"address": mail.sender_address}
    return ""


def _sender_user(mail: ParsedMail) -> User:
    """The active user with the sender's address, or a new requester; _Refused for an inactive one."""
    address = mail.sender_address
    if not address:
        raise _Refused(_("The message has no sender address."))
    users = list(User.objects.filter(email__iexact=address).order_by("-is_active", "pk")[:2])
    if users:
        if not users[0].is_active:
            raise _Refused(_("The sender's account (%(address)s) is inactive.") % {"address": address})
        return users[0]
    domain = address.rpartition("@")[2]
    organisation = Organisation.objects.filter(email_domain__iexact=domain, is_active=True).first()
    user = user_create(
        actor=None,
        username=_free_username(address),
        email=address,
        full_name=mail.sender_name[:200],
        organisation=organisation,
        roles=[REQUESTER],
    )
    logger.info("intake: created requester %s for %s", user.username, address)
    return user


def _free_username(address: str) -> str:
    """The address as a user name (what the login form accepts), made unique with a suffix."""
    base = _USERNAME_UNSAFE.sub("", address.lower())[:140] or "requester"
    username, suffix = base, 1
    while User.objects.filter(username__iexact=username).exists():
        suffix += 1
        username = f"{base}-{suffix}"
    return username


def _accepted_uploads(files) -> tuple[list, list[str]]:
    """The files the portal would take (at most ITSM_ATTACHMENTS_PER_ENTRY), and why the others were not."""
    limit = settings.ITSM_ATTACHMENTS_PER_ENTRY
    kept, refused = [], []
    for upload in files:
        try:
            validate_upload(upload)
        except ValidationError as error:
            refused.append(
                _("%(name)s: %(reason)s") % {"name": upload.name, "reason": " ".join(error.messages)}
            )
            continue
        if len(kept) >= limit:
            reason = _("At most %(count)d files per message.") % {"count": limit}
            refused.append(_("%(name)s: %(reason)s") % {"name": upload.name, "reason": reason})
            continue
        upload.seek(0)
        kept.append(upload)
    return kept, refused


def _file(*, mail: ParsedMail, mailbox: Mailbox | None, sender: User, uploads: list):
    """File the message; returns (record, result)."""
    record = _replied_record(mail, sender)
    if record is not None:
        kind = parse_number(record.number)[0]
        body = reply_text(mail.message, mail.text)
        if kind.mail.is_final(record):
            follow_up = kind.mail.create(
                requester=sender,
                title=title_from_subject(mail.subject),
                body=body,
                uploads=uploads,
                mailbox=mailbox,
                follow_up_of=record,
            )
            return follow_up, Result.FOLLOW_UP
        kind.mail.reply(record=record, author=sender, body=body, uploads=uploads)
        return record, Result.COMMENTED
    kind = _new_record_kind(mailbox)
    record = kind.mail.create(
        requester=sender,
        title=title_from_subject(mail.subject),
        body=mail.text,
        uploads=uploads,
        mailbox=mailbox,
    )
    return record, Result.CREATED


def _replied_record(mail: ParsedMail, sender: User):
    """The record the message answers, if the sender may see it and its kind takes e-mail; else None."""
    number = number_from_message_ids(mail.references)
    if number is None and mail.references:
        number = _number_from_inbound(mail.references)
    if number is None:
        number = number_from_subject(mail.subject)
    if number is None:
        return None
    parsed = parse_number(number)
    if parsed is None or parsed[0].mail is None:
        return None
    try:
        return record_get_for_user(user=sender, number=number)
    except NotFound:
        logger.info("intake: %s may not see %s; filing a new record", sender.email, number)
        return None


def _number_from_inbound(references: list[str]) -> str | None:
    """A reply to a message the desk took in (a requester answering their own thread)."""
    row = (
        InboundEmail.objects.filter(message_id__in=references, content_type__isnull=False)
        .select_related("content_type")
        .order_by("-pk")
        .first()
    )
    if row is None:
        return None
    try:
        record = row.content_type.get_object_for_this_type(pk=row.object_id)
    except ObjectDoesNotExist:
        return None
    return getattr(record, "number", None)


def _new_record_kind(mailbox: Mailbox | None) -> RecordKind:
    code = mailbox.record_kind if mailbox is not None else DEFAULT_KIND
    try:
        kind = record_kind(code)
    except LookupError:
        kind = None
    if kind is None or kind.mail is None:
        logger.warning("intake: mailbox kind %r files no records from e-mail; filing an incident", code)
        kind = record_kind(DEFAULT_KIND)
    return kind


def _note_refused(*, record, refused: list[str]) -> None:
    timeline_add(
        record=record,
        kind=TimelineEntry.Kind.SYSTEM,
        is_public=True,
        body="\n".join(
            [_("These files of the e-mail were not attached:"), *(f"- {line}" for line in refused)]
        ),
        data={"event": "email_attachments_refused", "files": refused},
    )


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    fields = getattr(error, "fields", None) or {}
    parts = [str(getattr(error, "message", error))]
    parts.extend(str(message) for messages in fields.values() for message in messages)
    return " ".join(parts)
