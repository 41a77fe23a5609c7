"""Celery tasks of the desk's foundation: ids in, one service call each."""

from smtplib import SMTPException

from celery import shared_task
from django.core import management


@shared_task(
    name="servicedesk.password_reset_email_send",
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=10,
)
def password_reset_email_send_task(user_id: int, domain: str, use_https: bool) -> bool:
    from .services.accounts import password_reset_email_send

    return password_reset_email_send(user_id=user_id, domain=domain, use_https=use_https)


@shared_task(name="servicedesk.password_reset_send")
def password_reset_send_task(email: str, domain: str, use_https: bool) -> int:
    """Look the address up and write its reset e-mails to the outbox (none for an unknown address)."""
    from .services.accounts import password_reset_send

    return password_reset_send(email=email, domain=domain, use_https=use_https)


@shared_task(name="servicedesk.sessions_clear_expired")
def sessions_clear_expired_task() -> None:
    management.call_command("clearsessions")


@shared_task(name="servicedesk.idempotency_keys_purge")
def idempotency_keys_purge_task() -> int:
    from .services.idempotency import idempotency_keys_purge

    return idempotency_keys_purge()


@shared_task(name="servicedesk.outbox_deliver")
def outbox_deliver_task(message_id: int) -> str | None:
    """Deliver one outbox message (queued when its transaction commits). Safe to run twice."""
    from .services.outbox import outbox_deliver

    return outbox_deliver(message_id=message_id)


@shared_task(name="servicedesk.outbox_deliver_many")
def outbox_deliver_many_task(message_ids: list[int]) -> int:
    """Deliver the messages written together, one after the other; each is claimed and recorded on its own
    (a failure is retried with back-off like any other), and one left over is the sweep's. Safe to run
    twice. Returns how many were delivered now."""
    from .services.outbox import outbox_deliver

    return sum(outbox_deliver(message_id=pk) == "delivered" for pk in message_ids)


@shared_task(name="servicedesk.outbox_sweep")
def outbox_sweep_task() -> int:
    """Deliver what is due: retries after back-off, and messages whose task was lost (beat)."""
    from .services.outbox import outbox_sweep

    return outbox_sweep()


@shared_task(name="servicedesk.mailboxes_poll")
def mailboxes_poll_task() -> int:
    """Take in new mail from every active mailbox (beat, every ITSM_MAILBOX_POLL_SECONDS)."""
    from .services.mailboxes import mailboxes_poll

    return mailboxes_poll()


@shared_task(name="servicedesk.mailbox_poll")
def mailbox_poll_task(mailbox_id: int) -> int:
    """Take in new mail from one mailbox now (the admin's "poll now")."""
    from .models import Mailbox
    from .services.mailboxes import mailbox_poll

    mailbox = Mailbox.objects.filter(pk=mailbox_id, is_active=True).first()
    return mailbox_poll(mailbox=mailbox) if mailbox is not None else 0


@shared_task(name="servicedesk.sla_sweep")
def sla_sweep_task() -> int:
    """Fire the SLA warnings, breaches and escalations that are due (beat, every ITSM_SLA_SWEEP_SECONDS)."""
    from .sla.sweep import sla_sweep

    return sla_sweep()


@shared_task(name="servicedesk.approvals_sweep")
def approvals_sweep_task() -> int:
    """Remind the approvers of requests pending too long; expire those past their due time (beat)."""
    from .approvals.sweep import approvals_sweep

    return approvals_sweep()


@shared_task(name="servicedesk.facts_refresh")
def facts_refresh_task() -> dict:
    """Bring every kind's management-information facts up to date with what changed since the last run."""
    from .reporting.facts import facts_refresh_due

    return facts_refresh_due()


@shared_task(name="servicedesk.in_app_notifications_prune")
def in_app_notifications_prune_task() -> int:
    from .services.notifications_in_app import in_app_notifications_prune

    return in_app_notifications_prune()
