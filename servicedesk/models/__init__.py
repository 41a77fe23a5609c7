from .audit import AuditEvent
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

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "IdempotencyKey",
    "Impact",
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
]
