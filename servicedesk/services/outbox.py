"""The outbox: deliveries written with the change that caused them, delivered after it commits.

`outbox_enqueue` writes a row inside the caller's transaction and asks a worker to deliver it once the
transaction commits. If the broker is down, nothing is lost: `outbox_sweep` (beat) delivers every due row.
`outbox_deliver` locks the row (SKIP LOCKED) and checks that it is still pending before calling the
transport, so two workers never deliver one message twice. A transport that fails is retried with
exponential back-off until `ITSM_OUTBOX_MAX_ATTEMPTS`, then the message is dead with its last error.
"""

import base64
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import models, transaction
from django.utils import timezone

from servicedesk.models import OutboxMessage

logger = logging.getLogger(__name__)

_TRANSPORTS: dict[str, Callable[[OutboxMessage], None]] = {}
_SILENCED: ContextVar[bool] = ContextVar("outbox_silenced", default=False)


@contextmanager
def outbox_silenced() -> Iterator[None]:
    """Write no deliveries inside this block: for history that is not news (the demo's backdated
    records), never for real changes."""
    token = _SILENCED.set(True)
    try:
        yield
    finally:
        _SILENCED.reset(token)


def register_transport(channel: str, send: Callable[[OutboxMessage], None]) -> None:
    """`send(message)` delivers one message or raises; one per channel (e-mail here, webhooks later)."""
    _TRANSPORTS[channel] = send


def outbox_enqueue(
    *,
    channel: str,
    event: str,
    recipient: str,
    payload: dict,
    record: models.Model | None = None,
    event_id=None,
) -> OutboxMessage | None:
    """Write a delivery in the current transaction; it is sent after the commit, or by the sweep.

    Must run inside `transaction.atomic`: a delivery exists exactly when the change that caused it does.
    Returns None, writing nothing, inside `outbox_silenced()`.
    """
    messages = outbox_enqueue_many(
        messages=[outbox_message(channel, event, recipient, payload, record=record, event_id=event_id)]
    )
    return messages[0] if messages else None


def outbox_message(
    channel: str, event: str, recipient: str, payload: dict, *, record=None, event_id=None
) -> OutboxMessage:
    """An unsaved delivery for `outbox_enqueue_many`."""
    return OutboxMessage(
        channel=channel,
        event=event,
        recipient=recipient,
        payload=payload,
        content_type=ContentType.objects.get_for_model(record) if record is not None else None,
        object_id=record.pk if record is not None else None,
        **({"event_id": event_id} if event_id is not None else {}),
    )


