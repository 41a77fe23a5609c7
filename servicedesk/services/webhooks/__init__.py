"""Webhooks: each event a subscription wants becomes a signed delivery through the outbox.

`webhooks_publish` runs inside the transaction of the change it reports and writes, for each active
subscription to the event, one outbox message and one `WebhookDelivery`. The body is serialised once, so
every subscription, every retry and every redelivery of one event carries the same bytes and event id.

`send_webhook`, the outbox's webhook transport, POSTs the body with a fresh signature on each attempt,
follows no redirect, gives up after `ITSM_WEBHOOK_TIMEOUT_SECONDS` and records every attempt; it raises
on anything but a 2xx, so the outbox retries with back-off and finally marks the message dead.

Receivers check `X-ITSM-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` as
`webhook_verify` does, and drop duplicates by `X-ITSM-Event-Id` (the body's `id`).
"""

from .publish import webhook_events, webhook_listened, webhooks_publish, webhooks_publish_many
from .signing import webhook_signature, webhook_signature_header, webhook_verify
from .subscriptions import (
    webhook_delivery_log,
    webhook_redeliver,
    webhook_secret_rotate,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
)
from .transport import SIGNATURE_HEADER, SUBSCRIPTION_INACTIVE, WebhookDeliveryFailed, send_webhook

__all__ = [
    "SIGNATURE_HEADER",
    "SUBSCRIPTION_INACTIVE",
    "WebhookDeliveryFailed",
    "send_webhook",
    "webhook_delivery_log",
    "webhook_events",
    "webhook_listened",
    "webhook_redeliver",
    "webhook_secret_rotate",
    "webhook_signature",
    "webhook_signature_header",
    "webhook_subscription_create",
    "webhook_subscription_delete",
    "webhook_subscription_update",
    "webhook_verify",
    "webhooks_publish",
    "webhooks_publish_many",
]
