"""Passwords: reset by e-mail (sent by a worker) and change."""

import logging

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from kombu.exceptions import OperationalError

from servicedesk.models import User

from .audit import audit_record

logger = logging.getLogger(__name__)


def _enqueue_password_reset_email(user_id: int, domain: str, use_https: bool) -> None:
    from servicedesk.tasks import password_reset_email_send_task

    try:
        password_reset_email_send_task.delay(user_id, domain, use_https)
    except OperationalError:
        # The broker is down: send in the request rather than lose the e-mail.
        logger.warning("broker unavailable, sending the password-reset e-mail inline", exc_info=True)
        password_reset_email_send(user_id=user_id, domain=domain, use_https=use_https)


def password_reset_request(*, email: str, domain: str, use_https: bool) -> int:
    """Queue a reset e-mail to each active user with this address (also to set a first password).

    Says nothing about whether the address is known (the caller shows the same page either way);
    returns how many e-mails were queued.
    """
    users = list(User.objects.filter(email__iexact=email.strip(), is_active=True).exclude(email=""))
    with transaction.atomic():
        for user in users:
            audit_record(actor=None, action="user.password_reset_requested", target=user)
            transaction.on_commit(lambda pk=user.pk: _enqueue_password_reset_email(pk, domain, use_https))
    return len(users)


def password_reset_email_send(*, user_id: int, domain: str, use_https: bool) -> bool:
    """Send the reset e-mail, in the user's language, with a fresh one-time link.

    Returns False when the user can no longer reset (gone, inactive); mail errors propagate for retry.
    """
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return False
    context = {
        "user": user,
        "domain": domain,
        "protocol": "https" if use_https else "http",
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    with translation.override(user.language or None):
        subject = render_to_string("registration/password_reset_subject.txt", context)
        body = render_to_string("registration/password_reset_email.txt", context)
        html = render_to_string("registration/password_reset_email.html", context)
    message = EmailMultiAlternatives(" ".join(subject.split()), body, to=[user.email])
    message.attach_alternative(html, "text/html")
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
