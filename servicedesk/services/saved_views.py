"""People's saved list filters (saved views), for any list that offers them."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from servicedesk.errors import NotFound
from servicedesk.models import SavedView, User


def saved_view_list(*, owner: User, scope: str):
    return SavedView.objects.filter(owner=owner, scope=scope).order_by("name", "id")


def saved_view_create(
    *, owner: User, scope: str, name: str, query: str, columns: list[str] | None = None
) -> SavedView:
    """Keep `query` (a list's filters and sort) and `columns` (the list's columns in order, already
    checked against the list's own; empty for its default) under `name` for `owner`; ValidationError if
    the name is taken."""
    taken = ValidationError({"name": _("You already have a view called “%(name)s”.") % {"name": name}})
    if SavedView.objects.filter(owner=owner, scope=scope, name=name).exists():
        raise taken
    try:
        with transaction.atomic():
            return SavedView.objects.create(
                owner=owner, scope=scope, name=name, query=query, columns=list(columns or [])
            )
    except IntegrityError:
        # Two saves at once: the unique constraint decides.
        raise taken from None


def saved_view_delete(*, owner: User, scope: str, pk: int) -> None:
    """Delete one of `owner`'s saved views; NotFound for anyone else's."""
    deleted, _rows = SavedView.objects.filter(owner=owner, scope=scope, pk=pk).delete()
    if not deleted:
        raise NotFound()
