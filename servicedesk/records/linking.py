"""Linking and unlinking records of any kinds, by the link types apps register (`.links`).

One service call makes or removes one link: it checks the type, the kinds, who may see and link both
records, the type's rules (one link per pair, how many on each side, its guard) under a lock on both
records, and records it on both: a timeline entry each, the version moved on, one audit event, and each
record's kind publishes the event (webhooks, notifications).

Field errors name the inputs every interface has: `type` (the link type's code), `direction` and `number`
(the other record's).
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from servicedesk import concurrency
from servicedesk.errors import Conflict, NotFound, PermissionDenied
from servicedesk.kinds import kind_of, record_get_for_user
from servicedesk.models import RecordLink, TimelineEntry
from servicedesk.services.audit import audit_record
from servicedesk.services.timeline import timeline_add

from .events import publisher
from .links import INCOMING, OUTGOING, LinkType, link_type, link_types_for
from .services import record_save

SYSTEM = None  # the actor of links made by the system: no visibility or permission check

LINK_EXISTS = "link_exists"
LINK_LIMIT = "link_limit"
LINK_REFUSED = "link_refused"
LINK_NOT_FOUND = "link_not_found"


def link_resolve(*, record, user, type_code: str, number: str, direction: str = "") -> tuple:
    """What a person asks for from `record`'s page or API ("link this record, as `type_code`, to
    `number`"), as (link type, source, target). `direction` is needed only for a type within one kind;
    it defaults to the first the record may take. ValidationError on `type`, `direction` or `number`
    (also for a number the user may not see: it is input, not an address)."""
    kind = kind_of(record)
    pairs = [(t, d) for t, d in link_types_for(kind.code) if t.code == type_code]
    if not pairs:
        raise ValidationError({"type": _("This record takes no link of this type.")})
    if direction and direction not in [d for _t, d in pairs]:
        raise ValidationError({"direction": _("This record cannot be on that side of this link.")})
    t, direction = next((t, d) for t, d in pairs if not direction or d == direction)
    try:
        other = record_get_for_user(user=user, number=number)
    except NotFound:
        raise ValidationError({"number": _("No record you may see has this number.")}) from None
    if kind_of(other).code != t.kind_on(direction):
        raise ValidationError({"number": _("A link of this type does not lead to this kind of record.")})
    return (t, record, other) if direction == OUTGOING else (t, other, record)


def _registered(code: str) -> LinkType:
    t = link_type(code)
    if t is None:
        raise ValidationError({"type": _("No link type has this code.")})
    return t


def _authorise(t: LinkType, actor, records) -> None:
    if actor is SYSTEM:
        return
    for record in records:
        if not kind_of(record).policy.can_see(actor, record):
            raise NotFound()
    if not all(t.permission(actor, record) for record in records):
        raise PermissionDenied(_("You may not link or unlink these records."))


def _lock_both(first, second):
    """Both rows locked in one order (content type, then id), so two links made at once cannot deadlock."""

    def order(record):
        return ContentType.objects.get_for_model(record).pk, record.pk

    ordered = sorted([first, second], key=order)
    locked = {order(r): concurrency.lock(r) for r in ordered}
    return locked[order(first)], locked[order(second)]


def _q(prefix: str, record) -> Q:
    return Q(**{f"{prefix}_type": ContentType.objects.get_for_model(record), f"{prefix}_id": record.pk})


def _between(a, b) -> Q:
    """The links from `a` to `b` or from `b` to `a`."""
    return (_q("source", a) & _q("target", b)) | (_q("source", b) & _q("target", a))


def _check_rules(t: LinkType, source, target) -> None:
    """The type's rules: one link per pair, either way; one link on a side that takes one; its guard."""
    if RecordLink.objects.filter(_between(source, target), link_type=t.code).exists():
        raise Conflict(
            _("%(a)s and %(b)s are already linked this way.") % {"a": source.number, "b": target.number},
            code=LINK_EXISTS,
        )
    for record, prefix, direction in ((source, "source", OUTGOING), (target, "target", INCOMING)):
        if (
            not t.many_on(direction)
            and RecordLink.objects.filter(_q(prefix, record), link_type=t.code).exists()
        ):
            raise Conflict(
                _("%(number)s already has its “%(label)s”; unlink it first.")
                % {"number": record.number, "label": t.label_on(direction)},
                code=LINK_LIMIT,
            )
    reason = t.guard(source, target) if t.guard is not None else None
    if reason:
        raise Conflict(str(reason), code=LINK_REFUSED)


