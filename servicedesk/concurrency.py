"""Optimistic concurrency for everything people and integrations edit.

Each editable row carries a counter (`Ticket.version` on records, `Revisioned.revision` on the rest) that
every write through a service moves on; `"<pk>-<counter>"` is its entity tag. A service that writes:

- `lock(obj, expected=...)` takes the row `FOR UPDATE` for the transaction and refuses a write made against
  an older counter (StaleWrite, answered 412);
- `bump(obj)` moves the counter on in memory and names the field to save with the others.

A web form saves only what its user changed, merged over what others saved meanwhile: see
`servicedesk.forms_merge`.
"""

from typing import TypeVar

from django.db import models, transaction
from django.utils.translation import gettext as _

from servicedesk.errors import StaleWrite

M = TypeVar("M", bound=models.Model)


def version_field(obj_or_model) -> str:
    """The name of the counter of a model (or of an instance's model)."""
    return obj_or_model.concurrency_field


def version_of(obj) -> int:
    return getattr(obj, version_field(obj))


def lock(obj: M, *, expected: int | None = None) -> M:
    """`obj`'s row, read again and locked for this transaction (call inside `transaction.atomic`).

    Raises StaleWrite (with `current_version`) when `expected` is given and the row has moved past it.
    An instance this function returned earlier in the same transaction is the locked row already (every
    write of it goes through the instance): it is returned as it is, without a second `SELECT … FOR
    UPDATE` (an API comment checks If-Match, then its service locks the record again).
    """
    if _holds_lock(obj):
        locked = obj
    else:
        locked = obj._meta.model._default_manager.select_for_update().get(pk=obj.pk)
        _mark_locked(locked)
    if expected is not None and version_of(locked) != expected:
        raise StaleWrite(
            _("“%(name)s” has changed since you read it. Reload it and try again.") % {"name": locked},
            extra={"current_version": version_of(locked)},
        )
    if locked is not obj:
        keep_related(obj, locked)
    return locked


class _Held:
    """Registered with `on_commit` when a row is locked: while it is still waiting there, the transaction
    (or the savepoint) that took the lock has neither ended nor been rolled back."""

    def __call__(self) -> None:
        pass


LOCK_MARK = "_locked_by"


def _mark_locked(obj) -> None:
    held = _Held()
    transaction.on_commit(held)
    obj.__dict__[LOCK_MARK] = held


def _holds_lock(obj) -> bool:
    held = obj.__dict__.get(LOCK_MARK)
    if held is None:
        return False
    connection = transaction.get_connection()
    return connection.in_atomic_block and any(entry[1] is held for entry in connection.run_on_commit)


def keep_related(source, target) -> None:
    """Give `target` (the same row read again) the related objects `source` already holds, so the write
    that follows does not read them one query each: each foreign key's object where the key is unchanged,
    and the prefetched many-to-many rows when the row's counter has not moved (every write moves it)."""
    for field in source._meta.concrete_fields:
        if not field.is_relation or not field.is_cached(source):
            continue
        if getattr(source, field.attname) == getattr(target, field.attname):
            field.set_cached_value(target, field.get_cached_value(source))
    prefetched = getattr(source, "_prefetched_objects_cache", None)
    if prefetched and version_of(source) == version_of(target):
        target._prefetched_objects_cache = dict(prefetched)


def bump(obj) -> str:
    """Move `obj`'s counter on (in memory); returns its field name, for `save(update_fields=...)`."""
    name = version_field(obj)
    setattr(obj, name, getattr(obj, name) + 1)
    return name


def save_changed(obj, fields) -> None:
    """Save `fields` of `obj` with its counter moved on (and `updated_at`, where the model has one)."""
    names = {*fields, bump(obj)}
    if any(field.name == "updated_at" for field in obj._meta.concrete_fields):
        names.add("updated_at")
    obj.save(update_fields=sorted(names))
