"""Incident and request transitions: the kernel's engine on this app's table (`workflow.WORKFLOW`)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.approvals.services import approvals_cancel_for_record
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.models import User
from servicedesk.records.services import record_lock, record_save
from servicedesk.records.transitions import SYSTEM, record_transition, transition_fire, transitions_allowed
from servicedesk.services import audit_record

from .. import workflow as wf
from ..models import Incident

__all__ = ["SYSTEM", "allowed_transitions", "incident_rate", "incident_transition"]


def allowed_transitions(*, record: Incident, user) -> list[dict]:
    """The transitions `user` may fire now, each with its target status and what it needs."""
    return transitions_allowed(record=record, user=user)


def incident_transition(
    *, record: Incident, actor: User | None, to: str, expected_version: int | None = None, **inputs
) -> Incident:
    """Move `record` to status `to` (see `servicedesk.records.transitions.record_transition`).

    `inputs` carry what the transition needs: `assignee` to assign, `hold_reason` to hold,
    `resolution_code` and `resolution_notes` to resolve, a `reason` to reopen or cancel;
    `csat_score`/`csat_comment` may come with a requester's close.
    """
    return record_transition(record=record, actor=actor, to=to, expected_version=expected_version, **inputs)


def apply_rating(record: Incident, score, comment: str, now) -> None:
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationError({"csat_score": _("Give a rating from 1 to 5.")})
    record.csat_score = score
    record.csat_comment = comment.strip()
    record.rated_at = now


def approvals_settle(record: Incident) -> None:
    """Nothing is left to approve once a record is resolved, closed or cancelled: it no longer waits."""
    approvals_cancel_for_record(
        record=record,
        reason=_("%(number)s is %(status)s.")
        % {"number": record.number, "status": record.get_status_display().lower()},
    )


def resolve_children(parent: Incident) -> None:
    """Children resolve with their parent, with its resolution and a note saying so."""
    for child in Incident.objects.select_for_update().filter(parent=parent, status__in=wf.OPEN_STATUSES):
        transition_fire(
            record=child,
            actor=SYSTEM,
            to=wf.RESOLVED,
            inputs={
                "resolution_code": parent.resolution_code,
                "resolution_notes": _("Resolved with %(number)s: %(notes)s")
                % {"number": parent.number, "notes": parent.resolution_notes},
                "first_contact_resolution": False,
            },
        )


def incident_rate(*, record: Incident, actor: User, score: int, comment: str = "") -> Incident:
    """The requester rates a resolved or closed record once (CSAT 1-5 and a comment).

    Raises PermissionDenied for anyone else, Conflict when already rated or not yet resolved.
    """
    from ..permissions import IncidentPolicy

    with transaction.atomic():
        record = record_lock(record)
        if not wf.is_requester(record, actor):
            raise PermissionDenied(_("Only the requester rates a record."))
        if not IncidentPolicy.can_rate(actor, record):
            raise Conflict(_("This record cannot be rated now."), code="not_ratable")
        apply_rating(record, score, comment, timezone.now())
        record_save(record, {"csat_score", "csat_comment", "rated_at"})
        audit_record(
            actor=actor, action="incident.rated", target=record, data={"csat_score": record.csat_score}
        )
        return record
