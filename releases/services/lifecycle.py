"""Raising and editing releases, and what they bundle. Transitions are the kernel's (`record_transition`)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from changes.models import Change
from cmdb.models import ConfigurationItem
from cmdb.selectors import business_service_list
from servicedesk.errors import PermissionDenied
from servicedesk.models import SupportGroup, User
from servicedesk.records.linking import record_link, record_unlink
from servicedesk.records.services import record_lock, record_note_changes, record_save, related_labels
from servicedesk.selectors import agent_list
from servicedesk.services import audit_record
from servicedesk.services.audit import apply_changes
from servicedesk.services.numbering import number_allocate

from .. import workflow as wf
from ..links import RELEASE_CHANGES
from ..models import Release, ReleaseType
from ..permissions import ReleasePolicy
from ..records import RELEASE_KIND
from .events import release_publish

PREFIX = RELEASE_KIND.prefix
DATE_FIELDS = ("planned_start", "planned_end")
# What may change while the release is prepared (planning, building, testing).
EDITABLE_FIELDS = (
    "title", "description", "release_type", "release_version", "support_group", "assignee", "test_lead",
    "backout_plan", *DATE_FIELDS,
)  # fmt: skip
CI_FIELDS = ("services", "target_cis")
MAX_SERVICES = 200
MAX_TARGET_CIS = 10_000
MAX_CHANGES = 100


def _text(value, field: str, *, required: bool = False, max_length: int | None = None) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: _("This field cannot be blank.")})
    if max_length is not None and len(text) > max_length:
        raise ValidationError({field: _("At most %(count)d characters.") % {"count": max_length}})
    return text


def _validate_people(*, assignee, test_lead, group) -> None:
    if group is not None and not group.is_active:
        raise ValidationError({"support_group": _("This group is not active.")})
    if assignee is not None and not agent_list(perm=wf.MANAGE_PERMISSION).filter(pk=assignee.pk).exists():
        raise ValidationError({"assignee": _("%(name)s does not manage releases.") % {"name": assignee}})
    if test_lead is not None and not agent_list(perm=wf.WORK_PERMISSION).filter(pk=test_lead.pk).exists():
        raise ValidationError({"test_lead": _("%(name)s does not work on releases.") % {"name": test_lead}})


def _validate_dates(start, end) -> None:
    if (start is None) != (end is None):
        field = "planned_end" if end is None else "planned_start"
        raise ValidationError({field: _("Give both the planned start and the planned end.")})
    if start is not None and end <= start:
        raise ValidationError({"planned_end": _("The planned end must be after the planned start.")})


def _type(value) -> str:
    if value not in ReleaseType.values:
        raise ValidationError({"release_type": _("Choose one of the listed values.")})
    return value


def _cis(values, field: str) -> list[ConfigurationItem]:
    cis = list(dict.fromkeys(values or ()))
    limit = MAX_SERVICES if field == "services" else MAX_TARGET_CIS
    if len(cis) > limit:
        raise ValidationError({field: _("At most %(count)d CIs.") % {"count": limit}})
    if field == "services" and cis:
        services = set(
            business_service_list().filter(pk__in=[ci.pk for ci in cis]).values_list("pk", flat=True)
        )
        if any(ci.pk not in services for ci in cis):
            raise ValidationError({"services": _("Choose business services from the catalogue.")})
    return cis


@transaction.atomic
def release_create(
    *,
    actor: User,
    title: str,
    release_version: str,
    release_type: str = ReleaseType.MINOR,
    description: str = "",
    services=(),
    target_cis=(),
    planned_start=None,
    planned_end=None,
    backout_plan: str = "",
    support_group: SupportGroup | None = None,
    assignee: User | None = None,
    test_lead: User | None = None,
    changes=(),
) -> Release:
    """Raise a release (Planning) with what it targets and the approved changes it bundles (linked on
    both timelines). Raises PermissionDenied unless the actor may raise releases, ValidationError for bad
    input, Conflict for a change another release has or that is not approved."""
    if not ReleasePolicy.can_file(actor):
        raise PermissionDenied(_("You may not raise releases."))
    _validate_dates(planned_start, planned_end)
    _validate_people(assignee=assignee, test_lead=test_lead, group=support_group)
    services = _cis(services, "services")
    cis = _cis(target_cis, "target_cis")
    changes = list(dict.fromkeys(changes or ()))
    if len(changes) > MAX_CHANGES:
        raise ValidationError({"changes": _("At most %(count)d changes.") % {"count": MAX_CHANGES}})
    record = Release(
        status=wf.PLANNING,
        title=_text(title, "title", required=True, max_length=200),
        release_version=_text(release_version, "release_version", required=True, max_length=64),
        release_type=_type(release_type),
        description=description or "",
        planned_start=planned_start,
        planned_end=planned_end,
        backout_plan=backout_plan or "",
        support_group=support_group,
        assignee=assignee,
        test_lead=test_lead,
    )
    record.number = number_allocate(prefix=PREFIX)[0]
    record.requester = actor
    record.created_by = actor
    record.save()
    if services:
        record.services.set(services)
    if cis:
        record.target_cis.set(cis)
    data = {"type": record.release_type, "version": record.release_version, "status": record.status}
    audit_record(actor=actor, action="release.created", target=record, data=data)
    release_publish(record=record, event="created", actor=actor, data=data)
    for change in changes:
        release_change_add(actor=actor, release=record, change=change)
    record.refresh_from_db()
    return record


def release_update(
    *, record: Release, actor: User, expected_version: int | None = None, **changes
) -> Release:
    """Change what may still change: while the release is prepared, its name, version, type, people,
    dates, back-out plan, services and target CIs; from the go/no-go on, only its dates (a release
    manager's). Each change is a field-change entry and an audit event. Raises PermissionDenied,
    ValidationError or StaleWrite."""
    unknown = set(changes) - {*EDITABLE_FIELDS, *CI_FIELDS}
    if unknown:
        raise ValidationError({field: _("This field cannot be changed here.") for field in sorted(unknown)})
    with transaction.atomic():
        record = record_lock(record, expected_version=expected_version)
        if not ReleasePolicy.can_edit(actor, record):
            raise PermissionDenied(_("You may not change this release."))
        if record.status not in wf.PREPARING_STATUSES:
            frozen = sorted(set(changes) - set(DATE_FIELDS))
            if frozen:
                raise ValidationError(
                    {field: _("At its go/no-go or later: only the dates may change now.") for field in frozen}
                )
        ci_changes = {name: _cis(changes.pop(name), name) for name in CI_FIELDS if name in changes}
        if "title" in changes:
            changes["title"] = _text(changes["title"], "title", required=True, max_length=200)
        if "release_version" in changes:
            changes["release_version"] = _text(
                changes["release_version"], "release_version", required=True, max_length=64
            )
        if "release_type" in changes:
            changes["release_type"] = _type(changes["release_type"])
        _validate_people(
            assignee=changes.get("assignee"),
            test_lead=changes.get("test_lead"),
            group=changes.get("support_group"),
        )
        _validate_dates(
            changes.get("planned_start", record.planned_start), changes.get("planned_end", record.planned_end)
        )
        labels = related_labels(record, list(changes))
        diff = apply_changes(record, changes)
        for name, cis in ci_changes.items():
            manager = getattr(record, name)
            before = sorted(manager.values_list("pk", flat=True))
            after = sorted(ci.pk for ci in cis)
            if before != after:
                manager.set(cis)
                diff[name] = {"from": before, "to": after}
        if not diff:
            return record
        record_save(record, [field for field in diff if field not in CI_FIELDS])
        record_note_changes(record=record, actor=actor, action="release.updated", diff=diff, before=labels)
        release_publish(record=record, event="updated", actor=actor, data={"changed": sorted(diff)})
        return record


def release_change_add(*, actor: User, release: Release, change: Change):
    """Bundle `change` into `release`: the release implements it from now on. An approved or scheduled
    change, in no other release, while the release is prepared (Conflict otherwise); PermissionDenied
    unless the actor may bundle."""
    if actor is not None and not ReleasePolicy.can_bundle(actor, release):
        raise PermissionDenied(_("You may not change what this release bundles."))
    return record_link(actor=actor, link_type=RELEASE_CHANGES, source=release, target=change)


def release_change_remove(*, actor: User, release: Release, change: Change) -> None:
    """Take `change` out of `release` (while it is prepared): it is implemented on its own again."""
    if actor is not None and not ReleasePolicy.can_bundle(actor, release):
        raise PermissionDenied(_("You may not change what this release bundles."))
    record_unlink(actor=actor, link_type=RELEASE_CHANGES, record=release, other=change)
