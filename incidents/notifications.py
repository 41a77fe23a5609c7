"""Which events of an incident or request e-mail whom: the kind's rules (`RecordKind.notifications`).

The recipients are the kernel's generic audiences (`servicedesk.notifications.audiences`, named by each
registered event); what is this app's own is which of its events send which notification, and when.
"""

from django.utils.translation import gettext_lazy as _

from servicedesk.notifications import standard as events
from servicedesk.notifications.registry import (
    AGENT,
    NotificationEventType,
    NotificationRule,
    register_notification_event,
)

TASK_READY = "fulfilment_task_ready"


def _queued_on_create(record, actor, entry, data) -> bool:
    """A new record in the group's queue; one filed straight to a person tells them on assign."""
    return record.assignee_id is None and data.get("assignee") is None


def _routed_to_someone_new(record, actor, entry, data) -> bool:
    """Routing says what moved; a transition always changes the assignee."""
    changed = data.get("changed")
    return changed is None or "assignee" in changed or record.assignee_id is None


def _public(record, actor, entry, data) -> bool:
    return entry is not None and entry.is_public


def _waiting_for_the_requester(record, actor, entry, data) -> bool:
    from .models import Incident

    return record.hold_reason == Incident.HoldReason.REQUESTER


def _by_a_person(record, actor, entry, data) -> bool:
    """A reopen by a reply (no actor) is told by the reply's own "commented" mail."""
    return actor is not None


def _moved_to_another_group(record, actor, entry, data) -> bool:
    """Functional escalation: the new group hears of it as of any record routed to it."""
    return bool(data.get("support_group"))


NOTIFICATION_RULES = (
    NotificationRule(on="created", send=events.CREATED),
    NotificationRule(on="created", send=events.ASSIGNED, when=_queued_on_create),
    NotificationRule(on="assigned", send=events.ASSIGNED, when=_routed_to_someone_new),
    NotificationRule(on="commented", send=events.COMMENTED, when=_public),
    NotificationRule(on="on_hold", send=events.WAITING, when=_waiting_for_the_requester),
    NotificationRule(on="resolved", send=events.RESOLVED),
    NotificationRule(on="reopened", send=events.REOPENED, when=_by_a_person),
    NotificationRule(on="closed", send=events.CLOSED),
    NotificationRule(on="cancelled", send=events.CLOSED),
    NotificationRule(on="sla_warning", send=events.SLA_WARNING),
    NotificationRule(on="sla_breached", send=events.SLA_BREACHED),
    NotificationRule(on="escalated", send=events.ASSIGNED, when=_moved_to_another_group),
)


def task_group(record, actor, entry, data) -> list:
    """The ready task's group: its address, else its agents (the caller names the group in `data`)."""
    from servicedesk.models import SupportGroup
    from servicedesk.selectors import support_group_agents

    group = SupportGroup.objects.filter(pk=data.get("group")).first()
    if group is None:
        return []
    return [group.email] if group.email else list(support_group_agents(group=group))


FULFILMENT_EVENTS = (
    NotificationEventType(
        code=TASK_READY,
        label=_("A fulfilment task is ready for my group"),
        audience=(AGENT,),
        app="incidents",
        order=150,
        recipients=task_group,
        variables={"data.task, data.group_name": _("the task and its group")},
    ),
)


def register_fulfilment_notifications() -> None:
    for event_type in FULFILMENT_EVENTS:
        register_notification_event(event_type)
