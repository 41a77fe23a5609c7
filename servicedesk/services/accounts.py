"""Passwords: reset by e-mail (through the outbox) and change."""

import hashlib
import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from servicedesk.models import OutboxMessage, User

from .audit import audit_record
from .outbox import outbox_enqueue

RESET_EVENT = "user.password_reset"

logger = logging.getLogger(__name__)


def password_reset_request(
    *, email: str, domain: str, use_https: bool, client_address: str | None = None
) -> bool:
    """Take a request for a reset e-mail to `email`, doing the same work whether or not an account has the
    address: count it against the address and the client address, then, within both limits
    (`ITSM_PASSWORD_RESET_PER_ADDRESS` and `ITSM_PASSWORD_RESET_PER_CLIENT` per
    `ITSM_PASSWORD_RESET_WINDOW_MINUTES`), queue `password_reset_send_task`, where the worker looks the
    address up. Over a limit nothing is queued and nothing is sent.

    Returns whether the request was taken; the caller shows the same page either way, so neither the
    answer nor its time tells whether the address is known or limited.
    """
    email = email.strip().lower()
    if not _within_reset_limits(email=email, client_address=client_address):
        logger.warning(
            "password reset: limit reached (address hash %s, client %s)", _digest(email), client_address
        )
        return False
    transaction.on_commit(lambda: _queue_reset(email=email, domain=domain, use_https=use_https))
    return True


def _digest(value: str) -> str:
    """A stable, short name for an address in cache keys and logs (never the address itself)."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _count(key: str, window: int) -> int:
    """Add one to a counter that lives `window` seconds from its first hit; returns the new count."""
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def _within_reset_limits(*, email: str, client_address: str | None) -> bool:
    """Count this request against its address and its client address (both, always: the same work for
    every request); True while both are within their limits."""
    window = settings.ITSM_PASSWORD_RESET_WINDOW_MINUTES * 60
    per_address = _count(f"password-reset:address:{_digest(email)}", window)
    per_client = _count(f"password-reset:client:{client_address or 'unknown'}", window)
    return (
        per_address <= settings.ITSM_PASSWORD_RESET_PER_ADDRESS
        and per_client <= settings.ITSM_PASSWORD_RESET_PER_CLIENT
    )


def _queue_reset(*, email: str, domain: str, use_https: bool) -> None:
    from servicedesk.tasks import password_reset_send_task

    try:
        password_reset_send_task.delay(email, domain, use_https)
    except Exception:  # a broker outage must not lose the e-mail: look up and write the outbox here
        logger.warning("password reset: could not queue the lookup; doing it in the request", exc_info=True)
        password_reset_send(email=email, domain=domain, use_https=use_https)


def password_reset_send(*, email: str, domain: str, use_https: bool) -> int:
    """Write a reset e-mail to each active user with this address (also to set a first password) into the
    outbox, in the same transaction as its audit event: a broker or mail-server outage delays it, never
    loses it. Run by the worker (`password_reset_send_task`), so the request does not wait for the lookup.

    Returns how many e-mails were queued (0 for an unknown address).
    """
    users = list(User.objects.filter(email__iexact=email.strip(), is_active=True).exclude(email=""))
    with transaction.atomic():
        for user in users:
            audit_record(actor=None, action="user.password_reset_requested", target=user)
            outbox_enqueue(
                channel=OutboxMessage.Channel.EMAIL,
                event=RESET_EVENT,
                recipient=user.email,
                payload=password_reset_email_render(user=user, domain=domain, use_https=use_https),
                record=user,
            )
    return len(users)


def password_reset_email_render(*, user: User, domain: str, use_https: bool) -> dict:
    """The reset e-mail (subject, text, html, headers), in the user's language, with a fresh one-time
    link. The link stops working once the password changes or the user signs in, and after
    PASSWORD_RESET_TIMEOUT."""
    context = {
        "user": user,
        "domain": domain,
        "protocol": "https" if use_https else "http",
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = render_to_string("registration/password_reset_subject.txt", context)
        text = render_to_string("registration/password_reset_email.txt", context)
        html = render_to_string("registration/password_reset_email.html", context)
    return {
        "subject": " ".join(subject.split()),
        "text": text,
        "html": html,
        "headers": {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
    }


def password_reset_email_send(*, user_id: int, domain: str, use_https: bool) -> bool:
    """Send the reset e-mail at once. Kept for `password_reset_email_send_task` messages queued before
    resets went through the outbox; new resets use `password_reset_request` and `password_reset_send`.

    Returns False when the user can no longer reset (gone, inactive); mail errors propagate for retry.
    """
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return False
    payload = password_reset_email_render(user=user, domain=domain, use_https=use_https)
    message = EmailMultiAlternatives(payload["subject"], payload["text"], to=[user.email])
    message.attach_alternative(payload["html"], "text/html")
    message.send()
    return True


@transaction.atomic
def password_set(*, user: User, actor: User | None, password: str, reason: str) -> User:
    """Set a new password (`reason`: "reset" or "change"); validation is the form's job."""
    user.set_password(password)
    user.save(update_fields=["password"])
    action = "user.password_reset_completed" if reason == "reset" else "user.password_changed"
    audit_record(actor=actor, action=action, target=user)
    return user
