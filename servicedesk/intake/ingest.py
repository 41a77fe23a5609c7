"""E-mail intake: one message becomes a new record, a public reply on one, or nothing (and says why)."""

import logging

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from servicedesk.attachments import validate_upload
from servicedesk.errors import ApplicationError, NotFound
from servicedesk.kinds import RecordKind, parse_number, record_get_for_user, record_kind
from servicedesk.mailthreads import number_from_message_ids, number_from_subject
from servicedesk.models import InboundEmail, Mailbox, TimelineEntry, User
from servicedesk.services.timeline import timeline_add

from .message import ParsedMail, address_of, mail_parse, reply_text, title_from_subject
from .senders import (
    STAFF_REFUSE,
    Refused,
    email_data,
    is_staff,
    sender_authentication,
    sender_user,
    unverified_staff_policy,
)

logger = logging.getLogger(__name__)

Result = InboundEmail.Result


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
            inbound.save(update_fields=["result", "detail", "authenticated_by", "content_type", "object_id"])
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
            sender = sender_user(mail)
            replied = _replied_record(mail, sender)
            inbound.authenticated_by = sender_authentication(mail, sender, replied)
            unverified_staff = is_staff(sender) and not inbound.authenticated_by
            if unverified_staff and unverified_staff_policy() == STAFF_REFUSE:
                raise Refused(_unverified_text(mail.sender_address))
            uploads, refused = _accepted_uploads(mail.attachments)
            record, result = _file(
                mail=mail,
                mailbox=mailbox,
                sender=sender,
                replied=replied,
                uploads=uploads,
                data=email_data(mail, inbound.authenticated_by),
                unverified_staff=unverified_staff,
            )
            if refused:
                _note_refused(record=record, refused=refused)
    except Refused as refusal:
        inbound.result, inbound.detail = Result.REJECTED, refusal.detail
        return
    except (ValidationError, ApplicationError) as error:
        inbound.result, inbound.detail = Result.REJECTED, _error_text(error)
        return
    inbound.result = result
    inbound.content_type = ContentType.objects.get_for_model(record)
    inbound.object_id = record.pk
    lines = [record.number]
    if unverified_staff:
        lines.append(_unverified_text(mail.sender_address))
    if refused:
        lines += [_("Files not attached:"), *refused]
    inbound.detail = "\n".join(lines)


def _unverified_text(address: str) -> str:
    return _(
        "%(address)s belongs to staff, but nothing proves this message comes from them (no reply token "
        "of a notification to them, no pass from a trusted mail server)."
    ) % {"address": address}


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


def _file(
    *,
    mail: ParsedMail,
    mailbox: Mailbox | None,
    sender: User,
    replied,
    uploads: list,
    data: dict,
    unverified_staff: bool,
):
    """File the message; returns (record, result).

    A reply from staff that nothing authenticates is an internal note without an author, flagged; a new
    record (or follow-up) it files is flagged on the timeline for agents.
    """
    if replied is not None:
        kind = parse_number(replied.number)[0]
        body = reply_text(mail.message, mail.text)
        if not kind.mail.is_final(replied):
            if unverified_staff:
                note = {**data, "event": "email_unverified_sender", "claimed": str(sender)}
                kind.mail.note(record=replied, body=body, uploads=uploads, data=note)
                return replied, Result.NOTED
            kind.mail.reply(record=replied, author=sender, body=body, uploads=uploads, data=data)
            return replied, Result.COMMENTED
        record = kind.mail.create(
            requester=sender,
            title=title_from_subject(mail.subject),
            body=body,
            uploads=uploads,
            mailbox=mailbox,
            follow_up_of=replied,
        )
        result = Result.FOLLOW_UP
    else:
        record = _new_record_kind(mailbox).mail.create(
            requester=sender,
            title=title_from_subject(mail.subject),
            body=mail.text,
            uploads=uploads,
            mailbox=mailbox,
        )
        result = Result.CREATED
    if unverified_staff:
        timeline_add(
            record=record,
            kind=TimelineEntry.Kind.SYSTEM,
            data={**data, "event": "email_unverified_sender", "claimed": str(sender)},
        )
    return record, result


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
    """The mailbox's kind (the pipe's: ITSM_MAIL_DEFAULT_KIND); one that takes no e-mail falls back to
    ITSM_MAIL_DEFAULT_KIND. Refused when that takes none either."""
    default = settings.ITSM_MAIL_DEFAULT_KIND
    code = mailbox.record_kind if mailbox is not None else default
    kind = _mail_kind(code)
    if kind is None and code != default:
        logger.warning("intake: mailbox kind %r files no records from e-mail; filing a %r", code, default)
        kind = _mail_kind(default)
    if kind is None:
        raise Refused(_("No kind of record is filed from e-mail here (“%(kind)s”).") % {"kind": code})
    return kind


def _mail_kind(code: str) -> RecordKind | None:
    try:
        kind = record_kind(code)
    except LookupError:
        return None
    return kind if kind.mail is not None else None


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
