from .audit import AuditEvent
from .calendars import BusinessCalendar, CalendarException, Weekday, WorkingInterval
from .mail import InboundEmail, Mailbox
from .notifications import NotificationEvent, NotificationOptOut, NotificationTemplate
from .outbox import OutboxMessage
from .people import Organisation, SupportGroup, User
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
from .tokens import ApiToken
from .webhooks import WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "BusinessCalendar",
    "CalendarException",
    "IdempotencyKey",
    "Impact",
    "InboundEmail",
    "Mailbox",
    "NotificationEvent",
    "NotificationOptOut",
    "NotificationTemplate",
    "NumberSequence",
    "Organisation",
    "OutboxMessage",
    "Priority",
    "PriorityRule",
    "SavedView",
    "SupportGroup",
    "Ticket",
    "TimelineEntry",
    "Urgency",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "Weekday",
    "WorkingInterval",
]
