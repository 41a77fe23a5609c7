"""Managing subscriptions and their delivery log: create, update, rotate, delete, redeliver."""

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from servicedesk.concurrency import lock, save_changed
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.models import (
    OutboxMessage,
    User,
    WebhookDelivery,
    WebhookSubscription,
)

from ..audit import apply_changes, audit_record
from ..outbox import outbox_enqueue
from .publish import webhook_events
from .transport import is_http_url

SECRET_PREFIX = "whsec_"
UPDATABLE_FIELDS = ("name", "url", "events", "is_active")


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
    if subscription.url and not is_http_url(subscription.url):
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
    *, actor: User | None, subscription: WebhookSubscription, expected_version: int | None = None, **fields
) -> WebhookSubscription:
    """Change the name, URL, events or active flag (not the secret: `webhook_secret_rotate`) on the
    locked row, which it returns.

    Pending deliveries go to the new URL on their next attempt. Raises PermissionDenied, ValidationError,
    or StaleWrite for an out-of-date `expected_version` (its revision).
    """
    _authorise(actor, "servicedesk.change_webhooksubscription")
    unknown = set(fields) - set(UPDATABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not updatable: {', '.join(sorted(unknown))}")
    if "events" in fields:
        fields["events"] = _events(fields["events"])
    subscription = lock(subscription, expected=expected_version)
    diff = apply_changes(subscription, fields)
    if diff:
        _check(subscription)
        save_changed(subscription, diff)
        audit_record(
            actor=actor, action="webhook_subscription.updated", target=subscription, data={"changes": diff}
        )
    return subscription


@transaction.atomic
def webhook_secret_rotate(
    *, actor: User | None, subscription: WebhookSubscription, expected_version: int | None = None
) -> str:
    """Give the subscription a new signing secret and return it (shown once). Every attempt from now
    on, including retries of earlier deliveries, is signed with it. Raises PermissionDenied, or
    StaleWrite for an out-of-date `expected_version` (its revision)."""
    _authorise(actor, "servicedesk.change_webhooksubscription")
    subscription = lock(subscription, expected=expected_version)
    secret = _new_secret()
    subscription.secret = secret
    save_changed(subscription, ["secret"])
    audit_record(actor=actor, action="webhook_subscription.secret_rotated", target=subscription)
    return secret


@transaction.atomic
def webhook_subscription_delete(
    *, actor: User | None, subscription: WebhookSubscription, expected_version: int | None = None
) -> None:
    """Delete the subscription and its delivery log; its pending outbox messages become dead (kept in the
    outbox for the record, never sent). Raises PermissionDenied, or StaleWrite for an out-of-date
    `expected_version` (its revision)."""
    _authorise(actor, "servicedesk.delete_webhooksubscription")
    subscription = lock(subscription, expected=expected_version)
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
