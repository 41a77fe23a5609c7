"""Comments, work notes and attachments: the kernel's conversation, plus what incidents add to it (the
first response, the requester's reply moving the record on, the events)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.models import TimelineEntry, User
from servicedesk.records.services import (
    comment_add,
    comment_search_fields,
    files_add,
    record_lock,
    record_save,
)
from servicedesk.records.transitions import SYSTEM, transition_fire
from servicedesk.sla.clocks import sla_sync

from .. import workflow as wf
from ..models import Incident
from ..permissions import IncidentPolicy
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
    with transaction.atomic():
        record = record_lock(record)
        entry = comment_add(
            record=record, actor=actor, body=body, is_public=is_public, uploads=uploads, data=data
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
        record_save(record, [*fields, *comment_search_fields(is_public)])
        if fields:
            sla_sync(record=record)  # the first response stops the response clock
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
    with transaction.atomic():
        record = record_lock(record)
        return files_add(record=record, actor=actor, uploads=uploads, is_public=is_public)
