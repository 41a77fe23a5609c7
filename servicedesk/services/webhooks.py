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

import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.kinds import parse_number, record_kinds
from servicedesk.models import (
    OutboxMessage,
    User,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

from .audit import apply_changes, audit_record
from .outbox import outbox_enqueue, register_transport

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-ITSM-Signature"
USER_AGENT = "ITSM-Webhooks/1"
SECRET_PREFIX = "whsec_"
EXCERPT_CHARS = 1000
SUBSCRIPTION_INACTIVE = "Subscription inactive: not sent."
UPDATABLE_FIELDS = ("name", "url", "events", "is_active")


class WebhookDeliveryFailed(Exception):
    """The receiver did not answer 2xx (or could not be reached): the outbox tries again later."""


# Events and bodies


def webhook_events() -> list[str]:
    """Every event a subscription may ask for (`incident.resolved`...), from the registered record kinds."""
    return sorted({f"{kind.code}.{suffix}" for kind in record_kinds() for suffix in kind.events})


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
    # A handful of rows: filtering the JSON list in Python works the same on SQLite and PostgreSQL.
    subscriptions = [
        subscription
        for subscription in WebhookSubscription.objects.filter(is_active=True).defer("secret")
        if event in subscription.events
    ]
    if not subscriptions:
        return []
    event_id = uuid.uuid4()
    body = _body(event_id=event_id, event=event, record=record, actor=actor, data=data)
    deliveries = []
    for subscription in subscriptions:
        message = outbox_enqueue(
            channel=OutboxMessage.Channel.WEBHOOK,
            event=event,
            recipient=subscription.url,
            payload={"body": body, "subscription": subscription.pk},
            record=record,
            event_id=event_id,
        )
        if message is None:
            return []
        deliveries.append(
            WebhookDelivery.objects.create(
                subscription=subscription, message=message, event=event, event_id=event_id
            )
        )
    return deliveries


# Signatures


def webhook_signature(secret: str, timestamp: int, body: str | bytes) -> str:
    """The hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`."""
    if isinstance(body, str):
        body = body.encode()
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def webhook_signature_header(secret: str, body: str | bytes, timestamp: int | None = None) -> str:
    """The value of `X-ITSM-Signature`: `t=<unix time>,v1=<signature>`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={webhook_signature(secret, timestamp, body)}"


def webhook_verify(
    secret: str, header: str | None, body: str | bytes, tolerance: int = 300, now: float | None = None
) -> bool:
    """Whether `header` (`X-ITSM-Signature`) signs `body` (the exact bytes received) under `secret`,
    within `tolerance` seconds of `now`. The way a receiver checks a delivery; never raises."""
    timestamp, signatures = None, []
    for part in (header or "").split(","):
        key, sep, value = part.strip().partition("=")
        if key == "t" and sep:
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif key == "v1" and sep:
            signatures.append(value)
    if timestamp is None or not signatures or not secret:
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = webhook_signature(secret, timestamp, body).encode()
    return any(hmac.compare_digest(expected, signature.encode()) for signature in signatures)


# The transport


def _is_http(url) -> bool:
    try:
        return urlsplit(str(url)).scheme.lower() in ("http", "https")
    except ValueError:  # "http://[" and the like
        return False


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        # None makes urllib raise HTTPError for the 3xx itself: a failed attempt, not a new target.
        return None


def _excerpt(response) -> str:
    try:
        raw = response.read(EXCERPT_CHARS * 4)
    except Exception:  # noqa: BLE001 - the status counts; an unreadable body is no failure
        return ""
    return raw.decode("utf-8", "replace").replace("\x00", "")[:EXCERPT_CHARS]


def _attempt(delivery, *, attempted_at, duration_ms=0, status_code=None, error="", excerpt=""):
    return WebhookAttempt.objects.create(
        delivery=delivery,
        attempted_at=attempted_at,
        duration_ms=duration_ms,
        status_code=status_code,
        error=error.replace("\x00", "")[:2000],
        response_excerpt=excerpt,
    )


def send_webhook(message: OutboxMessage) -> None:
    """POST one delivery to its subscription's current URL; record the attempt; raise unless 2xx.

    A delivery whose subscription was deactivated is not sent: the attempt says so and the message counts
    as handled. Runs inside `outbox_deliver`'s transaction, which commits the attempt even when this raises.
    """
    delivery = WebhookDelivery.objects.select_related("subscription").filter(message=message).first()
    if delivery is None:
        logger.warning("webhooks: message %s has no delivery (subscription deleted); dropped", message.pk)
        return
    subscription = delivery.subscription
    attempted_at = timezone.now()
    if not subscription.is_active:
        logger.info("webhooks: delivery %s not sent, subscription %s inactive", delivery.pk, subscription.pk)
        _attempt(delivery, attempted_at=attempted_at, error=SUBSCRIPTION_INACTIVE)
        return
    refusal = ""
    if not subscription.secret:
        refusal = "The signing secret cannot be decrypted: rotate it."
    elif not _is_http(subscription.url):
        refusal = "Only http:// and https:// URLs receive webhooks."
    if refusal:
        _attempt(delivery, attempted_at=attempted_at, error=refusal)
        raise WebhookDeliveryFailed(refusal)
    body = message.payload["body"].encode()
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked just above
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-ITSM-Event": delivery.event,
            "X-ITSM-Event-Id": str(delivery.event_id),
            "X-ITSM-Delivery": str(delivery.pk),
            SIGNATURE_HEADER: webhook_signature_header(subscription.secret, body),
        },
    )
    status_code, error, excerpt = None, "", ""
    started = time.monotonic()
    try:
        opener = urllib.request.build_opener(_RefuseRedirects)
        with opener.open(request, timeout=settings.ITSM_WEBHOOK_TIMEOUT_SECONDS) as response:
            status_code = response.status
            excerpt = _excerpt(response)
    except urllib.error.HTTPError as exc:
        status_code, excerpt = exc.code, _excerpt(exc)
        error = f"HTTP {exc.code} {exc.reason}"
        if 300 <= exc.code < 400:
            error += " (redirects are not followed)"
    except Exception as exc:  # noqa: BLE001 - refused, unreachable, timed out, malformed: all retried
        error = f"{type(exc).__name__}: {exc}"
    duration_ms = int((time.monotonic() - started) * 1000)
    _attempt(
        delivery,
        attempted_at=attempted_at,
        duration_ms=duration_ms,
        status_code=status_code,
        error=error,
        excerpt=excerpt,
    )
    if error:
        raise WebhookDeliveryFailed(error)


register_transport(OutboxMessage.Channel.WEBHOOK, send_webhook)


# Subscriptions


def _authorise(actor, permission: str) -> None:
    """The system (actor None) may do anything; a person needs the model permission."""
    if actor is not None and not actor.has_perm(permission):
        raise PermissionDenied()


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _check(subscription: WebhookSubscription) -> None:
    """Validate the fields, naming each wrong one; an `ftp://` URL or an unknown event is a field error."""
    errors: dict = {}
    try:
        subscription.full_clean(exclude=["secret", "created_by"])
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if subscription.url and not _is_http(subscription.url):
        errors["url"] = [_("Only http:// and https:// URLs can receive webhooks.")]
    events = subscription.events
    if not isinstance(events, list) or not all(isinstance(event, str) for event in events):
        errors["events"] = [_("Give a list of event names.")]
    elif not events:
        errors["events"] = [_("Choose at least one event.")]
    else:
        unknown = sorted(set(events) - set(webhook_events()))
        if unknown:
            errors["events"] = [_("Unknown events: %(events)s.") % {"events": ", ".join(unknown)}]
    if errors:
        raise ValidationError(errors)


def _events(events) -> list:
    # Keep the order given, once each; anything but a list of strings is left for `_check` to refuse.
    if isinstance(events, list | tuple) and all(isinstance(event, str) for event in events):
        return list(dict.fromkeys(events))
    return events


@transaction.atomic
def webhook_subscription_create(
    *, actor: User | None, name: str, url: str, events, is_active: bool = True
) -> tuple[WebhookSubscription, str]:
    """Subscribe `url` to `events`; returns the subscription and its signing secret, which is shown
    to the caller now and never again. Raises PermissionDenied or ValidationError (per field)."""
    _authorise(actor, "servicedesk.add_webhooksubscription")
    secret = _new_secret()
    subscription = WebhookSubscription(
        name=name,
        url=url,
        events=_events(events),
        is_active=is_active,
        secret=secret,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    _check(subscription)
    subscription.save()
    audit_record(
        actor=actor,
        action="webhook_subscription.created",
        target=subscription,
        data={"name": name, "url": url, "events": subscription.events, "is_active": is_active},
    )
    return subscription, secret


@transaction.atomic
def webhook_subscription_update(
    *, actor: User | None, subscription: WebhookSubscription, **fields
) -> WebhookSubscription:
    """Change the name, URL, events or active flag (not the secret: `webhook_secret_rotate`).

    Pending deliveries go to the new URL on their next attempt. Raises PermissionDenied or ValidationError.
    """
    _authorise(actor, "servicedesk.change_webhooksubscription")
    unknown = set(fields) - set(UPDATABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not updatable: {', '.join(sorted(unknown))}")
    if "events" in fields:
        fields["events"] = _events(fields["events"])
    diff = apply_changes(subscription, fields)
    if diff:
        _check(subscription)
        subscription.save(update_fields=[*diff, "updated_at"])
        audit_record(
            actor=actor, action="webhook_subscription.updated", target=subscription, data={"changes": diff}
        )
    return subscription


@transaction.atomic
def webhook_secret_rotate(*, actor: User | None, subscription: WebhookSubscription) -> str:
    """Give the subscription a new signing secret and return it (shown once). Every attempt from now
    on, including retries of earlier deliveries, is signed with it. Raises PermissionDenied."""
    _authorise(actor, "servicedesk.change_webhooksubscription")
    secret = _new_secret()
    subscription.secret = secret
    subscription.save(update_fields=["secret", "updated_at"])
    audit_record(actor=actor, action="webhook_subscription.secret_rotated", target=subscription)
    return secret


@transaction.atomic
def webhook_subscription_delete(*, actor: User | None, subscription: WebhookSubscription) -> None:
    """Delete the subscription and its delivery log; its pending outbox messages become dead (kept in the
    outbox for the record, never sent). Raises PermissionDenied."""
    _authorise(actor, "servicedesk.delete_webhooksubscription")
    OutboxMessage.objects.filter(
        webhook_delivery__subscription=subscription, state=OutboxMessage.State.PENDING
    ).update(state=OutboxMessage.State.DEAD, last_error="Subscription deleted.")
    audit_record(
        actor=actor,
        action="webhook_subscription.deleted",
        target=subscription,
        data={"name": subscription.name, "url": subscription.url},
    )
    subscription.delete()


# The delivery log


def webhook_delivery_log(*, subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    """The subscription's deliveries, newest first, with their outbox message and attempts (no query per
    row)."""
    return (
        WebhookDelivery.objects.filter(subscription=subscription)
        .select_related("message")
        .prefetch_related("attempts")
        .order_by("-id")
    )


@transaction.atomic
def webhook_redeliver(*, actor: User | None, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivered or dead delivery again, as a new delivery with the same event id and body
    (`redelivery_of` names the first), signed afresh and to the subscription's current URL.

    Raises PermissionDenied, or Conflict while the delivery is still pending or its subscription inactive.
    """
    _authorise(actor, "servicedesk.change_webhooksubscription")
    original = WebhookDelivery.objects.select_related("message", "subscription").get(pk=delivery.pk)
    if original.message.state == OutboxMessage.State.PENDING:
        raise Conflict(_("This delivery is still being attempted."), code="webhook_delivery_pending")
    subscription = original.subscription
    if not subscription.is_active:
        raise Conflict(
            _("The subscription is inactive: activate it first."), code="webhook_subscription_inactive"
        )
    message = outbox_enqueue(
        channel=OutboxMessage.Channel.WEBHOOK,
        event=original.event,
        recipient=subscription.url,
        payload={"body": original.message.payload["body"], "subscription": subscription.pk},
        event_id=original.event_id,
    )
    if message is None:
        return original
    # The same record as the first delivery, without loading it (it may be gone).
    message.content_type_id = original.message.content_type_id
    message.object_id = original.message.object_id
    message.save(update_fields=["content_type", "object_id"])
    redelivery = WebhookDelivery.objects.create(
        subscription=subscription,
        message=message,
        event=original.event,
        event_id=original.event_id,
        redelivery_of=original,
    )
    audit_record(
        actor=actor,
        action="webhook_delivery.redelivered",
        target=redelivery,
        data={"event": original.event, "event_id": str(original.event_id), "redelivery_of": original.pk},
    )
    return redelivery
