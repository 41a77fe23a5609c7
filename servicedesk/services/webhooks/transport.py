"""The outbox's webhook transport: one signed POST per attempt, every attempt logged."""

import logging
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from servicedesk.models import (
    OutboxMessage,
    WebhookAttempt,
    WebhookDelivery,
)

from ..outbox import register_transport
from .signing import webhook_signature_header

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-ITSM-Signature"
USER_AGENT = "ITSM-Webhooks/1"
EXCERPT_CHARS = 1000
SUBSCRIPTION_INACTIVE = "Subscription inactive: not sent."


class WebhookDeliveryFailed(Exception):
    """The receiver did not answer 2xx (or could not be reached): the outbox tries again later."""


def is_http_url(url) -> bool:
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
    elif not is_http_url(subscription.url):
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
