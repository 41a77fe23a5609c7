"""What happened to a record, told to people (e-mail) and to integrations (webhooks).

Every service that changes a record calls `incident_event` inside its transaction; the deliveries are
outbox rows, so they exist exactly when the change does. Who is told what is decided here, once.
"""

from servicedesk.models import NotificationEvent, TimelineEntry, User
from servicedesk.selectors import support_group_agents
from servicedesk.services.notifications import notify
from servicedesk.services.webhooks import webhooks_publish

from ..models import Incident
from ..permissions import IncidentPolicy


def incident_event(
    *,
    record: Incident,
    event: str,
    actor: User | None,
    entry: TimelineEntry | None = None,
    data: dict | None = None,
) -> None:
    """Publish `event` (one of `workflow.EVENTS`) to webhooks; e-mail the people it concerns."""
    data = data or {}
    webhooks_publish(event=f"{record.kind}.{event}", record=record, actor=actor, data=data)
    for template, recipients in _notifications(record, event, actor, entry, data):
        notify(
            event=template,
            record=record,
            recipients=recipients,
            actor=actor,
            context={"entry": entry, "data": data},
        )


def _workers(record: Incident) -> list:
    """Who works the record: its assignee, or its group when nobody has it yet (the group's address, or
    its members who are agents: a member who is not an agent never reads other people's records)."""
    if record.assignee_id is not None:
        return [record.assignee]
    group = record.support_group
    if group is None:
        return []
    if group.email:
        return [group.email]
    return list(support_group_agents(group=group))


def _manager(record: Incident) -> list:
    """The manager of the record's group, when an agent (told of breaches)."""
    manager = record.support_group.manager if record.support_group_id else None
    return [manager] if manager is not None and manager.is_agent else []


def _notifications(record: Incident, event: str, actor, entry, data: dict):
    requester = [record.requester]
    if event == "created":
        yield NotificationEvent.CREATED, requester
        if record.assignee_id is None and data.get("assignee") is None:
            # A new record in the group's queue; one filed straight to a person tells them on assign.
            yield NotificationEvent.ASSIGNED, _workers(record)
    elif event == "assigned":
        changed = data.get("changed")  # routing says what moved; a transition always changes the assignee
        if changed is None or "assignee" in changed or record.assignee_id is None:
            yield NotificationEvent.ASSIGNED, _workers(record)
    elif event == "commented" and entry is not None and entry.is_public:
        if actor is not None and actor.pk != record.requester_id and IncidentPolicy.is_agent(actor):
            yield NotificationEvent.COMMENTED, requester
        else:
            yield NotificationEvent.COMMENTED, _workers(record)
    elif event == "on_hold" and record.hold_reason == Incident.HoldReason.REQUESTER:
        yield NotificationEvent.WAITING, requester
    elif event == "resolved":
        yield NotificationEvent.RESOLVED, requester
    elif event == "reopened" and actor is not None:
        # A reopen by a reply (actor None) is told by the reply's own "commented" mail.
        yield NotificationEvent.REOPENED, _workers(record)
    elif event in ("closed", "cancelled"):
        yield NotificationEvent.CLOSED, requester
    elif event == "sla_warning":
        yield NotificationEvent.SLA_WARNING, _workers(record)
    elif event == "sla_breached":
        yield NotificationEvent.SLA_BREACHED, [*_workers(record), *_manager(record)]
    elif event == "escalated" and data.get("support_group"):
        # Functional escalation: the new group hears of it as of any record routed to it.
        yield NotificationEvent.ASSIGNED, _workers(record)
