"""Reads every record kind shares, each through the kind's own policy (`servicedesk.kinds.RecordKind`):
a record's timeline and files, and one file by its id."""

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, QuerySet

from servicedesk.errors import NotFound
from servicedesk.kinds import RecordKind, kind_of, parse_number, record_kinds
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


def record_can_see_internal(kind: RecordKind, user, record) -> bool:
    """May `user` read the internal work notes (and their files) of `record`: the kind's rule, else agents."""
    if kind.can_see_internal is not None:
        return bool(kind.can_see_internal(user, record))
    return bool(getattr(user, "is_agent", False))


def _kinds_of(model) -> list[RecordKind]:
    return [kind for kind in record_kinds() if kind.model_class() is model]


def _record_of_entry(kinds: list[RecordKind], model, *, user, record_id):
    """The record with this id if `user` may see it (through its kind), with its kind; (None, None) if not."""
    number = model._default_manager.filter(pk=record_id).values_list("number", flat=True).first()
    parsed = parse_number(number or "")
    if parsed is None or parsed[0] not in kinds:
        return None, None
    kind, canonical = parsed
    try:
        return kind.get_for_user(user=user, number=canonical), kind
    except NotFound:
        return None, kind


def record_attachment_get_for_user(*, user, attachment_id, models=None):
    """An attachment and the record whose timeline shows it, if `user` may see both the record and the entry
    the file came with (an internal entry only for who may see the record's internal notes).

    `models` narrows the search to the records of these models (an API of one kind). Raises NotFound
    otherwise, existing or not: a requester never learns that an internal file or another's record exists.
    """
    try:
        attachment = Attachment.objects.select_related("entry").get(pk=attachment_id)
    except (Attachment.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    entry = attachment.entry
    model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
    kinds = _kinds_of(model) if model is not None else []
    if not kinds or (models is not None and model not in models):
        raise NotFound()
    record, kind = _record_of_entry(kinds, model, user=user, record_id=entry.object_id)
    if record is None and kind is not None and kind.entry_host is not None:
        record = kind.entry_host(user=user, record_id=entry.object_id)
    if record is None or (not entry.is_public and not record_can_see_internal(kind, user, record)):
        raise NotFound()
    return attachment, record
