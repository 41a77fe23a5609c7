from .approvals import ApprovalDecision, ApprovalDelegation, ApprovalRequest
from .audit import AuditEvent
from .calendars import BusinessCalendar, CalendarException, Weekday, WorkingInterval
from .desk import InAppNotification, Macro, RecordVisit, Watcher
from .links import RecordLink
from .mail import InboundEmail, Mailbox
from .notifications import NotificationOptOut, NotificationTemplate
from .outbox import OutboxMessage
from .people import AGENT_PERMISSION, Organisation, SupportGroup, User
from .records import (
    Attachment,
    IdempotencyKey,
    Impact,
    NumberSequence,
    Priority,
    PriorityRule,
    SavedView,
    Ticket,
    TimelineEntry,
    Urgency,
)
from .reporting import FactMark, FactRollup, RecordFact
from .sla import (
    ESCALATION_ACTIONS,
    METRICS,
    EscalationRule,
    Metric,
    SLAClock,
    SLAFiring,
    SLAPolicy,
    SLASegment,
    SLATarget,
)
from .tokens import ApiToken
from .webhooks import WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "AGENT_PERMISSION",
    "ESCALATION_ACTIONS",
    "METRICS",
    "ApiToken",
    "ApprovalDecision",
    "ApprovalDelegation",
    "ApprovalRequest",
    "Attachment",
    "AuditEvent",
    "BusinessCalendar",
    "CalendarException",
    "EscalationRule",
    "FactMark",
    "FactRollup",
    "IdempotencyKey",
    "Impact",
    "InAppNotification",
    "InboundEmail",
    "Macro",
    "Mailbox",
    "Metric",
    "NotificationOptOut",
    "NotificationTemplate",
    "NumberSequence",
    "Organisation",
    "OutboxMessage",
    "Priority",
    "PriorityRule",
    "RecordFact",
    "RecordLink",
    "RecordVisit",
    "SLAClock",
    "SLAFiring",
    "SLAPolicy",
    "SLASegment",
    "SLATarget",
    "SavedView",
    "SupportGroup",
    "Ticket",
    "TimelineEntry",
    "Urgency",
    "User",
    "Watcher",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "Weekday",
    "WorkingInterval",
]
