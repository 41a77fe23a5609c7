"""What every kind's e-mail intake shares, so no kind copies it: a reply is the kernel's comment, an
unproven staff reply the kernel's flagged note, a final record is what the kind's policy says, and a
follow-up is noted on both records. A kind subclasses `RecordMailIntake` and writes `file`, its filing."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from servicedesk.kinds import kind_of
from servicedesk.models import TimelineEntry
from servicedesk.records.events import publisher
from servicedesk.records.services import record_comment, record_lock, record_save
from servicedesk.services.audit import audit_record
from servicedesk.services.timeline import timeline_add


class RecordMailIntake:
    """A `servicedesk.intake.MailIntake` made of the kernel's services; the kind writes `file`."""

    def file(self, *, requester, title: str, body: str, uploads: list, mailbox):
        """File a new record for `requester` with the kind's own filing service; returns it."""
        raise NotImplementedError

    def create(self, *, requester, title, body, uploads, mailbox=None, follow_up_of=None):
        """The record `file` files; with `follow_up_of`, both records say so on their timelines."""
        with transaction.atomic():
            record = self.file(requester=requester, title=title, body=body, uploads=uploads, mailbox=mailbox)
            if follow_up_of is not None:
                follow_up_note(record=record, previous=follow_up_of, actor=requester)
            return record

    def reply(self, *, record, author, body, uploads, data=None):
        """The author's public comment (`record_comment`), as the kind's policy allows."""
        return record_comment(
            record=record, actor=author, body=body, is_public=True, uploads=uploads, data=data
        )

    def note(self, *, record, body, uploads, data):
        return unverified_note_add(record=record, body=body, uploads=uploads, data=data)

    def is_final(self, record) -> bool:
        return kind_of(record).policy.is_final(record)


def unverified_note_add(*, record, body: str, uploads, data: dict) -> TimelineEntry:
    """A work note by nobody, flagged by `data` (mail claiming to be from staff that nothing proves):
    agents read it; it moves no status and counts as no response. The kind publishes `work_noted`
    (webhooks hear of it; who is mailed is the kind's rules). ValidationError for no text and no file."""
    body = (body or "").strip()
    if not body and not uploads:
        raise ValidationError({"body": _("Write something or attach a file.")})
    with transaction.atomic():
        record = record_lock(record)
        entry = timeline_add(
            record=record,
            kind=TimelineEntry.Kind.WORK_NOTE,
            body=body,
            is_public=False,
            data=data,
            uploads=uploads,
        )
        record_save(record, [])
        audit_record(
            actor=None,
            action=f"{record._meta.model_name}.email_unverified_noted",
            target=record,
            data={"entry": entry.pk, "sender": data.get("email", {}).get("sender", "")},
        )
        publisher(record)(
            record=record, event="work_noted", actor=None, entry=entry, data={"entry": entry.pk}
        )
        return entry


def follow_up_note(*, record, previous, actor) -> None:
    """`record` follows up `previous` (a final record the message answered): a link entry on each."""
    timeline_add(
        record=record,
        kind=TimelineEntry.Kind.LINK,
        author=actor,
        is_public=True,
        data={"link": "follow_up_of", "number": previous.number},
    )
    timeline_add(
        record=previous,
        kind=TimelineEntry.Kind.LINK,
        author=actor,
        is_public=True,
        data={"link": "followed_up_by", "number": record.number},
    )
