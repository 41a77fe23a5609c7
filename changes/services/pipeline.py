"""Deployment pipelines and standard changes: a pipeline opens a standard change from the catalogue
(`change_from_standard`) before it deploys and, when it is done, closes it with the outcome in one call
(`change_complete`)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from servicedesk.errors import Conflict, InvalidTransition
from servicedesk.models import User
from servicedesk.records.services import record_lock
from servicedesk.records.transitions import transition_fire, transitions_allowed

from .. import workflow as wf
from ..models import Change
from .implementation import change_review

# The outcome a pipeline reports -> the status implementing ends in.
ENDS = {
    Change.Outcome.SUCCESSFUL: wf.REVIEW,
    Change.Outcome.FAILED: wf.FAILED,
    Change.Outcome.BACKED_OUT: wf.BACKED_OUT,
}


def transitions_targets(record: Change, user) -> list[str]:
    return list(dict.fromkeys(t["to"] for t in transitions_allowed(record=record, user=user)))


def change_complete(
    *,
    record: Change,
    actor: User,
    outcome: str,
    notes: str = "",
    reason: str = "",
    expected_version: int | None = None,
) -> Change:
    """Finish a standard change as a pipeline reports it, all or nothing: started (when it is still
    scheduled), then implemented, failed or backed out (with `reason`), reviewed with `outcome` and
    `notes` as its lessons, and closed. Each step is the transition table's, fired as `actor` (who must
    work changes), so it is recorded, audited and published like one fired by hand.

    Raises Conflict (`not_standard`) for a normal or emergency change (they close through their own
    review), InvalidTransition when the change is neither scheduled nor implementing, ValidationError for
    an outcome other than successful, failed or backed out or a failure without its reason, PermissionDenied
    and StaleWrite."""
    if outcome not in ENDS:
        raise ValidationError({"outcome": _("Choose successful, failed or backed out.")})
    reason = (reason or "").strip()
    if outcome != Change.Outcome.SUCCESSFUL and not reason:
        raise ValidationError({"reason": _("Say why it failed or was backed out.")})
    with transaction.atomic():
        record = record_lock(record, expected_version=expected_version)
        if record.change_type != wf.STANDARD:
            raise Conflict(
                _("Only a standard change is completed in one call; review and close this one."),
                code="not_standard",
            )
        if record.status not in (wf.SCHEDULED, wf.IMPLEMENTING):
            raise InvalidTransition(
                _("Only a scheduled or implementing change is completed; this one is %(status)s.")
                % {"status": record.get_status_display().lower()},
                extra={"allowed": transitions_targets(record, actor)},
            )
        if record.status == wf.SCHEDULED:
            record = transition_fire(record=record, actor=actor, to=wf.IMPLEMENTING, inputs={})
        record = transition_fire(
            record=record, actor=actor, to=ENDS[outcome], inputs={"reason": reason} if reason else {}
        )
        record = change_review(record=record, actor=actor, outcome=outcome, lessons=notes)
        return transition_fire(record=record, actor=actor, to=wf.CLOSED, inputs={})
