"""Watchers: people (or outside addresses) told of a record's public updates without being its requester.

A person may watch what their kind's policy lets them watch (`RecordPolicy.can_watch`: what they see; an
incident kind adds open major incidents, which requesters follow instead of filing a duplicate); agents
of the kind add and remove anyone. Adding twice, or removing someone who does not watch, changes nothing.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from servicedesk.errors import NotFound, PermissionDenied
from servicedesk.kinds import kind_of
from servicedesk.models import Watcher
from servicedesk.services.audit import audit_record


def _target(record) -> dict:
    return {"content_type": ContentType.objects.get_for_model(record), "object_id": record.pk}


def _who(user, email: str) -> dict:
    email = (email or "").strip().lower()
    if (user is None) == (not email):
        raise ValueError("Name one person or one address.")
    return {"user": user, "email": ""} if user is not None else {"user": None, "email": email}


def _authorise(*, record, user, actor, adding: bool) -> None:
    """A person watches for themselves what they may watch, and stops watching whatever they watch;
    agents add and remove anyone."""
    policy = kind_of(record).policy
    if actor is None or policy.is_agent(actor):
        return
    if user is None or user.pk != actor.pk:
        raise PermissionDenied(_("Only the service desk adds or removes other people as watchers."))
    if adding and not policy.can_watch(actor, record):
        raise NotFound()


def watcher_add(*, record, user=None, email: str = "", actor) -> Watcher:
    """`user` (or the address `email`) watches `record` from now on; returns the watcher (the existing one
    if they already watch). PermissionDenied for a requester adding someone else; NotFound for a record
    the actor may not watch."""
    who = _who(user, email)
    _authorise(record=record, user=user, actor=actor, adding=True)
    target = _target(record)
    existing = Watcher.objects.filter(**target, **who).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            watcher = Watcher.objects.create(**target, **who, added_by=actor)
    except IntegrityError:  # added at the same moment by another request
        return Watcher.objects.get(**target, **who)
    audit_record(
        actor=actor,
        action=f"{record._meta.model_name}.watcher_added",
        target=record,
        data={"user": user.pk if user is not None else None, "email": who["email"]},
    )
    return watcher


def watcher_remove(*, record, user=None, email: str = "", actor) -> bool:
    """`user` (or `email`) no longer watches `record`; returns whether they did. PermissionDenied for a
    requester removing someone else."""
    who = _who(user, email)
    _authorise(record=record, user=user, actor=actor, adding=False)
    deleted, _rows = Watcher.objects.filter(**_target(record), **who).delete()
    if deleted:
        audit_record(
            actor=actor,
            action=f"{record._meta.model_name}.watcher_removed",
            target=record,
            data={"user": user.pk if user is not None else None, "email": who["email"]},
        )
    return bool(deleted)


def watching(record, user) -> bool:
    """Whether `user` watches `record`."""
    if user is None or not user.is_authenticated:
        return False
    return Watcher.objects.filter(**_target(record), user=user).exists()


def watched_ids(*, user, model) -> QuerySet:
    """The ids of the records of `model` that `user` watches (a subquery: `pk__in=watched_ids(...)`)."""
    return Watcher.objects.filter(user=user, content_type=ContentType.objects.get_for_model(model)).values(
        "object_id"
    )


def watcher_recipients(record) -> list:
    """Who watches `record`: the people (active ones) and the plain addresses, for notifications."""
    rows = Watcher.objects.filter(**_target(record)).select_related("user")
    return [row.user if row.user_id else row.email for row in rows if row.user is None or row.user.is_active]
