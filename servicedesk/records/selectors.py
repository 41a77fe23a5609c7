"""Reads every kind shares: a record's timeline and files, as its kind's policy lets a user see them."""

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, QuerySet

from servicedesk.kinds import kind_of
from servicedesk.models import Attachment, TimelineEntry


def record_timeline(*, record, user, folded: Iterable[int] = ()) -> QuerySet[TimelineEntry]:
    """The record's activity, oldest first. Who may see internal entries (the kind's policy) sees them
    all, with those of the records `folded` into it (an incident's merged duplicates); anyone else sees the
    record's own public entries only."""
    entries = TimelineEntry.objects.filter(content_type=ContentType.objects.get_for_model(record))
    if kind_of(record).policy.can_see_internal(user, record):
        entries = entries.filter(object_id__in=[record.pk, *folded])
    else:
        entries = entries.filter(object_id=record.pk, is_public=True)
    return (
        entries.select_related("author")
        .prefetch_related(Prefetch("attachments"))
        .order_by("created_at", "id")
    )


def record_attachments(*, record, user, folded: Iterable[int] = ()) -> QuerySet[Attachment]:
    """The files on the entries of the record's timeline that `user` may see (`record_timeline`'s rule)."""
    entries = record_timeline(record=record, user=user, folded=folded)
    return Attachment.objects.filter(
        entry__in=entries.values("pk"), entry__content_type=ContentType.objects.get_for_model(record)
    ).select_related("entry")
