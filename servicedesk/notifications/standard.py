"""The notification events the foundation owns: generic enough for every kind of record.

Registered by `ServicedeskConfig.ready()`; their templates are `templates/servicedesk/notifications/`.
A kind sends them through its own rules (`RecordKind.notifications`).
"""

from django.utils.translation import gettext_lazy as _

from . import audiences
from .registry import AGENT, REQUESTER, NotificationEventType, register_notification_event

CREATED = "created"
ASSIGNED = "assigned"
COMMENTED = "commented"
WAITING = "waiting"
RESOLVED = "resolved"
REOPENED = "reopened"
CLOSED = "closed"
SLA_WARNING = "sla_warning"
SLA_BREACHED = "sla_breached"
ESCALATED = "escalated"
MENTIONED = "mentioned"

_SLA_VARIABLES = {"target, due_at": _("the target at risk and when it is due")}

STANDARD_EVENTS = (
    NotificationEventType(
        code=CREATED,
        headline=_("Your record was received"),
        label=_("A record I filed was received"),
        audience=(REQUESTER,),
        order=10,
        recipients=audiences.requester,
    ),
    NotificationEventType(
        code=ASSIGNED,
        headline=_("Assigned to you or your group"),
        label=_("A record was assigned to me or my group"),
        audience=(AGENT,),
        order=20,
        recipients=audiences.workers,
    ),
    NotificationEventType(
        code=COMMENTED,
        headline=_("New reply"),
        label=_("A new reply on a record I follow"),
        audience=(REQUESTER, AGENT),
        order=30,
        recipients=audiences.conversation,
    ),
    NotificationEventType(
        # Who was named with @username in a comment or work note: the kernel finds them (`mentions`).
        code=MENTIONED,
        headline=_("Mentioned you"),
        label=_("Someone mentioned me with @ in a comment or work note"),
        audience=(REQUESTER, AGENT),
        order=35,
    ),
    NotificationEventType(
        code=WAITING,
        headline=_("Waiting for your answer"),
        label=_("A record is waiting for my answer"),
        audience=(REQUESTER,),
        order=40,
        recipients=audiences.requester,
    ),
    NotificationEventType(
        code=RESOLVED,
        headline=_("Resolved"),
        label=_("A record I filed was resolved"),
        audience=(REQUESTER,),
        order=50,
        recipients=audiences.requester,
        variables={"auto_close_days": _("days after which a resolved record closes by itself")},
    ),
    NotificationEventType(
        code=REOPENED,
        headline=_("Reopened"),
        label=_("A record I work on was reopened"),
        audience=(AGENT,),
        order=60,
        recipients=audiences.workers,
    ),
    NotificationEventType(
        code=CLOSED,
        headline=_("Closed"),
        label=_("A record I filed was closed"),
        audience=(REQUESTER,),
        order=70,
        recipients=audiences.requester,
    ),
    NotificationEventType(
        code=SLA_WARNING,
        headline=_("Close to its SLA target"),
        label=_("A record is close to its SLA target"),
        audience=(AGENT,),
        order=80,
        recipients=audiences.workers,
        variables=_SLA_VARIABLES,
    ),
    NotificationEventType(
        code=SLA_BREACHED,
        headline=_("SLA target breached"),
        label=_("A record breached its SLA target"),
        audience=(AGENT,),
        order=90,
        recipients=audiences.workers_and_group_manager,
        variables=_SLA_VARIABLES,
    ),
    NotificationEventType(
        # Whom an escalation rule names (assignee, group manager, service owner): the caller says.
        code=ESCALATED,
        headline=_("Escalated to you"),
        label=_("A record was escalated to me"),
        audience=(AGENT,),
        order=100,
        variables=_SLA_VARIABLES,
    ),
)


def register_standard_events() -> None:
    for event_type in STANDARD_EVENTS:
        register_notification_event(event_type)
