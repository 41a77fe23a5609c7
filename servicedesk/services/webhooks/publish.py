"""Publishing an event: one stored body, one outbox message and delivery per subscription."""

import json
import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from servicedesk.configmemo import config_memo
from servicedesk.kinds import parse_number, record_kinds
from servicedesk.models import (
    OutboxMessage,
    User,
    WebhookDelivery,
    WebhookSubscription,
)
from servicedesk.records.links import link_events

from ..outbox import outbox_enqueue_many, outbox_message

# Events and bodies


def webhook_events() -> list[str]:
    """Every event a subscription may ask for (`incident.resolved`...), from the registered record kinds
    and the link types joining them (`chore.linked`)."""
    events = {f"{kind.code}.{suffix}" for kind in record_kinds() for suffix in kind.events}
    return sorted(events.union(link_events()))


def _represent(record) -> dict | None:
    parsed = parse_number(getattr(record, "number", ""))
    if parsed is None or parsed[0].represent is None:
        return None
    return parsed[0].represent(record)


def _body(*, event_id: uuid.UUID, event: str, record, actor, data) -> str:
    actor_data = None
    if actor is not None and actor.is_authenticated:
        actor_data = {"id": actor.pk, "username": actor.get_username()}
    body = {
        "id": str(event_id),
        "event": event,
        "occurred_at": timezone.now().isoformat(),
        "actor": actor_data,
        "data": data or {},
        "record": _represent(record),
    }
    return json.dumps(body, cls=DjangoJSONEncoder, separators=(",", ":"))


def webhooks_publish(
    *, event: str, record, actor: User | None = None, data: dict | None = None
) -> list[WebhookDelivery]:
    """Write one delivery per active subscription to `event` (e.g. `incident.resolved`), in the
    current transaction, with the record as the API shows it (`RecordKind.represent`).

    All deliveries of the event share one event id and one body. Must run inside the transaction of the
    change (as `outbox_enqueue` requires); writes nothing inside `outbox_silenced()`.
    """
    return webhooks_publish_many(events=[(event, record, actor, data)])


def _active_subscriptions() -> list[WebhookSubscription]:
    """The active subscriptions without their secrets (signing reads the secret when it sends)."""
    return list(WebhookSubscription.objects.filter(is_active=True).defer("secret").order_by("pk"))


def webhook_listened(events: set[str]) -> set[str]:
    """Those of `events` that an active subscription asks for: whether a body is worth building."""
    wanted = set()
    for subscription in config_memo("webhooks.subscriptions", _active_subscriptions):
        wanted.update(events.intersection(subscription.events or ()))
    return wanted


def webhooks_publish_many(
    *, events: list[tuple[str, object, User | None, dict | None]]
) -> list[WebhookDelivery]:
    """`webhooks_publish` for many (event, record, actor, data) at once, in a constant number of
    statements: the subscriptions read once, every outbox message in one insert, every delivery in one.
    Each event keeps its own event id and body, as if published alone."""
    events = list(events)
    if not events:
        return []
    subscriptions = config_memo("webhooks.subscriptions", _active_subscriptions)
    messages, pending = [], []
    for event, record, actor, data in events:
        # A handful of rows: filtering the JSON list in Python works the same on SQLite and PostgreSQL.
        listening = [subscription for subscription in subscriptions if event in subscription.events]
        if not listening:
            continue
        event_id = uuid.uuid4()
        body = _body(event_id=event_id, event=event, record=record, actor=actor, data=data)
        for subscription in listening:
            messages.append(
                outbox_message(
                    OutboxMessage.Channel.WEBHOOK,
                    event,
                    subscription.url,
                    {"body": body, "subscription": subscription.pk},
                    record=record,
                    event_id=event_id,
                )
            )
            pending.append((subscription, event, event_id))
    saved = outbox_enqueue_many(messages=messages)
    if not saved:
        return []
    return WebhookDelivery.objects.bulk_create(
        WebhookDelivery(subscription=subscription, message=message, event=event, event_id=event_id)
        for (subscription, event, event_id), message in zip(pending, saved, strict=True)
    )


# Signatures
