"""Changing many CIs at once (a release's wave updating the CIs it deployed to): validated as `ci_update`
validates one, written in a few batched statements with their history, audited once per batch."""

import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cmdb import schemas
from cmdb.models import CIClass, ConfigurationItem
from cmdb.permissions import CMDBPolicy
from servicedesk.bulkwrite import bulk_write
from servicedesk.concurrency import version_field
from servicedesk.services.audit import audit_record

from .common import authorise, raise_if

# What a bulk update may set: none of these is unique or related, so no row needs a query of its own.
BULK_FIELDS = ("version", "environment", "description", "attributes")
BATCH = 2000


def _schemas_by_class(class_ids) -> dict[int, dict]:
    """The effective attribute schema of each class, its ancestors read with it (one query)."""
    classes = {c.pk: c for c in CIClass.objects.filter(pk__in=class_ids)}
    codes = {code for c in classes.values() for code in c.path.split("/") if code}
    by_code = {c.code: c for c in CIClass.objects.filter(code__in=codes)}
    found = {}
    for pk, ci_class in classes.items():
        chain = [by_code[code] for code in ci_class.path.split("/") if code in by_code]
        found[pk] = schemas.effective_schema(ci_class, chain)
    return found


def _field_errors(ci: ConfigurationItem, names) -> dict[str, list[str]]:
    errors = {}
    for name in names:
        if name == "attributes":
            continue
        try:
            ConfigurationItem._meta.get_field(name).clean(getattr(ci, name), ci)
        except ValidationError as exc:
            errors[name] = exc.messages
    return errors


@transaction.atomic
def ci_update_many(
    *,
    updates: list[tuple[ConfigurationItem, dict]],
    actor,
    via: str,
    merge_attributes: bool = False,
    on_behalf_of=None,
    audit: bool = True,
) -> list[ConfigurationItem]:
    """Set `fields` (among BULK_FIELDS) on each CI of `updates`, as `ci_update` would one by one, on the
    rows read again and locked (only each CI's pk is used); with `merge_attributes`, the attributes given
    are merged over each CI's own. Attributes are validated against each CI's class schema; every error
    is reported, keyed by field and led by the CI's name, and nothing is written.

    The CIs that change are written in batches of one UPDATE each (`bulk_write`) and their history with
    simple-history's `bulk_history_create` (history user `actor`, change reason `via`, e.g.
    "release:REL0000001"), each one's revision moved on; one audit event `ci.updated_many` names them
    all (`audit=False`: the caller records its own, as a baseline's restore does). Nothing changes,
    nothing is written. `actor` None is the system (another process's service that authorised the work
    itself), which may name `on_behalf_of`: the person the history and the audit record. Returns the
    CIs changed. Raises PermissionDenied or ValidationError."""
    authorise(actor, lambda a: CMDBPolicy.can_change_ci(a))
    wanted: dict[int, dict] = {}
    for ci, fields in updates:
        unknown = set(fields) - set(BULK_FIELDS)
        if unknown:
            raise ValidationError(
                {name: [_("This field cannot be changed here.")] for name in sorted(unknown)}
            )
        wanted.setdefault(ci.pk, {}).update(fields)
    if not wanted:
        return []
    rows = list(ConfigurationItem.objects.select_for_update().filter(pk__in=list(wanted)).order_by("pk"))
    if len(rows) != len(wanted):
        raise ValidationError({"cis": [_("Some of these CIs no longer exist.")]})
    class_schemas = _schemas_by_class({ci.ci_class_id for ci in rows})
    checked: dict[tuple[int, str], dict] = {}  # a wave's CIs share a class and attributes: check once
    changed, names, errors = [], set(), {}
    for ci in rows:
        fields = dict(wanted[ci.pk])
        if merge_attributes and isinstance(fields.get("attributes"), dict):
            fields["attributes"] = {**(ci.attributes or {}), **fields["attributes"]}
        diff = [name for name, value in fields.items() if getattr(ci, name) != value]
        if not diff:
            continue
        for name in diff:
            setattr(ci, name, fields[name])
        found = _field_errors(ci, diff)
        if "attributes" in diff:
            key = (ci.ci_class_id, json.dumps(ci.attributes, sort_keys=True, default=str))
            if key not in checked:
                checked[key] = schemas.attribute_errors(class_schemas[ci.ci_class_id], ci.attributes)
            found.update(checked[key])
        for key, messages in found.items():
            errors.setdefault(key, []).extend(f"{ci.name}: {message}" for message in messages)
        changed.append(ci)
        names.update(diff)
    raise_if(errors)
    if not changed:
        return []
    person = actor if actor is not None else on_behalf_of
    person = person if person is not None and person.is_authenticated else None
    now = timezone.now()
    counter = version_field(ConfigurationItem)
    for ci in changed:
        setattr(ci, counter, getattr(ci, counter) + 1)
        ci.updated_at = now  # bulk_update skips auto_now
    bulk_write(ConfigurationItem, changed, [*sorted(names), counter, "updated_at"])
    ConfigurationItem.history.bulk_history_create(
        changed,
        batch_size=BATCH,
        update=True,
        default_user=person,
        default_change_reason=via,
        default_date=now,
    )
    if not audit:
        return changed
    audit_record(
        actor=person,
        action="ci.updated_many",
        data={"via": via, "fields": sorted(names), "count": len(changed), "cis": [ci.pk for ci in changed]},
    )
    return changed
