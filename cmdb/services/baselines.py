"""Baselines: snapshots of CIs with their attributes and relationships, diffs against today, restores."""

import json

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cmdb import schemas
from cmdb.models import Baseline, BaselineItem, CIClass, CIRelationship, ConfigurationItem
from cmdb.models.items import IDENTIFIER_FIELDS
from cmdb.permissions import CMDBPolicy
from servicedesk.concurrency import version_field
from servicedesk.errors import PermissionDenied
from servicedesk.services.audit import apply_changes, audit_record

from .common import VIA_WEB, authorise
from .items import ci_update

SNAPSHOT_FIELDS = (
    "name",
    "status",
    "environment",
    "version",
    "description",
    *IDENTIFIER_FIELDS,
)
SNAPSHOT_KEYS = ("ci_class", "owner", "support_group", "location")
BATCH = 1000


def _can_take(user) -> bool:
    return user is not None and user.is_authenticated and user.has_perm("cmdb.add_baseline")


def scope_cis(scope: dict):
    """The CIs a scope names now: classes (with subclasses), a service with all it depends on, or ids."""
    condition = Q()
    codes = scope.get("classes") or []
    for path in CIClass.objects.filter(code__in=codes).values_list("path", flat=True):
        condition |= Q(ci_class__path__startswith=path)
    if scope.get("cis"):
        condition |= Q(pk__in=scope["cis"])
    if scope.get("service"):
        from cmdb.impact import ci_impact, max_depth_allowed

        service = ConfigurationItem.objects.filter(pk=scope["service"]).first()
        if service is not None:
            downstream = [
                node.ci.pk
                for node in ci_impact(ci=service, direction="down", max_depth=max_depth_allowed(), limit=None)
            ]
            condition |= Q(pk__in=[service.pk, *downstream])
    if not condition:
        return ConfigurationItem.objects.none()
    return ConfigurationItem.objects.filter(condition)


def _relationships_by_ci(ci_ids) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {pk: [] for pk in ci_ids}
    rows = CIRelationship.objects.filter(Q(source_id__in=ci_ids) | Q(target_id__in=ci_ids)).values_list(
        "source_id", "target_id", "type__code"
    )
    for source, target, code in rows:
        if source in found:
            found[source].append({"type": code, "direction": "out", "ci": target})
        if target in found:
            found[target].append({"type": code, "direction": "in", "ci": source})
    for edges in found.values():
        edges.sort(key=lambda e: (e["type"], e["direction"], e["ci"]))
    return found


def _snapshot_fields(ci: ConfigurationItem) -> dict:
    fields = {name: getattr(ci, name) for name in SNAPSHOT_FIELDS}
    fields.update({name: getattr(ci, f"{name}_id") for name in SNAPSHOT_KEYS})
    return fields


def _scope_of(classes, service, cis) -> dict:
    scope = {}
    if classes:
        scope["classes"] = sorted(classes)
    if service is not None:
        scope["service"] = service.pk
    if cis:
        scope["cis"] = sorted(ci.pk for ci in cis)
    return scope


@transaction.atomic
def baseline_take(
    *, actor, name: str, description: str = "", classes=(), service: ConfigurationItem | None = None, cis=()
) -> Baseline:
    """Snapshot the CIs of the given classes (with subclasses), a service and all it depends on, and
    listed CIs. Raises PermissionDenied, or ValidationError for an empty scope or a taken name."""
    if actor is not None and not _can_take(actor):
        raise PermissionDenied()
    scope = _scope_of(classes, service, cis)
    unknown = set(classes) - set(CIClass.objects.filter(code__in=classes).values_list("code", flat=True))
    if unknown:
        raise ValidationError(
            {"classes": [_("Unknown classes: %(codes)s.") % {"codes": ", ".join(sorted(unknown))}]}
        )
    if not scope:
        raise ValidationError({"non_field_errors": [_("Choose classes, a service or CIs to include.")]})
    baseline = Baseline(name=name, description=description, scope=scope, taken_by=actor if actor else None)
    baseline.full_clean()
    baseline.save()
    items = scope_cis(scope).order_by("pk")
    total = 0
    batch: list[ConfigurationItem] = []
    for ci in items.iterator(chunk_size=BATCH):
        batch.append(ci)
        if len(batch) == BATCH:
            total += _store(baseline, batch)
            batch = []
    total += _store(baseline, batch)
    audit_record(actor=actor, action="baseline.created", target=baseline, data={"scope": scope, "cis": total})
    return baseline