def outbox_enqueue_many(*, messages: list[OutboxMessage]) -> list[OutboxMessage]:
    """Write unsaved deliveries (channel, event, recipient, payload and record set) in one statement, in the
    current transaction; each is sent after the commit, or by the sweep. The bulk form of
    `outbox_enqueue`, for work done to many records at once (the SLA sweep): the same rules apply (inside
    `transaction.atomic`; nothing inside `outbox_silenced()`, where it returns [])."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_enqueue_many must run inside the transaction of the change it reports")
    if _SILENCED.get() or not messages:
        return []
    next_attempt_at = timezone.now() + timedelta(seconds=settings.ITSM_OUTBOX_SWEEP_GRACE_SECONDS)
    for message in messages:
        message.next_attempt_at = next_attempt_at
    saved = OutboxMessage.objects.bulk_create(messages)
    ids = [message.pk for message in saved]
    transaction.on_commit(lambda: _send_tasks(ids))
    return saved


# Messages written together (a sweep's batch: hundreds of e-mails) go to the workers in tasks of this many,
# not one task each: queuing a task costs a broker round trip, which was most of a large sweep's time.
TASK_CHUNK = 50


def _send_tasks(message_ids: list[int]) -> None:
    if len(message_ids) == 1:
        _send_task(message_ids[0])
        return
    from servicedesk.tasks import outbox_deliver_many_task

    for start in range(0, len(message_ids), TASK_CHUNK):
        chunk = message_ids[start : start + TASK_CHUNK]
        try:
            outbox_deliver_many_task.delay(chunk)
        except Exception:  # a broker outage must not fail the change that already committed
            logger.warning(
                "outbox: could not queue messages %s; the sweep will deliver them", chunk, exc_info=True
            )


def _send_task(message_id: int) -> None:
    from servicedesk.tasks import outbox_deliver_task

    try:
        outbox_deliver_task.delay(message_id)
    except Exception:  # a broker outage must not fail the request that already committed
        logger.warning(
            "outbox: could not queue message %s; the sweep will deliver it", message_id, exc_info=True
        )


def backoff(attempts: int) -> timedelta:
    """The wait before the next try after `attempts` failures: base * 2^(attempts-1), capped."""
    seconds = settings.ITSM_OUTBOX_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.ITSM_OUTBOX_BACKOFF_MAX_SECONDS))


def outbox_deliver(*, message_id: int, now=None) -> str | None:
    """Deliver one pending message; returns its state afterwards, or None when another worker holds it
    or it is no longer pending (already delivered or dead): delivery is idempotent by outbox id."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, state=OutboxMessage.State.PENDING)
            .first()
        )
        if message is None:
            return None
        now = now or timezone.now()
        message.attempts += 1
        try:
            _TRANSPORTS[message.channel](message)
        except Exception as exc:  # noqa: BLE001 - any failure of the outside world is retried
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= settings.ITSM_OUTBOX_MAX_ATTEMPTS:
                message.state = OutboxMessage.State.DEAD
                logger.error("outbox: message %s is dead after %s attempts", message.pk, message.attempts)
            else:
                message.next_attempt_at = now + backoff(message.attempts)
        else:
            message.state = OutboxMessage.State.DELIVERED
            message.delivered_at = now
            message.last_error = ""
        message.save(update_fields=["attempts", "state", "delivered_at", "next_attempt_at", "last_error"])
        return message.state


def outbox_sweep(*, now=None, batch_size: int = 100) -> int:
    """Deliver every pending message that is due (a failed one after its back-off, or one whose task
    never ran); returns how many were tried. Reads only due rows, from a partial index."""
    now = now or timezone.now()
    tried = 0
    last_id = 0
    while True:
        ids = list(
            OutboxMessage.objects.filter(
                state=OutboxMessage.State.PENDING, next_attempt_at__lte=now, pk__gt=last_id
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        for message_id in ids:
            if outbox_deliver(message_id=message_id, now=now) is not None:
                tried += 1
        if len(ids) < batch_size:
            return tried
        last_id = ids[-1]


def send_email(message: OutboxMessage) -> None:
    """The e-mail transport: `payload` holds subject, text, optional html, headers (Message-ID...) and
    attachments: [{"name", "media_type", "content" (base64)}]."""
    payload = message.payload
    email = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload.get("text", ""),
        from_email=payload.get("from") or settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers=payload.get("headers") or {},
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
    )
    if payload.get("html"):
        email.attach_alternative(payload["html"], "text/html")
    for attachment in payload.get("attachments") or ():
        email.attach(
            attachment["name"],
            base64.b64decode(attachment["content"]),
            attachment.get("media_type") or "application/octet-stream",
        )
    email.send(fail_silently=False)


register_transport(OutboxMessage.Channel.EMAIL, send_email)


def outbox_retry(*, actor, messages) -> int:
    """Give dead messages another round of attempts now (an operator fixed the mail server or the
    receiver); returns how many were requeued. Delivered messages are never sent again."""
    from servicedesk.services.audit import audit_record

    with transaction.atomic():
        dead = list(
            OutboxMessage.objects.select_for_update()
            .filter(pk__in=[m.pk for m in messages], state=OutboxMessage.State.DEAD)
            .order_by("pk")
        )
        for message in dead:
            message.state = OutboxMessage.State.PENDING
            message.attempts = 0
            message.next_attempt_at = timezone.now()
            message.save(update_fields=["state", "attempts", "next_attempt_at"])
            audit_record(actor=actor, action="outbox.retried", target=message, data={"event": message.event})
            transaction.on_commit(lambda pk=message.pk: _send_task(pk))
        return len(dead)
