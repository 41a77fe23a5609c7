"""What the SLA sweep does to incidents and requests: warn, report a breach, escalate.

Called by `incidents.sla.IncidentSLA` from the sweep's transaction, with the record locked. The actor is
the system (None); each action is on the record's timeline and told through the outbox.
"""

from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _

from servicedesk.kinds import kind_of
from servicedesk.models import Metric, TimelineEntry
from servicedesk.notifications import audiences
from servicedesk.notifications.standard import ESCALATED
from servicedesk.records.events import record_publish_many
from servicedesk.records.services import record_note_changes, record_save, related_labels
from servicedesk.services.audit import apply_changes
from servicedesk.services.notifications import notify
from servicedesk.services.timeline import timeline_add, timeline_add_many, timeline_entry
from servicedesk.services.webhooks import webhook_listened
from servicedesk.sla.adapters import Announcement
from servicedesk.sla.clocks import sla_sync

from .. import workflow as wf
from ..models import Incident
from ..selectors import DETAIL_PREFETCH, DETAIL_RELATED
from .events import incident_event


def _public_data(clock, data: dict) -> dict:
    """The event's details as webhooks and the timeline keep them (JSON), with the target's label."""
    return {
        **{key: value for key, value in data.items() if key != "target"},
        "metric": clock.metric,
        "target": Metric(clock.metric).label,
    }


def _entry_data(event: str, data: dict) -> dict:
    return {"event": event, **{key: value for key, value in data.items() if key != "target"}}


def incident_sla_announce(*, record: Incident, event: str, clock, data: dict) -> None:
    """A clock crossed a warning threshold (`sla_warning`) or its target (`sla_breached`)."""
    data = _public_data(clock, data)
    timeline_add(
        record=record, kind=TimelineEntry.Kind.SYSTEM, is_public=False, data=_entry_data(event, data)
    )
    incident_event(record=record, event=event, actor=None, data=data)


def incident_sla_announce_many(*, announcements: list[Announcement]) -> None:
    """`incident_sla_announce` for a batch of the sweep: the timeline entries in one insert, the webhooks
    in a constant number of statements; the e-mail as the kind's rules say, from relations read once."""
    # Read once what the e-mail's recipients and the webhook's body (the record as the API shows it) read,
    # and only for the records that have them: most announcements in a large sweep need neither.
    kind = kind_of(announcements[0].record).code
    listened = webhook_listened({f"{kind}.{item.event}" for item in announcements})
    represented = [item.record for item in announcements if f"{kind}.{item.event}" in listened]
    prefetch_related_objects(represented, *DETAIL_RELATED, *DETAIL_PREFETCH)
    worked = [r for r in (item.record for item in announcements) if r.assignee_id or r.support_group_id]
    prefetch_related_objects(worked, "assignee", "support_group__manager")
    published, entries = [], []
    for item in announcements:
        data = _public_data(item.clock, item.data)
        entries.append(
            timeline_entry(
                record=item.record,
                kind=TimelineEntry.Kind.SYSTEM,
                is_public=False,
                data=_entry_data(item.event, data),
            )
        )
        published.append((item.record, item.event, data))
    timeline_add_many(entries=entries)
    record_publish_many(events=published)


def incident_escalate(*, record: Incident, clock, rule) -> dict:
    """Carry out an escalation rule: notify the assignee, the group's manager and the service owner
    (hierarchical), move the record to its group's escalation group (functional), raise its priority.
    Returns what was done."""
    done = {"metric": clock.metric, "percent": rule.percent, "actions": []}
    changes = {}
    if rule.reassign_to_escalation_group and record.support_group_id is not None:
        target = record.support_group.escalation_group
        if target is not None and target.is_active and target.pk != record.support_group_id:
            changes["support_group"] = target
            if record.assignee_id is not None and not target.members.filter(pk=record.assignee_id).exists():
                changes["assignee"] = None
            done["actions"].append("reassign_to_escalation_group")
            done["support_group"] = target.pk
    if rule.raise_priority and record.priority > 1:
        changes["priority"] = record.priority - 1
        done["actions"].append("raise_priority")
        done["priority"] = record.priority - 1
    recipients = _recipients(record, rule)  # before the move: the manager of the group that missed it
    if recipients:
        done["actions"].append("notify")
        done["notified"] = [getattr(person, "pk", None) for person in recipients]
    labels = related_labels(record, [field for field in changes if field != "priority"])
    status_before = record.status
    diff = apply_changes(record, changes)
    if record.assignee_id is None and record.status == wf.ASSIGNED:
        wf.WORKFLOW.move(record, "return_to_queue")
        diff["status"] = {"from": status_before, "to": record.status}
    if diff:
        record_save(record, diff.keys())
        record_note_changes(record=record, actor=None, action="incident.escalated", diff=diff, before=labels)
    reason = EscalationReason(rule.percent, clock.metric)
    timeline_add(
        record=record,
        kind=TimelineEntry.Kind.SYSTEM,
        is_public=False,
        data={"event": "sla_escalated", **done},
    )
    incident_event(record=record, event="escalated", actor=None, data={**done, "reason": str(reason)})
    if recipients:
        notify(
            event=ESCALATED,
            record=record,
            recipients=recipients,
            context={
                "data": {"reason": reason, "target": Metric(clock.metric).label, "due_at": clock.due_at}
            },
        )
    if "priority" in diff:
        sla_sync(record=record, rematch=True)
    return done


class EscalationReason:
    """ "75 % of the resolution target", put into words in the language of whoever reads it."""

    def __init__(self, percent: int, metric: str):
        self.percent, self.metric = percent, metric

    def __str__(self):
        return _("%(percent)s %% of the %(target)s target") % {
            "percent": self.percent,
            "target": str(Metric(self.metric).label).lower(),
        }


def _recipients(record: Incident, rule) -> list:
    people = []
    if rule.notify_assignee and record.assignee_id is not None:
        people.append(record.assignee)
    if rule.notify_group_manager:
        people += audiences.group_manager(record)
    if rule.notify_service_owner and record.service_id is not None and record.service.owner_id is not None:
        people.append(record.service.owner)
    return list({person.pk: person for person in people}.values())