def _record_both(t: LinkType, *, actor, source, target, action: str, event: str) -> None:
    """The versions moved on, a timeline entry on each record, one audit event, each kind's event."""
    record_save(source, [])
    record_save(target, [])
    for record, other, direction in ((source, target, OUTGOING), (target, source, INCOMING)):
        data = {
            "link": t.code,
            "direction": direction,
            "action": action,
            "number": other.number,
            "title": other.title,
        }
        entry = timeline_add(
            record=record, kind=TimelineEntry.Kind.LINK, author=actor, is_public=t.public, data=data
        )
        published = {"link": t.code, "direction": direction, "number": other.number}
        publisher(record)(record=record, event=event, actor=actor, entry=entry, data=published)
    audit_record(
        actor=actor,
        action=f"{source._meta.model_name}.{action}",
        target=source,
        data={"link": t.code, "source": source.number, "target": target.number},
    )


def record_link(*, actor, link_type: str, source, target) -> RecordLink:
    """Link `source` to `target` with the registered type `link_type`, and record it on both.

    Raises ValidationError (`type`: an unknown type or kinds it does not join; `number`: a record linked
    to itself), NotFound when the actor may not see either record, PermissionDenied when the type's
    permission refuses either, Conflict `link_exists` (these two are linked by this type already, either
    way), `link_limit` (a side that takes one link has it) or `link_refused` (the type's guard).
    `actor=None` is the system: no visibility or permission check.
    """
    t = _registered(link_type)
    if kind_of(source).code != t.source_kind or kind_of(target).code != t.target_kind:
        raise ValidationError({"type": _("A link of this type does not join these kinds of record.")})
    if type(source) is type(target) and source.pk == target.pk:
        raise ValidationError({"number": _("A record cannot be linked to itself.")})
    _authorise(t, actor, (source, target))
    with transaction.atomic():
        source, target = _lock_both(source, target)
        _check_rules(t, source, target)
        link = RecordLink.objects.create(
            link_type=t.code,
            source_type=ContentType.objects.get_for_model(source),
            source_id=source.pk,
            target_type=ContentType.objects.get_for_model(target),
            target_id=target.pk,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        _record_both(t, actor=actor, source=source, target=target, action="linked", event=t.events[0])
    return link


def record_unlink(*, actor, link_type: str, record, other) -> None:
    """Remove the link of type `link_type` between `record` and `other`, whichever way it points, and
    record it on both. Raises ValidationError (an unknown type), NotFound when the actor may not see
    either record or no such link exists (`link_not_found`), PermissionDenied as `record_link` does."""
    t = _registered(link_type)
    _authorise(t, actor, (record, other))
    with transaction.atomic():
        record, other = _lock_both(record, other)
        link = RecordLink.objects.filter(_between(record, other), link_type=t.code).first()
        if link is None:
            raise NotFound(
                _("%(a)s and %(b)s are not linked this way.") % {"a": record.number, "b": other.number},
                code=LINK_NOT_FOUND,
            )
        mine = (
            link.source_type_id == ContentType.objects.get_for_model(record).pk
            and link.source_id == record.pk
        )
        source, target = (record, other) if mine else (other, record)
        link.delete()
        _record_both(t, actor=actor, source=source, target=target, action="unlinked", event=t.events[1])
