"""Writes to the shared timeline of records, and their attachments."""

from django.contrib.contenttypes.models import ContentType
from django.db import models

from servicedesk.attachments import validate_upload
from servicedesk.models import Attachment, TimelineEntry


def timeline_add(
    *,
    record: models.Model,
    kind: str,
    author=None,
    body: str = "",
    is_public: bool = False,
    data: dict | None = None,
    uploads=(),
) -> TimelineEntry:
    """Add one entry to `record`'s timeline, with its files (validated: size, type, magic bytes).

    Raises ValidationError (field `attachments`) for a file that is refused; the caller's transaction
    then rolls the entry back with it.
    """
    if author is not None and not author.is_authenticated:
        author = None
    uploads = list(uploads)
    # Check every file before storing any, so a refused file leaves none of its companions on disk.
    for upload in uploads:
        validate_upload(upload)
    entry = TimelineEntry.objects.create(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        kind=kind,
        is_public=is_public,
        author=author,
        body=body,
        data=data or {},
    )
    stored = []
    try:
        for upload in uploads:
            stored.append(attachment_add(entry=entry, upload=upload, actor=author))
    except BaseException:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return entry


def attachment_add(*, entry: TimelineEntry, upload, actor) -> Attachment:
    """Store `upload` with `entry` after checking it; the stored name is random, the shown name sanitised."""
    info = validate_upload(upload)
    upload.seek(0)
    attachment = Attachment(
        entry=entry,
        name=info.name,
        media_type=info.media_type,
        size=info.size,
        sha256=info.sha256,
        uploaded_by=actor if actor is not None and actor.is_authenticated else None,
    )
    attachment.file.save(info.storage_name, upload, save=False)
    attachment.save()
    return attachment


def timeline_add_many(*, entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """Add unsaved entries (files are not taken here) to their records' timelines in one statement: for
    work done to many records at once (the SLA sweep's warnings and breaches)."""
    for entry in entries:
        if entry.data is None:
            entry.data = {}
    return TimelineEntry.objects.bulk_create(entries)


def timeline_entry(*, record: models.Model, kind: str, is_public: bool = False, data: dict | None = None):
    """An unsaved system entry of `record`'s timeline, for `timeline_add_many`."""
    return TimelineEntry(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        kind=kind,
        is_public=is_public,
        data=data or {},
    )
