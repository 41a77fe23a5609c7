"""Webhooks: each event a subscription wants becomes a signed delivery through the outbox.

Filled in by issue 5 part 3.
"""

from servicedesk.models import User, WebhookDelivery


def webhooks_publish(
    *, event: str, record, actor: User | None = None, data: dict | None = None
) -> list[WebhookDelivery]:
    """Write one delivery per active subscription to `event` (e.g. `incident.resolved`), in the
    current transaction, with the record as the API shows it (`RecordKind.represent`)."""
    return []
