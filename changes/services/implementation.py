"""Implementing a change and reviewing it afterwards (issue 16, items 6 and 7).

While a change is implemented its affected CIs may be put "in maintenance" through the CMDB's service
(their history says "via CHG…") and are put back in production when it ends, however it ends. Incidents
raised on those CIs meanwhile are linked to the change as possibly caused by it (a listener on the
incidents' "created" event, `incident_raised`); those on hold waiting for the change resume when it is
implemented. The post-implementation review records the outcome, the incidents it caused and the lessons;
closing needs it (`workflow._reviewed`).
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cmdb import workflow as ci_wf
from cmdb.models import ConfigurationItem
from cmdb.permissions import CMDBPolicy
from cmdb.services.items import ci_transition
from incidents import workflow as incident_wf
from incidents.models import Incident
from incidents.services import incident_transition
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.models import RecordLink, TimelineEntry, User
from servicedesk.records.linking import record_link
from servicedesk.records.services import record_lock, record_save
from servicedesk.records.transitions import input_flag
from servicedesk.services import audit_record
from servicedesk.services.timeline import timeline_add

from .. import workflow as wf
from ..links import CHANGE_AWAITED, CHANGE_CAUSED
from ..models import Change
from ..permissions import ChangePolicy
from .lifecycle import change_publish

MAX_CAUSED = 100


def via(change: Change) -> str:
    """How the CMDB's history names a write made for this change."""
    return f"change:{change.number}"


def _ci_actor(actor, ci):
    """Who the CI's history names: the implementer when they may change CIs, else the system (the change
    is still the history's reason)."""
    return actor if actor is not None and CMDBPolicy.can_change_ci(actor, ci) else None


def implementation_started(*, change: Change, actor, maintenance=None) -> None:
    """Put the change's affected CIs that are in production in maintenance (`maintenance`, yes unless
    said otherwise), remembering which, so the end puts back exactly those."""
    if maintenance is not None and not input_flag(maintenance):
        return
    moved = []
    for ci in change.affected_cis.filter(status=ci_wf.IN_PRODUCTION).order_by("pk"):
        ci_transition(ci=ci, actor=_ci_actor(actor, ci), to=ci_wf.IN_MAINTENANCE, via=via(change))
        moved.append(ci.pk)
    if moved:
        change.maintenance_cis = moved
        record_save(change, ["maintenance_cis"])


def implementation_ended(*, change: Change, actor) -> None:
    """Back in production the CIs this change put in maintenance (those still there); link the incidents
    raised on its CIs during the implementation; resume the incidents waiting for it once implemented."""
    if change.maintenance_cis:
        for ci in ConfigurationItem.objects.filter(
            pk__in=change.maintenance_cis, status=ci_wf.IN_MAINTENANCE
        ).order_by("pk"):
            ci_transition(ci=ci, actor=_ci_actor(actor, ci), to=ci_wf.IN_PRODUCTION, via=via(change))
    caused_incidents_link(change=change)
    if change.status == wf.REVIEW:
        waiting_incidents_resume(change=change, actor=actor)


def _linked_incident_ids(change: Change, link_type: str) -> set[int]:
    return set(
        RecordLink.objects.filter(
            link_type=link_type,
            source_type=ContentType.objects.get_for_model(Change),
            source_id=change.pk,
        ).values_list("target_id", flat=True)
    )


def incidents_in_window(change: Change):
    """The incidents raised on the change's affected CIs between its implementation's start and end (or
    now, while it runs): what it may have caused."""
    if change.actual_start is None:
        return Incident.objects.none()
    window = Q(created_at__gte=change.actual_start)
    if change.actual_end is not None:
        window &= Q(created_at__lte=change.actual_end)
    return (
        Incident.objects.filter(window, affected_cis__in=change.affected_cis.all())
        .distinct()
        .order_by("created_at", "id")
    )


def caused_incidents_link(*, change: Change) -> int:
    """Link (as the system) the incidents raised in the window not linked yet; how many were."""
    done = _linked_incident_ids(change, CHANGE_CAUSED)
    count = 0
    for incident in incidents_in_window(change)[: MAX_CAUSED + len(done)]:
        if incident.pk not in done:
            record_link(actor=None, link_type=CHANGE_CAUSED, source=change, target=incident)
            count += 1
    return count


