"""Routing a record: its support group and its assignee."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from servicedesk.errors import PermissionDenied
from servicedesk.models import SupportGroup, TimelineEntry, User
from servicedesk.records.services import record_lock, record_note_changes, record_save, related_labels
from servicedesk.services.audit import apply_changes
from servicedesk.services.timeline import timeline_add

from .. import workflow as wf
from ..models import Incident
from ..permissions import IncidentPolicy
from .common import validate_agent
from .events import incident_event

UNSET = object()


def incident_assign(
    *,
    record: Incident,
    actor: User,
    support_group: SupportGroup | object | None = UNSET,
    assignee: User | object | None = UNSET,
    expected_version: int | None = None,
) -> Incident:
    """Route `record` to a group and/or a person.

    A new record with an assignee becomes assigned; an assigned record that loses its assignee goes back
    to the queue (new). Moving to another group drops an assignee who is not its member. Raises
    PermissionDenied for non-agents or final records, ValidationError for a non-agent assignee or one
    outside the group or for a record awaiting approval, StaleWrite for an out-of-date `expected_version`.
    """
    with transaction.atomic():
        record = record_lock(record, expected_version=expected_version)
        if not IncidentPolicy.can_assign(actor, record):
            raise PermissionDenied(_("You may not assign this record."))
        changes = {}
        group = record.support_group if support_group is UNSET else support_group
        if support_group is not UNSET:
            changes["support_group"] = support_group
        person = record.assignee if assignee is UNSET else assignee
        if (
            assignee is UNSET
            and person is not None
            and group is not None
            and not group.members.filter(pk=person.pk).exists()
        ):
            person = None
        if person is not None:
            validate_agent(person, group=group)
            if record.assignee_id is None and wf.awaiting_approval(record):
                raise ValidationError(
                    {"assignee": _("This request is awaiting approval; it is assigned once it is approved.")}
                )
        if person != record.assignee:
            changes["assignee"] = person
        status_before = record.status
        labels = related_labels(record, changes)
        diff = apply_changes(record, changes)
        if not diff:
            return record
        if record.assignee_id is not None and record.status == wf.NEW:
            wf.WORKFLOW.move(record, "assign")
        elif record.assignee_id is None and record.status == wf.ASSIGNED:
            wf.WORKFLOW.move(record, "return_to_queue")
        if record.status != status_before:
            diff["status"] = {"from": status_before, "to": record.status}
        record_save(record, diff.keys())
        record_note_changes(record=record, actor=actor, action="incident.assigned", diff=diff, before=labels)
        if record.status != status_before:
            # Requesters follow status changes; the field change above is for agents.
            timeline_add(
                record=record,
                kind=TimelineEntry.Kind.TRANSITION,
                author=actor,
                is_public=True,
                data={**diff["status"], "transition": "assign" if record.assignee_id else "return_to_queue"},
            )
        routed = "support_group" in diff or record.assignee_id is not None
        incident_event(
            record=record,
            event="assigned" if routed else "unassigned",
            actor=actor,
            data={
                "assignee": record.assignee_id,
                "support_group": record.support_group_id,
                "changed": sorted(set(diff) & {"assignee", "support_group"}),
            },
        )
        return record
