"""Who is told of what happens to a change (issue 16), through the kernel's registries.

- submitted (and an emergency change raised, which starts submitted): its change manager, or, while it
  has none, every change manager (who holds `changes.manage_change`), to assess it. The CAB hears of a
  change when its approval is asked: the kernel approvals' own e-mails.
- approved, rejected and scheduled: the requester and the change manager.
- implementing, implemented, failed and backed out: the requester, the change manager and the
  implementer group (its address, or its agents).

Webhooks get every event of the kind as `change.<event>` (`workflow.EVENTS`; the kernel offers them to
subscriptions from `RecordKind.events`), the change as `records._represent` shows it.
"""

from django.utils.translation import gettext_lazy as _

from servicedesk.notifications import audiences
from servicedesk.notifications.registry import (
    AGENT,
    REQUESTER,
    NotificationEventType,
    NotificationRule,
    register_notification_event,
)
from servicedesk.records.events import record_publish
from servicedesk.selectors import agent_list, support_group_agents

from . import workflow as wf

CHANGE_SUBMITTED = "change_submitted"
CHANGE_DECIDED = "change_decided"
CHANGE_SCHEDULED = "change_scheduled"
CHANGE_IMPLEMENTATION = "change_implementation"

# The record events of each notification (the transition table's events).
DECISION_EVENTS = ("approved", "rejected")
IMPLEMENTATION_EVENTS = ("implementing", "implemented", "failed", "backed_out")


def change_managers(record, actor=None, entry=None, data=None) -> list:
    """The change's manager; while it has none, everyone who manages changes."""
    if record.assignee_id is not None:
        return [record.assignee]
    return list(agent_list(perm=wf.MANAGE_PERMISSION))


def requester_and_manager(record, actor=None, entry=None, data=None) -> list:
    manager = [record.assignee] if record.assignee_id is not None else []
    return [*audiences.requester(record), *manager]


def requester_manager_and_implementers(record, actor=None, entry=None, data=None) -> list:
    """The requester, the change manager and the implementer group (its address, or its agents)."""
    group = []
    if record.support_group_id is not None:
        email = record.support_group.email
        group = [email] if email else list(support_group_agents(group=record.support_group))
    return [*requester_and_manager(record), *group]


def _is_emergency(record, actor, entry, data) -> bool:
    return record.change_type == wf.EMERGENCY


def _schedule_context(record, data) -> dict:
    return {"planned_start": record.planned_start, "planned_end": record.planned_end}


CHANGE_EVENTS = (
    NotificationEventType(
        code=CHANGE_SUBMITTED,
        label=_("A change was submitted, to be assessed"),
        audience=(AGENT,),
        app="changes",
        order=500,
        recipients=change_managers,
    ),
    NotificationEventType(
        code=CHANGE_DECIDED,
        label=_("A change I requested or manage was approved or rejected"),
        audience=(REQUESTER, AGENT),
        app="changes",
        order=510,
        recipients=requester_and_manager,
        variables={"reason": _("the reason given")},
    ),
    NotificationEventType(
        code=CHANGE_SCHEDULED,
        label=_("A change I requested or manage was scheduled"),
        audience=(REQUESTER, AGENT),
        app="changes",
        order=520,
        recipients=requester_and_manager,
        context=_schedule_context,
        variables={"planned_start, planned_end": _("when it is planned")},
    ),
    NotificationEventType(
        code=CHANGE_IMPLEMENTATION,
        label=_(
            "A change I requested, manage or implement started, was implemented, failed or was backed out"
        ),
        audience=(REQUESTER, AGENT),
        app="changes",
        order=530,
        recipients=requester_manager_and_implementers,
        context=_schedule_context,
        variables={"reason": _("why it failed or was backed out")},
    ),
)

NOTIFICATION_RULES = (
    NotificationRule(on="created", send=CHANGE_SUBMITTED, when=_is_emergency),
    NotificationRule(on="submitted", send=CHANGE_SUBMITTED),
    *(NotificationRule(on=event, send=CHANGE_DECIDED) for event in DECISION_EVENTS),
    NotificationRule(on="scheduled", send=CHANGE_SCHEDULED),
    *(NotificationRule(on=event, send=CHANGE_IMPLEMENTATION) for event in IMPLEMENTATION_EVENTS),
)


def register_change_notifications() -> None:
    for event_type in CHANGE_EVENTS:
        register_notification_event(event_type)


def change_publish_event(*, record, event: str, actor, entry=None, data=None) -> None:
    """The kind's `publish`: the kernel's webhooks and the rules above."""
    record_publish(record=record, event=event, actor=actor, entry=entry, data=data)