def incident_raised(*, record, event: str, actor, data: dict) -> None:
    """Listener of the incidents' "created": an incident raised on a CI a change is implementing now is
    linked to that change as possibly caused by it."""
    if not hasattr(record, "affected_cis") or getattr(record, "kind", "incident") != "incident":
        return
    cis = list(record.affected_cis.values_list("pk", flat=True))
    if not cis:
        return
    changes = Change.objects.filter(status=wf.IMPLEMENTING, affected_cis__in=cis).distinct().order_by("pk")
    for change in changes:
        record_link(actor=None, link_type=CHANGE_CAUSED, source=change, target=record)


def waiting_incidents_resume(*, change: Change, actor) -> int:
    """The incidents on hold waiting for this change go back to work (as the system), each told why."""
    ids = _linked_incident_ids(change, CHANGE_AWAITED)
    count = 0
    waiting = Incident.objects.filter(
        pk__in=ids, status=incident_wf.ON_HOLD, hold_reason=Incident.HoldReason.CHANGE
    ).order_by("pk")
    for incident in waiting:
        incident_transition(
            record=incident,
            actor=None,
            to=incident_wf.IN_PROGRESS,
            reason=_("%(number)s was implemented.") % {"number": change.number},
        )
        count += 1
    return count


def change_review(
    *,
    record: Change,
    actor: User,
    outcome: str,
    lessons: str = "",
    caused=(),
    expected_version: int | None = None,
) -> Change:
    """Record the post-implementation review: the outcome, the lessons, and the incidents the change
    caused (linked, on top of those linked already). A failed change cannot be reviewed successful, nor a
    backed-out one anything but backed out. May be recorded again until the change is closed."""
    if outcome not in Change.Outcome.values:
        raise ValidationError({"outcome": _("Choose one of the listed outcomes.")})
    caused = list(dict.fromkeys(caused or ()))
    if len(caused) > MAX_CAUSED:
        raise ValidationError({"caused": _("At most %(count)d incidents.") % {"count": MAX_CAUSED}})
    with transaction.atomic():
        record = record_lock(record, expected_version=expected_version)
        if not ChangePolicy.can_review(actor, record):
            if not ChangePolicy.is_agent(actor):
                raise PermissionDenied(_("You may not review this change."))
            raise Conflict(
                _("A change is reviewed once it is implemented, failed or backed out."), code="not_reviewable"
            )
        return review_record(record=record, actor=actor, outcome=outcome, lessons=lessons, caused=caused)


def review_record(*, record: Change, actor, outcome: str, lessons: str = "", caused=()) -> Change:
    """Write the review on a change the caller has locked and authorised (`actor` None: the system): the
    outcome must fit how the change ended (ValidationError otherwise)."""
    if record.status == wf.BACKED_OUT and outcome != Change.Outcome.BACKED_OUT:
        raise ValidationError({"outcome": _("This change was backed out.")})
    if record.status == wf.FAILED and outcome in (Change.Outcome.SUCCESSFUL, Change.Outcome.PARTIAL):
        raise ValidationError({"outcome": _("This change failed.")})
    done = _linked_incident_ids(record, CHANGE_CAUSED)
    for incident in caused:
        if incident.pk not in done:
            record_link(actor=actor, link_type=CHANGE_CAUSED, source=record, target=incident)
    record.review_outcome = outcome
    record.review_lessons = (lessons or "").strip()
    record.reviewed_at = timezone.now()
    record.reviewed_by = actor
    record_save(record, ["review_outcome", "review_lessons", "reviewed_at", "reviewed_by"])
    data = {"outcome": outcome, "caused": [incident.number for incident in caused]}
    timeline_add(
        record=record,
        kind=TimelineEntry.Kind.SYSTEM,
        author=actor,
        body=record.review_lessons,
        is_public=False,
        data={"event": "reviewed", **data},
    )
    audit_record(actor=actor, action="change.reviewed", target=record, data=data)
    change_publish(record=record, event="reviewed", actor=actor, data=data)
    return record
