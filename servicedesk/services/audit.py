from django.contrib.contenttypes.models import ContentType
from django.db import models

from servicedesk.correlation import current_correlation_id
from servicedesk.models import AuditEvent


def audit_record(*, actor, action: str, target: models.Model | None = None, data=None) -> AuditEvent:
    """Record that `actor` (None for the system) did `action` to `target`. The one way to write audit.

    `action` is dotted (`user.token_created`); `data` must be JSON-serialisable (dates and decimals are).
    The event carries the correlation id of the request or task that caused it.
    """
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor.get_username() if actor else "",
        action=action,
        content_type=ContentType.objects.get_for_model(target) if target is not None else None,
        object_id=str(target.pk) if target is not None else "",
        object_repr=str(target)[:200] if target is not None else "",
        data=data or {},
        correlation_id=current_correlation_id(),
    )


def _jsonable(value):
    if isinstance(value, models.Model):
        return value.pk
    return value


def apply_changes(instance: models.Model, changes: dict) -> dict:
    """Set the fields on `instance`; return `{field: {"from": old, "to": new}}` for those that changed."""
    diff = {}
    for name, value in changes.items():
        old = getattr(instance, name)
        if old != value:
            setattr(instance, name, value)
            diff[name] = {"from": _jsonable(old), "to": _jsonable(value)}
    return diff
