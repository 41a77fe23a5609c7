"""Reads every record kind shares, each through the kind's own policy (`servicedesk.kinds.RecordKind`):
a record's timeline and files, one file by its id, and its links to other records."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse

from servicedesk.errors import NotFound
from servicedesk.kinds import RecordKind, kind_of, parse_number, record_kind, record_kinds
from servicedesk.models import Attachment, RecordLink, TimelineEntry

from .links import INCOMING, OUTGOING, LinkType, link_type, link_types, link_types_for


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


@dataclass(frozen=True)
class LinkedRecord:
    """One link of a record as the user reads it: its type, which way it points, and the record at the
    other end (which the user may see), with the address of its page."""

    link_type: LinkType
    direction: str
    record: Any
    kind: RecordKind
    url: str
    created_at: Any
    created_by: Any

    @property
    def label(self):
        return self.link_type.label_on(self.direction)


def record_links(*, record, user, types: Iterable[str] | None = None) -> list[LinkedRecord]:
    """The links of `record` (of `types`, codes, when given) whose other record `user` may see, asked of
    that record's kind; in the order the types were registered, outgoing before incoming, oldest first.

    One query for the links and one per kind at their other ends, however many there are. Links of a type
    no longer registered are left out.
    """
    content_type = ContentType.objects.get_for_model(record)
    rows = RecordLink.objects.filter(
        Q(source_type=content_type, source_id=record.pk) | Q(target_type=content_type, target_id=record.pk)
    ).select_related("created_by")
    if types is not None:
        rows = rows.filter(link_type__in=list(types))
    order = {t.code: i for i, t in enumerate(link_types())}
    found = []  # (type, direction, other id, link)
    for row in rows.order_by("created_at", "id"):
        t = link_type(row.link_type)
        outgoing = row.source_type_id == content_type.pk and row.source_id == record.pk
        if t is not None:
            direction = OUTGOING if outgoing else INCOMING
            found.append((t, direction, row.target_id if outgoing else row.source_id, row))
    others: dict[str, dict] = {}
    for code in {t.kind_on(direction) for t, direction, _id, _row in found}:
        kind = record_kind(code)
        ids = [other for t, d, other, _row in found if t.kind_on(d) == code]
        visible = kind.policy.visible_to(user).filter(**kind.filters, pk__in=ids)
        others[code] = {r.pk: r for r in visible}
    links = []
    for t, direction, other_id, row in found:
        kind = record_kind(t.kind_on(direction))
        other = others[kind.code].get(other_id)
        if other is not None:
            url = reverse(kind.url_name, args=[other.number])
            links.append(LinkedRecord(t, direction, other, kind, url, row.created_at, row.created_by))
    links.sort(key=lambda link: (order[link.link_type.code], link.direction != OUTGOING))
    return links


def links_context(record, user) -> dict:
    """`record_links`: the record's links `user` may see, grouped by how the record reads them, each with
    whether `user` may remove it; and the kinds of link `user` may add here (`record_link_choices`)."""
    groups: dict[tuple, dict] = {}
    for link in record_links(record=record, user=user):
        t = link.link_type
        group = groups.setdefault(
            (t.code, link.direction), {"type": t.code, "label": link.label, "links": []}
        )
        may = t.permission(user, record) and t.permission(user, link.record)
        group["links"].append({"link": link, "can_unlink": may})
    choices = [
        {"value": f"{direction}:{t.code}", "label": t.label_on(direction)}
        for t, direction in link_types_for(kind_of(record).code)
        if t.permission(user, record)
    ]
    return {"record_links": list(groups.values()), "record_link_choices": choices}
