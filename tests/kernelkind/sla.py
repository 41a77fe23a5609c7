"""How the SLA engine reads chores, and how it escalates them (the chore's `SLAAdapter`).

A chore runs only the resolution clock (`RecordKind.sla_metrics`). Its clock pauses while someone is
doing it: the test kind's stand-in for an incident waiting on hold.
"""

from servicedesk.models import Metric
from servicedesk.notifications.standard import ESCALATED
from servicedesk.records.events import publisher, record_publish_many
from servicedesk.records.services import record_note_changes, record_save
from servicedesk.services.audit import apply_changes
from servicedesk.services.notifications import notify
from servicedesk.sla.adapters import SLAFacts
from servicedesk.sla.clocks import sla_sync

from . import workflow as wf

BEING_DONE = "chore:doing"


class ChoreSLA:
    pause_choices = [(BEING_DONE, "Being done")]
    due_field = "sla_due_at"

    def facts(self, record) -> SLAFacts:
        return SLAFacts(
            kind="chore",
            priority=record.priority,
            organisation_id=record.requester.organisation_id,
            service_policy_id=None,
            pause_reason=BEING_DONE if record.status == wf.DOING else "",
            responded=record.assignee_id is not None,
            resolved=record.status == wf.DONE,
            cancelled=record.status == wf.DROPPED,
        )

    def requester_time_zone(self, record) -> str:
        return record.requester.time_zone

    def location_time_zone(self, record) -> str:
        return ""

    def announce(self, record, *, event: str, clock, data: dict) -> None:
        """The kind's event (`chore.sla_warning`, `chore.sla_breached`): webhooks, and e-mail by its rules."""
        data = {**data, "target": str(Metric(clock.metric).label)}
        publisher(record)(record=record, event=event, actor=None, data=data)

    def announce_many(self, announcements) -> None:
        """A batch of the sweep: the kernel publishes them together (the kind's `publish` for each)."""
        record_publish_many(
            events=[
                (item.record, item.event, {**item.data, "target": str(Metric(item.clock.metric).label)})
                for item in announcements
            ]
        )

    def escalate(self, record, *, clock, rule) -> dict:
        """Raise the priority (the clock is re-targeted) and tell the assignee, as the rule says."""
        done = {"metric": clock.metric, "percent": rule.percent, "actions": []}
        if rule.raise_priority and record.priority > 1:
            diff = apply_changes(record, {"priority": record.priority - 1})
            record_save(record, diff.keys())
            record_note_changes(record=record, actor=None, action="chore.escalated", diff=diff)
            done["actions"].append("raise_priority")
            sla_sync(record=record, rematch=True)
        if rule.notify_assignee and record.assignee_id is not None:
            data = {"target": str(Metric(clock.metric).label), "due_at": clock.due_at}
            notify(event=ESCALATED, record=record, recipients=[record.assignee], context={"data": data})
            done["actions"].append("notify")
        return done


CHORE_SLA = ChoreSLA()
