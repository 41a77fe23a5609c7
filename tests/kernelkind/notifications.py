"""Which of a chore's events e-mail whom (`RecordKind.notifications`): the kernel's events and audiences."""

from servicedesk.notifications import standard as events
from servicedesk.notifications.registry import NotificationRule


def _public(record, actor, entry, data) -> bool:
    return entry is not None and entry.is_public


NOTIFICATION_RULES = (
    NotificationRule(on="created", send=events.CREATED),
    NotificationRule(on="commented", send=events.COMMENTED, when=_public),
    NotificationRule(on="finished", send=events.RESOLVED),
    NotificationRule(on="dropped", send=events.CLOSED),
    NotificationRule(on="sla_warning", send=events.SLA_WARNING),
    NotificationRule(on="sla_breached", send=events.SLA_BREACHED),
)
