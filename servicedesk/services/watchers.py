"""Watchers (CC) of a record: people, or outside addresses, told of its public updates.

A requester follows (and stops following) a record they may see, as the record kind's policy says
(`can_watch`: a kind may open more to them, such as a major incident); an agent adds and removes anyone
(`can_manage_watchers`). Who is told what is `servicedesk.notifications.watchers`. Every change is
audited; adding someone who already watches, or removing someone who does not, changes nothing.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from servicedesk.errors import NotFound, PermissionDenied
from servicedesk.kinds import kind_of
from servicedesk.models import User, Watcher

from .audit import audit_record


def _of(record) -> dict:
    return {"content_type": ContentType.objects.get_for_model(record), "object_id": record.pk}


def watcher_list(*, record) -> QuerySet[Watcher]:
    """The record's watchers with their people, in the order they were added."""
    return Watcher.objects.filter(**_of(record)).select_related("user").order_by("created_at", "id")


def watching(record, user) -> bool:
    """Whether `user` watches `record`."""
    if user is None or not user.is_authenticated:
        return False
    return Watcher.objects.filter(**_of(record), user=user).exists()


def _authorise(*, record, user, actor, adding: bool) -> None:
    """Agents change anyone; a person follows what they may watch and stops following at any time. A
    record a person may not watch is not found (404), as everything they may not see."""
    policy = kind_of(record).policy
    if policy.can_manage_watchers(actor, record):
        return
    if user is None or actor is None or user.pk != actor.pk:
        raise PermissionDenied(_("You may not change who follows this record."))
    if adding and not policy.can_watch(actor, record):
        raise NotFound()


def _address(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    return email.lower()


def watcher_add(*, record, user: User | None = None, email: str = "", actor: User) -> Watcher:
    """Make `user` (or the outside address `email`) a watcher of `record`; the existing watcher if they
    already are one. An address of a person with an account adds the person (they get their language
    and their opt-outs). Raises NotFound (the actor's own follow of what they may not watch),
    PermissionDenied (someone else's follow, and the actor is not an agent),
    ValidationError (neither a person nor a valid address, an inactive person)."""
    if user is None:
        email = _address(email)
        user = User.objects.filter(email__iexact=email, is_active=True).order_by("id").first()
    if user is not None and not user.is_active:
        raise ValidationError({"user": _("This person's account is inactive.")})
    _authorise(record=record, user=user, actor=actor, adding=True)
    lookup = {**_of(record), **({"user": user} if user is not None else {"user": None, "email": email})}
    existing = Watcher.objects.filter(**lookup).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            watcher = Watcher.objects.create(**lookup, added_by=actor)
    except IntegrityError:
        # Added twice at once: the unique constraint decides, the first one stands.
        return Watcher.objects.get(**lookup)
    audit_record(
        actor=actor,
        action=f"{record._meta.model_name}.watcher_added",
        target=record,
        data={"user": user.pk if user else None, "email": "" if user else email},
    )
    return watcher


def watcher_remove(
    *, record, actor: User, user: User | None = None, email: str = "", pk: int | None = None
) -> bool:
    """Stop `user` (or `email`, or the watcher `pk`) watching `record`; returns whether they did. A person
    may always stop following; anyone else needs an agent (PermissionDenied)."""
    watchers = Watcher.objects.filter(**_of(record))
    if pk is not None:
        watcher = watchers.filter(pk=pk).select_related("user").first()
        if watcher is None:
            return False
        user, email = watcher.user, watcher.email
    _authorise(record=record, user=user, actor=actor, adding=False)
    if user is not None:
        deleted, _rows = watchers.filter(user=user).delete()
    else:
        deleted, _rows = watchers.filter(user=None, email=(email or "").strip().lower()).delete()
    if deleted:
        audit_record(
            actor=actor,
            action=f"{record._meta.model_name}.watcher_removed",
            target=record,
            data={"user": user.pk if user else None, "email": "" if user else email},
        )
    return bool(deleted)


def watched_ids(*, user, model) -> QuerySet:
    """The ids of the records of `model` that `user` watches (a subquery: `pk__in=watched_ids(...)`)."""
    return Watcher.objects.filter(user=user, content_type=ContentType.objects.get_for_model(model)).values(
        "object_id"
    )
