"""What every incident service does: lock the row, check the client's version, record the change."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from servicedesk import concurrency
from servicedesk.models import SupportGroup, TimelineEntry, User
from servicedesk.selectors import support_group_default
from servicedesk.services import audit_record
from servicedesk.services.timeline import timeline_add

from .. import workflow as wf
from ..models import Incident


def lock(record: Incident, *, expected_version: int | None = None) -> Incident:
    """The record's row, locked for this transaction; StaleWrite if it moved past `expected_version`."""
    return concurrency.lock(record, expected=expected_version)


def save(record: Incident, fields) -> None:
    """Save the named fields and move the version on, so every write changes the ETag."""
    concurrency.save_changed(record, fields)


def related_labels(record: Incident, fields) -> dict[str, str]:
    """What the relation fields among `fields` show now (names, not ids), for the timeline."""
    labels = {}
    for field in fields:
        if field == "affected_cis":
            labels[field] = ", ".join(ci.name for ci in record.affected_cis.order_by("name"))
        elif record._meta.get_field(field).is_relation:
            value = getattr(record, field)
            labels[field] = str(value) if value is not None else ""
    return labels


def note_changes(
    *, record: Incident, actor, action: str, diff: dict, before: dict | None = None, public: bool = False
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


def validate_agent(user: User | None, *, group: SupportGroup | None, field: str = "assignee") -> None:
    """An assignee is an active agent and, when the record has a group, one of its members."""
    if user is None:
        return
    if not wf.is_agent(user):
        raise ValidationError({field: _("%(name)s is not an agent.") % {"name": user}})
    if group is not None and not group.members.filter(pk=user.pk).exists():
        raise ValidationError(
            {
                field: _("%(name)s is not a member of %(group)s; choose one of its members.")
                % {"name": user.get_full_name(), "group": group.name}
            }
        )


def default_group(*, request_type=None, service=None) -> SupportGroup | None:
    """Where a new record goes when nobody chose: the request type's group, the service's, else the
    default group an administrator named; None when there is none (the record waits without a group in
    every agent's unassigned queue)."""
    for candidate in (
        getattr(request_type, "support_group", None),
        getattr(request_type.service, "support_group", None) if request_type else None,
        getattr(service, "support_group", None),
    ):
        if candidate is not None and candidate.is_active:
            return candidate
    return support_group_default()