def _store(baseline: Baseline, cis: list[ConfigurationItem]) -> int:
    if not cis:
        return 0
    relationships = _relationships_by_ci([ci.pk for ci in cis])
    BaselineItem.objects.bulk_create(
        BaselineItem(
            baseline=baseline,
            ci=ci,
            ci_key=ci.pk,
            name=ci.name,
            fields=_snapshot_fields(ci),
            attributes=ci.attributes,
            relationships=relationships[ci.pk],
        )
        for ci in cis
    )
    return len(cis)


def _dict_diff(before: dict, after: dict) -> dict:
    keys = sorted(set(before) | set(after))
    return {
        key: {"from": before.get(key), "to": after.get(key)}
        for key in keys
        if before.get(key) != after.get(key)
    }


def baseline_diff(*, baseline: Baseline) -> dict:
    """What changed since the baseline: CIs added to its scope, removed from it (or deleted), and for
    each CI in both, the fields, attributes and relationships that differ."""
    items = {item.ci_key: item for item in baseline.items.all()}
    in_scope = set(scope_cis(baseline.scope).values_list("pk", flat=True))
    current = {
        ci.pk: ci
        for ci in ConfigurationItem.objects.filter(pk__in=in_scope | set(items)).select_related("ci_class")
    }
    common = [pk for pk in items if pk in current and pk in in_scope]
    relationships = _relationships_by_ci(common)
    changed = []
    for pk in sorted(common, key=lambda k: items[k].name):
        item, ci = items[pk], current[pk]
        fields = _dict_diff(item.fields, _snapshot_fields(ci))
        attributes = _dict_diff(item.attributes, ci.attributes)
        before = {(e["type"], e["direction"], e["ci"]) for e in item.relationships}
        now = {(e["type"], e["direction"], e["ci"]) for e in relationships[pk]}
        if fields or attributes or before != now:
            changed.append(
                {
                    "ci": pk,
                    "name": ci.name,
                    "fields": fields,
                    "attributes": attributes,
                    "relationships_added": [
                        dict(zip(("type", "direction", "ci"), e, strict=True)) for e in sorted(now - before)
                    ],
                    "relationships_removed": [
                        dict(zip(("type", "direction", "ci"), e, strict=True)) for e in sorted(before - now)
                    ],
                }
            )
    added = sorted(in_scope - set(items), key=lambda k: current[k].name)
    removed = sorted(
        (pk for pk in items if pk not in in_scope or pk not in current), key=lambda k: items[k].name
    )
    return {
        "added": [{"ci": pk, "name": current[pk].name} for pk in added],
        "removed": [{"ci": pk, "name": items[pk].name, "deleted": pk not in current} for pk in removed],
        "changed": changed,
    }


def restored_fields(item: BaselineItem) -> dict:
    """What a restore puts back on a CI from its baseline item: its version and its attributes."""
    return {"attributes": item.attributes, "version": item.fields.get("version", "")}


def _not_held(cis: list[str]) -> ValidationError:
    return ValidationError(
        {"cis": [_("This baseline does not include: %(names)s.") % {"names": ", ".join(cis[:20])}]}
    )


@transaction.atomic
def baseline_restore_ci(
    *, baseline: Baseline, ci: ConfigurationItem, actor, via: str = VIA_WEB
) -> ConfigurationItem:
    """Put back the attributes and version the CI had in the baseline (for rollbacks).

    Raises ValidationError when the baseline does not hold the CI, or the recorded attributes no longer
    fit the class's schema; PermissionDenied when the actor may not change CIs.
    """
    item = baseline.items.filter(ci_key=ci.pk).first()
    if item is None:
        raise ValidationError({"ci": [_("This baseline does not include the CI.")]})
    ci = ci_update(ci=ci, actor=actor, via=via, **restored_fields(item))
    audit_record(
        actor=actor, action="ci.restored_from_baseline", target=ci, data={"baseline": baseline.pk, "via": via}
    )
    return ci


