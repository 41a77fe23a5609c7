"""Comments, work notes and attachments: the conversation on a record."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.errors import PermissionDenied
from servicedesk.models import TimelineEntry, User
from servicedesk.records.transitions import SYSTEM, transition_fire
from servicedesk.services import audit_record
from servicedesk.services.timeline import timeline_add
from servicedesk.sla.clocks import sla_sync

from .. import workflow as wf
from ..models import Incident
from ..permissions import IncidentPolicy
from .common import lock, save
from .events import incident_event


def incident_comment(
    *, record: Incident, actor: User, body: str, is_public: bool = True, uploads=(), data: dict | None = None
) -> TimelineEntry:
    """Add a public comment or an internal work note (agents only), with files; `data` is kept on the
    entry (e-mail intake notes there whether the sender was verified).

    The first public reply of an agent is the record's first response. A requester's reply resumes a
    record on hold for them and reopens a resolved one within the reopen window. Raises PermissionDenied
    (a non-agent's work note, a final record), ValidationError (no text and no file, a refused file).
    """
    body = (body or "").strip()
    if not body and not uploads:
        raise ValidationError({"body": _("Write something or attach a file.")})
    if len(uploads) > _max_files():
        raise ValidationError(
            {"attachments": _("At most %(count)d files at a time.") % {"count": _max_files()}}
        )
    with transaction.atomic():
        record = lock(record)
        if not IncidentPolicy.can_comment(actor, record):
            raise PermissionDenied(_("This record takes no more comments."))
        if not is_public and not IncidentPolicy.can_add_work_note(actor, record):
            raise PermissionDenied(_("Only agents write work notes."))
        kind = TimelineEntry.Kind.COMMENT if is_public else TimelineEntry.Kind.WORK_NOTE
        entry = timeline_add(
            record=record, kind=kind, author=actor, body=body, is_public=is_public, uploads=uploads, data=data
        )
        fields = []
        if (
            is_public
            and record.responded_at is None
            and IncidentPolicy.is_agent(actor)
            and not wf.is_requester(record, actor)
        ):
            record.responded_at = entry.created_at
            fields.append("responded_at")
        save(record, fields)
        if fields:
            sla_sync(record=record)  # the first response stops the response clock
        audit_record(
            actor=actor,
            action="incident.commented" if is_public else "incident.work_noted",
            target=record,
            data={"entry": entry.pk, "attachments": len(uploads)},
        )
        incident_event(
            record=record,
            event="commented" if is_public else "work_noted",
            actor=actor,
            entry=entry,
            data={"entry": entry.pk},
        )
        if wf.is_requester(record, actor):
            _after_requester_reply(record)
        return entry


def _after_requester_reply(record: Incident) -> None:
    if record.status == wf.ON_HOLD and record.hold_reason == Incident.HoldReason.REQUESTER:
        transition_fire(record=record, actor=SYSTEM, to=wf.IN_PROGRESS, inputs={})
    elif record.status == wf.RESOLVED and wf.within_reopen_window(record, timezone.now()):
        transition_fire(
            record=record, actor=SYSTEM, to=wf.IN_PROGRESS, inputs={"reason": _("The requester replied.")}
        )


def incident_attach(*, record: Incident, actor: User, uploads, is_public: bool = True) -> TimelineEntry:
    """Attach files without a comment; internal files (agents only) stay out of the requester's view."""
    if not uploads:
        raise ValidationError({"attachments": _("Choose a file.")})
    if len(uploads) > _max_files():
        raise ValidationError(
            {"attachments": _("At most %(count)d files at a time.") % {"count": _max_files()}}
        )
    with transaction.atomic():
        record = lock(record)
        if not IncidentPolicy.can_comment(actor, record):
            raise PermissionDenied(_("This record takes no more files."))
        if not is_public and not IncidentPolicy.can_add_work_note(actor, record):
            raise PermissionDenied(_("Only agents add internal files."))
        entry = timeline_add(
            record=record,
            kind=TimelineEntry.Kind.ATTACHMENT,
            author=actor,
            is_public=is_public,
            uploads=uploads,
        )
        save(record, [])
        audit_record(actor=actor, action="incident.attached", target=record, data={"entry": entry.pk})
        return entry


def _max_files() -> int:
    from django.conf import settings

    return settings.ITSM_ATTACHMENTS_PER_ENTRY
