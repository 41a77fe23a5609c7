"""Passwords: reset by e-mail (through the outbox) and change."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
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


def password_reset_request(*, email: str, domain: str, use_https: bool) -> int:
    """Write a reset e-mail to each active user with this address (also to set a first password) into the
    outbox, in the same transaction as its audit event: a broker or mail-server outage delays it, never
    loses it.

    Says nothing about whether the address is known (the caller shows the same page either way);
    returns how many e-mails were queued.
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
    resets went through the outbox; new resets use `password_reset_request`.

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
