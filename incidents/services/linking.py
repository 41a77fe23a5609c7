"""Parent/child links (a master record and the records that resolve with it) and merging duplicates."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.errors import PermissionDenied
from servicedesk.models import TimelineEntry, User
from servicedesk.records.services import record_save
from servicedesk.services import audit_record
from servicedesk.services.timeline import timeline_add
from servicedesk.sla.clocks import sla_sync

from .. import workflow as wf
from ..models import Incident
from ..permissions import IncidentPolicy
from .events import incident_event
from .transitions import approvals_settle


def _lock_pair(first: Incident, second: Incident) -> tuple[Incident, Incident]:
    """Lock both rows in id order, so two links made at once cannot deadlock."""
    rows = {
        r.pk: r
        for r in Incident.objects.select_for_update().filter(pk__in=[first.pk, second.pk]).order_by("pk")
    }
    return rows[first.pk], rows[second.pk]


def incident_set_parent(*, record: Incident, actor: User, parent: Incident | None) -> Incident:
    """Make `record` a child of `parent` (it will resolve with it), or detach it (`parent=None`).

    One level only: a parent has no parent and a child has no children. Both must be unfinished records
    of the same kind. Raises PermissionDenied without the right to link, ValidationError otherwise.
    """
    with transaction.atomic():
        if parent is None:
            record = Incident.objects.select_for_update().get(pk=record.pk)
        else:
            if parent.pk == record.pk:
                raise ValidationError({"parent": _("A record cannot be its own parent.")})
            record, parent = _lock_pair(record, parent)
        if not IncidentPolicy.can_link(actor, record):
            raise PermissionDenied(_("You may not link this record."))
        if parent is not None:
            if parent.kind != record.kind:
                raise ValidationError({"parent": _("Link records of the same kind.")})
            if parent.status in wf.FINAL_STATUSES or parent.merged_into_id:
                raise ValidationError({"parent": _("The parent is closed.")})
            if parent.parent_id is not None:
                raise ValidationError(
                    {"parent": _("%(number)s is itself a child.") % {"number": parent.number}}
                )
            if record.children.exists():
                raise ValidationError({"parent": _("This record has children of its own.")})
        before = record.parent
        if before == parent:
            return record
        record.parent = parent
        record_save(record, ["parent"])
        data = {"from": before.number if before else None, "to": parent.number if parent else None}
        timeline_add(
            record=record, kind=TimelineEntry.Kind.LINK, author=actor, data={"link": "parent", **data}
        )
        for other, event in ((before, "child_removed"), (parent, "child_added")):
            if other is not None:
                timeline_add(
                    record=other,
                    kind=TimelineEntry.Kind.LINK,
                    author=actor,
                    data={"link": event, "number": record.number},
                )
        audit_record(actor=actor, action="incident.parent_changed", target=record, data=data)
        return record


def incident_merge(*, duplicate: Incident, target: Incident, actor: User) -> Incident:
    """Merge `duplicate` into `target`: the duplicate closes as such, its affected CIs and children move
    to the target, and its timeline shows in the target's.

    Raises PermissionDenied without the right to link either record, ValidationError when the records
    are the same, of different kinds, or either one is already finished.
    """
    if duplicate.pk == target.pk:
        raise ValidationError({"target": _("A record cannot be merged into itself.")})
    with transaction.atomic():
        duplicate, target = _lock_pair(duplicate, target)
        if not (IncidentPolicy.can_link(actor, duplicate) and IncidentPolicy.can_link(actor, target)):
            raise PermissionDenied(_("You may not merge these records."))
        if duplicate.kind != target.kind:
            raise ValidationError({"target": _("Merge records of the same kind.")})
        if target.status in wf.FINAL_STATUSES:
            raise ValidationError({"target": _("%(number)s is closed.") % {"number": target.number}})
        if duplicate.status in wf.FINAL_STATUSES:
            raise ValidationError({"duplicate": _("%(number)s is closed.") % {"number": duplicate.number}})
        if target.merged_into_id is not None or target.parent_id == duplicate.pk:
            raise ValidationError({"target": _("Merge into the master record instead.")})
        if target.parent_id is not None and duplicate.children.exists():
            # Its children would become grandchildren: links are one level deep.
            raise ValidationError({"target": _("Merge into the master record instead.")})
        target.affected_cis.add(*duplicate.affected_cis.all())
        moved = list(duplicate.children.values_list("number", flat=True))
        # Move the version on too: every write changes the ETag.
        Incident.objects.filter(parent=duplicate).update(parent=target, version=F("version") + 1)
        Incident.objects.filter(merged_into=duplicate).update(merged_into=target, version=F("version") + 1)
        duplicate.merged_into = target
        duplicate.parent = None
        duplicate.resolution_code = Incident.ResolutionCode.DUPLICATE
        duplicate.resolution_notes = _("Merged into %(number)s.") % {"number": target.number}
        duplicate.hold_reason = ""
        duplicate.closed_at = timezone.now()
        status_before = duplicate.status
        wf.WORKFLOW.move(duplicate, "close_as_duplicate")
        record_save(
            duplicate,
            [
                "merged_into",
                "parent",
                "resolution_code",
                "resolution_notes",
                "hold_reason",
                "closed_at",
                "status",
            ],
        )
        record_save(target, [])
        sla_sync(record=duplicate)  # a duplicate's clocks are cancelled: the target carries the work
        approvals_settle(duplicate)
        timeline_add(
            record=duplicate,
            kind=TimelineEntry.Kind.TRANSITION,
            author=actor,
            is_public=True,
            body=duplicate.resolution_notes,
            data={"from": status_before, "to": wf.CLOSED, "transition": "merge", "into": target.number},
        )
        timeline_add(
            record=target,
            kind=TimelineEntry.Kind.LINK,
            author=actor,
            data={"link": "merged", "number": duplicate.number, "children": moved},
        )
        audit_record(
            actor=actor,
            action="incident.merged",
            target=duplicate,
            data={"into": target.number, "children": moved},
        )
        incident_event(record=duplicate, event="merged", actor=actor, data={"into": target.number})
        return target