def _write_restored(cis: list[ConfigurationItem], now) -> None:
    """One UPDATE for a batch of restored CIs: their version, attributes and moved-on revision, joined
    from arrays (Django's `bulk_update` builds a CASE per row and field, seconds of Python per thousand
    rows). Databases without arrays (SQLite, `make run`'s) take `bulk_update`."""
    if connection.vendor != "postgresql":
        fields = ["version", "attributes", version_field(ConfigurationItem), "updated_at"]
        ConfigurationItem.objects.bulk_update(cis, fields, batch_size=BATCH)
        return
    table = connection.ops.quote_name(ConfigurationItem._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS ci SET version = v.version, attributes = v.attributes::jsonb, "  # noqa: S608
            "revision = v.revision, updated_at = %s "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::integer[]) "
            "AS v(id, version, attributes, revision) "
            "WHERE ci.id = v.id",
            [
                now,
                [ci.pk for ci in cis],
                [ci.version for ci in cis],
                [json.dumps(ci.attributes) for ci in cis],
                [ci.revision for ci in cis],
            ],
        )


@transaction.atomic
def baseline_restore_many(*, baseline: Baseline, cis, actor, via: str = VIA_WEB) -> int:
    """`baseline_restore_ci` for many CIs at once (a release's rollback): each CI gets back the version
    and attributes the baseline holds for it (`restored_fields`), in batches of `BATCH` locked rows, each
    batch one update and one insert of history rows (reason `via`), every changed CI's revision moved
    on; one audit event on the baseline for the whole call. A CI already as the baseline has it is not
    written. Returns how many CIs were written.

    All or nothing: raises ValidationError when the baseline does not hold one of the CIs or a recorded
    version of the attributes no longer fits its class's schema (field errors by CI), PermissionDenied
    when the actor (None: the system) may not change CIs.
    """
    authorise(actor, CMDBPolicy.can_change_ci)
    ids = sorted({ci if isinstance(ci, int) else ci.pk for ci in cis})
    user = actor if actor is not None and actor.is_authenticated else None
    schema_of: dict[int, dict] = {}
    restored = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        items = {item.ci_key: item for item in baseline.items.filter(ci_key__in=chunk)}
        missing = [pk for pk in chunk if pk not in items]
        if missing:
            raise _not_held([str(pk) for pk in missing])
        rows = list(
            ConfigurationItem.objects.select_for_update(of=("self",))
            .select_related("ci_class")
            .filter(pk__in=chunk)
            .order_by("pk")
        )
        if len(rows) != len(chunk):
            found = {ci.pk for ci in rows}
            raise _not_held([str(pk) for pk in chunk if pk not in found])
        now = timezone.now()
        changed, errors = [], {}
        for ci in rows:
            if not apply_changes(ci, restored_fields(items[ci.pk])):
                continue
            if ci.ci_class_id not in schema_of:
                schema_of[ci.ci_class_id] = schemas.effective_schema(ci.ci_class)
            for key, messages in schemas.attribute_errors(schema_of[ci.ci_class_id], ci.attributes).items():
                errors[f"{ci.name}: {key}"] = messages
            setattr(ci, version_field(ci), getattr(ci, version_field(ci)) + 1)
            ci.updated_at = now
            changed.append(ci)
        if errors:
            raise ValidationError(errors)
        if changed:
            _write_restored(changed, now)
            ConfigurationItem.history.bulk_history_create(
                changed,
                batch_size=BATCH,
                update=True,
                default_user=user,
                default_change_reason=via,
                default_date=now,
            )
        restored += len(changed)
    audit_record(
        actor=actor,
        action="baseline.restored",
        target=baseline,
        data={"cis": len(ids), "restored": restored, "via": via},
    )
    return restored
