"""What every record service does, for any kind: lock and versioned save, field changes on the timeline,
comments, work notes and files. A kind's own services call these and add what is theirs (its events, its
first-response rule), so no kind copies them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from servicedesk import concurrency
from servicedesk.errors import PermissionDenied
from servicedesk.kinds import kind_of
from servicedesk.models import TimelineEntry
from servicedesk.services.audit import audit_record
from servicedesk.services.timeline import timeline_add

from .events import publisher
from .search import comments_text_append


def record_lock(record, *, expected_version: int | None = None):
    """The record's row, locked for this transaction; StaleWrite if it moved past `expected_version`."""
    return concurrency.lock(record, expected=expected_version)


def record_save(record, fields) -> None:
    """Save the named fields (only those) and move the version on, so every write changes the ETag."""
    concurrency.save_changed(record, fields)


def related_labels(record, fields) -> dict[str, str]:
    """What the relation fields among `fields` show now (names, not ids), for the timeline."""
    labels = {}
    for name in fields:
        field = record._meta.get_field(name)
        if field.many_to_many:
            related = field.related_model
            order = "name" if any(f.name == "name" for f in related._meta.fields) else "pk"
            labels[name] = ", ".join(str(item) for item in getattr(record, name).order_by(order))
        elif field.is_relation:
            value = getattr(record, name)
            labels[name] = str(value) if value is not None else ""
    return labels


def record_note_changes(
    *, record, actor, action: str, diff: dict, before: dict | None = None, public: bool = False
) -> None:
    """One field-change timeline entry and one audit event for the fields in `diff` ({field: {from, to}}).

    `before` holds `related_labels` taken before the change, so the timeline reads names, not ids.
    """
    if not diff:
        return
    before = before or {}
    after = related_labels(record, [field for field in diff if field in before])
    changes = {
        field: {**change, "from_label": before[field], "to_label": after[field]} if field in after else change
        for field, change in diff.items()
    }
    timeline_add(
        record=record,
        kind=TimelineEntry.Kind.FIELD_CHANGE,
        author=actor,
        is_public=public,
        data={"changes": changes},
    )
    audit_record(actor=actor, action=action, target=record, data=diff)


def _check_files(uploads) -> None:
    if len(uploads) > settings.ITSM_ATTACHMENTS_PER_ENTRY:
        raise ValidationError(
            {
                "attachments": _("At most %(count)d files at a time.")
                % {"count": settings.ITSM_ATTACHMENTS_PER_ENTRY}
            }
        )


def comment_add(
    *, record, actor, body: str, is_public: bool = True, uploads=(), data: dict | None = None
) -> TimelineEntry:
    """A public comment or an internal work note on a record the caller has locked, with its files, as
    the kind's policy allows; audited. A public comment's text is added to the record's search text in
    memory: the caller saves `search_comments` with the version (`comment_search_fields`). The kind's
    service adds what follows (its events, its response rule). Raises PermissionDenied (a work note by
    someone who may not write one, a final record) and ValidationError (no text and no file, too many
    files, a refused file)."""
    body = (body or "").strip()
    uploads = list(uploads)
    if not body and not uploads:
        raise ValidationError({"body": _("Write something or attach a file.")})
    _check_files(uploads)
    policy = kind_of(record).policy
    if not policy.can_comment(actor, record):
        raise PermissionDenied(_("This record takes no more comments."))
    if not is_public and not policy.can_add_work_note(actor, record):
        raise PermissionDenied(_("Only agents write work notes."))
    kind = TimelineEntry.Kind.COMMENT if is_public else TimelineEntry.Kind.WORK_NOTE
    entry = timeline_add(
        record=record, kind=kind, author=actor, body=body, is_public=is_public, uploads=uploads, data=data
    )
    if is_public and body:
        comments_text_append(record, body)
    model = record._meta.model_name
    audit_record(
        actor=actor,
        action=f"{model}.commented" if is_public else f"{model}.work_noted",
        target=record,
        data={"entry": entry.pk, "attachments": len(uploads)},
    )
    return entry


def comment_search_fields(is_public: bool) -> list[str]:
    """The fields a comment's save writes besides the caller's: a public comment's search text."""
    return ["search_comments"] if is_public else []


def files_add(*, record, actor, uploads, is_public: bool = True) -> TimelineEntry:
    """Files without a comment on a record the caller has locked; internal files (for those who may
    write work notes) stay out of the requester's view. The version moves on; audited."""
    uploads = list(uploads)
    if not uploads:
        raise ValidationError({"attachments": _("Choose a file.")})
    _check_files(uploads)
    policy = kind_of(record).policy
    if not policy.can_comment(actor, record):
        raise PermissionDenied(_("This record takes no more files."))
    if not is_public and not policy.can_add_work_note(actor, record):
        raise PermissionDenied(_("Only agents add internal files."))
    entry = timeline_add(
        record=record, kind=TimelineEntry.Kind.ATTACHMENT, author=actor, is_public=is_public, uploads=uploads
    )
    record_save(record, [])
    audit_record(
        actor=actor, action=f"{record._meta.model_name}.attached", target=record, data={"entry": entry.pk}
    )
    return entry


def record_comment(
    *, record, actor, body: str, is_public: bool = True, uploads=(), data: dict | None = None
) -> TimelineEntry:
    """A comment or work note for a kind with no rules of its own about them: the entry, the version
    moved on, and the kind's `commented` / `work_noted` event."""
    with transaction.atomic():
        record = record_lock(record)
        entry = comment_add(
            record=record, actor=actor, body=body, is_public=is_public, uploads=uploads, data=data
        )
        record_save(record, comment_search_fields(is_public))
        publisher(record)(
            record=record,
            event="commented" if is_public else "work_noted",
            actor=actor,
            entry=entry,
            data={"entry": entry.pk},
        )
        return entry


def record_attach(*, record, actor, uploads, is_public: bool = True) -> TimelineEntry:
    """Files without a comment, on the record's locked row (`files_add`)."""
    with transaction.atomic():
        record = record_lock(record)
        return files_add(record=record, actor=actor, uploads=uploads, is_public=is_public)
