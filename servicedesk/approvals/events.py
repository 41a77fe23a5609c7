"""The notification events of approvals: anyone may be asked to approve, or ask, so every audience may
subscribe. Their templates are `templates/servicedesk/notifications/approval_*`."""

from django.utils.translation import gettext_lazy as _

from servicedesk.notifications.registry import (
    AGENT,
    REQUESTER,
    NotificationEventType,
    register_notification_event,
)

APPROVAL_REQUESTED = "approval_requested"
APPROVAL_REMINDER = "approval_reminder"
APPROVAL_DECIDED = "approval_decided"
APPROVAL_DELEGATED = "approval_delegated"

_VARIABLES = {
    "data.approval_url, data.approval_title, data.outcome": _(
        "the approver's own link to the decision page, the approval, how it was decided"
    ),
}

APPROVAL_EVENTS = (
    NotificationEventType(
        code=APPROVAL_REQUESTED,
        label=_("My approval is asked for"),
        audience=(REQUESTER, AGENT),
        order=200,
        variables=_VARIABLES,
    ),
    NotificationEventType(
        code=APPROVAL_REMINDER,
        label=_("An approval I was asked for is still waiting"),
        audience=(REQUESTER, AGENT),
        order=210,
        variables=_VARIABLES,
    ),
    NotificationEventType(
        code=APPROVAL_DECIDED,
        label=_("An approval I asked for was decided"),
        audience=(REQUESTER, AGENT),
        order=220,
        variables=_VARIABLES,
    ),
    NotificationEventType(
        code=APPROVAL_DELEGATED,
        label=_("An approver delegated their decision to me"),
        audience=(REQUESTER, AGENT),
        order=230,
        variables={**_VARIABLES, "data.delegator": _("the approver who delegated their decision")},
    ),
)


def register_approval_events() -> None:
    for event_type in APPROVAL_EVENTS:
        register_notification_event(event_type)
