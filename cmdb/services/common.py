from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from servicedesk.errors import PermissionDenied

# How a write reached the CMDB; kept as the history's change reason ("import:17", "change:CHG0000042").
VIA_WEB = "web"
VIA_API = "api"
VIA_ADMIN = "admin"
VIA_SYSTEM = "system"


def authorise(actor, allowed) -> None:
    """The system (actor None) may do anything; a person needs the policy's consent."""
    if actor is not None and not allowed(actor):
        raise PermissionDenied()


def mark_history(instance, actor, via: str) -> None:
    """Tell django-simple-history who made the next save, and through what."""
    instance._history_user = actor if actor is not None and actor.is_authenticated else None
    instance._change_reason = via


@contextmanager
def constraint_as_validation_error(message: str):
    """Two concurrent writes can both pass the checks; the database constraint then refuses the second
    one. Answer that as a validation error (400), not a server error."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise ValidationError({"non_field_errors": [message]}) from exc


def raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)
