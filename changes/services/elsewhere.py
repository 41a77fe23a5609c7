"""Changes carried out elsewhere: implemented as part of something else (a release, a project) that says
when it starts and how it ended. The carrier is only a name here (`by`, such as its number); nothing in
this module knows what it is.

Both calls are the system's (the carrier's own rules decided who may): each step is the change's own
transition, fired as the system with "Implemented by …" as its reason, so the change's timeline, audit
and events say what happened and why. Scheduling goes ahead despite conflicts, recorded as the system's
override: the carrier's slot was checked by the carrier (decision 164).
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.records.services import record_lock, record_save
from servicedesk.records.transitions import transition_fire

from .. import workflow as wf
from ..models import Change
from .implementation import review_record

SYSTEM = None
# The outcome the carrier reports -> the status implementing ends in.
ENDS = {
    Change.Outcome.SUCCESSFUL: wf.REVIEW,
    Change.Outcome.PARTIAL: wf.REVIEW,
    Change.Outcome.FAILED: wf.FAILED,
    Change.Outcome.BACKED_OUT: wf.BACKED_OUT,
}
STARTABLE = (wf.APPROVED, wf.SCHEDULED)


def implemented_by(by: str) -> str:
    return _("Implemented by %(by)s.") % {"by": by}


def _start(record: Change, *, by: str, planned_start, planned_end) -> Change:
    note = implemented_by(by)
    if record.status == wf.APPROVED:
        if record.planned_start is None or record.planned_end is None:
            record.planned_start = planned_start or timezone.now()
            record.planned_end = planned_end or record.planned_start + timedelta(hours=1)
            record_save(record, ["planned_start", "planned_end"])
        record = transition_fire(
            record=record, actor=SYSTEM, to=wf.SCHEDULED, inputs={"reason": note, "override_reason": note}
        )
    if record.status == wf.SCHEDULED:
        record = transition_fire(record=record, actor=SYSTEM, to=wf.IMPLEMENTING, inputs={"reason": note})
    return record


@transaction.atomic
def change_start_elsewhere(*, record: Change, by: str, planned_start=None, planned_end=None) -> Change:
    """The carrier `by` starts implementing `record`: an approved change is scheduled (at its planned
    slot, or the carrier's when it has none; despite conflicts, the reason recorded) and started, a
    scheduled one started. A change in another status is left as it is. Returns the change."""
    record = record_lock(record)
    if record.status not in STARTABLE:
        return record
    return _start(record, by=by, planned_start=planned_start, planned_end=planned_end)


@transaction.atomic
def change_finish_elsewhere(*, record: Change, by: str, outcome: str, lessons: str = "") -> Change:
    """The carrier `by` ended with `outcome`: `record` ends its implementation accordingly (successful or
    partial: implemented, to review; failed; backed out), is reviewed with that outcome and `lessons` (as
    the system) and closed. A change still approved or scheduled is started first; one that already
    ended its implementation on its own is reviewed with the outcome that fits how it ended; a closed,
    rejected or cancelled one is left as it is. ValidationError for an unknown outcome."""
    if outcome not in ENDS:
        raise ValidationError({"outcome": _("Choose one of the listed outcomes.")})
    record = record_lock(record)
    if record.status in wf.FINAL_STATUSES:
        return record
    note = implemented_by(by)
    if record.status in STARTABLE:
        record = _start(record, by=by, planned_start=None, planned_end=None)
    if record.status == wf.IMPLEMENTING:
        record = transition_fire(record=record, actor=SYSTEM, to=ENDS[outcome], inputs={"reason": note})
    if record.status not in wf.REVIEWABLE_STATUSES:
        return record
    if record.status == wf.BACKED_OUT:
        outcome = Change.Outcome.BACKED_OUT
    elif record.status == wf.FAILED and outcome != Change.Outcome.BACKED_OUT:
        outcome = Change.Outcome.FAILED
    record = review_record(record=record, actor=SYSTEM, outcome=outcome, lessons=lessons or note)
    return transition_fire(record=record, actor=SYSTEM, to=wf.CLOSED, inputs={"reason": note})
