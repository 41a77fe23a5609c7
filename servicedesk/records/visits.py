"""When each person last opened each record (`RecordVisit`), and what a list marks from it: the records
whose requester, or one of their watchers, wrote a public comment since ("requester replied").

The record page (`servicedesk.records.views.record_detail`, every kind's page) writes the visit; a list
reads the marks of its page's rows in one query.
"""

from collections.abc import Sequence
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from servicedesk.models import RecordVisit, TimelineEntry, Watcher


def record_visit_mark(*, user, record, now: datetime | None = None) -> None:
    """Note that `user` has seen `record` now: one upsert (`INSERT … ON CONFLICT DO UPDATE`), safe when
    the same person opens the record in two tabs at once. Nothing for an anonymous visitor."""
    if not user.is_authenticated or not hasattr(record, "_meta"):
        return
    RecordVisit.objects.bulk_create(
        [
            RecordVisit(
                user=user,
                content_type=ContentType.objects.get_for_model(record),
                object_id=record.pk,
                seen_at=now or timezone.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["user", "content_type", "object_id"],
        update_fields=["seen_at"],
    )


def records_unread(*, user, records: Sequence) -> set[int]:
    """The ids among `records` (of one model with a `requester`) where the requester or a watcher wrote a
    public comment after `user` last opened the record, or ever, when `user` never opened it. One query
    over the timeline index, whatever the number of rows; none for an empty page."""
    if not records or not user.is_authenticated:
        return set()
    model = type(records[0])
    content_type = ContentType.objects.get_for_model(model)
    requester = model._default_manager.filter(pk=OuterRef("object_id")).values("requester_id")[:1]
    watcher = Watcher.objects.filter(
        content_type=content_type, object_id=OuterRef("object_id"), user_id=OuterRef("author_id")
    )
    seen_since = RecordVisit.objects.filter(
        user=user,
        content_type=content_type,
        object_id=OuterRef("object_id"),
        seen_at__gte=OuterRef("created_at"),
    )
    replies = (
        TimelineEntry.objects.filter(
            content_type=content_type,
            object_id__in=[record.pk for record in records],
            kind=TimelineEntry.Kind.COMMENT,
            is_public=True,
            author__isnull=False,
        )
        .exclude(author=user)
        .filter(Q(author_id=Subquery(requester)) | Exists(watcher))
        .filter(~Exists(seen_since))
    )
    return set(replies.values_list("object_id", flat=True).distinct())
