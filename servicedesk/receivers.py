"""Sign-in events reach us only as signals (from every authentication path): audit them."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .services.audit import audit_record


@receiver(user_logged_in, dispatch_uid="servicedesk.audit_logged_in")
def audit_logged_in(sender, request, user, **kwargs):
    audit_record(actor=user, action="user.logged_in", target=user)


@receiver(user_logged_out, dispatch_uid="servicedesk.audit_logged_out")
def audit_logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action="user.logged_out", target=user)


@receiver(user_login_failed, dispatch_uid="servicedesk.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    audit_record(
        actor=None, action="user.login_failed", data={"username": str(credentials.get("username", ""))[:150]}
    )


@receiver(user_locked_out, dispatch_uid="servicedesk.audit_locked_out")
def audit_locked_out(sender, request, username, ip_address, **kwargs):
    audit_record(
        actor=None, action="user.locked_out", data={"username": str(username)[:150], "ip_address": ip_address}
    )
