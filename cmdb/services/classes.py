"""CI classes: created and edited by configuration managers; schemas checked against inheritance."""

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Now, Substr
from django.utils.translation import gettext as _

from cmdb import schemas
from cmdb.models import CIClass, ConfigurationItem
from cmdb.permissions import CMDBPolicy
from servicedesk.concurrency import lock, save_changed
from servicedesk.services.audit import apply_changes, audit_record

from .common import authorise, raise_if

MAX_REPORTED_CIS = 10


def _inherited(parent: CIClass | None) -> dict:
    return schemas.effective_schema(parent) if parent else schemas.merge([])


@transaction.atomic
def ci_class_create(
    *,
    actor,
    code: str,
    name: str,
    parent: CIClass | None = None,
    description: str = "",
    attribute_schema=None,
) -> CIClass:
    """Create a class under `parent`. Raises PermissionDenied, or ValidationError for a bad schema."""
    authorise(actor, CMDBPolicy.can_manage_classes)
    attribute_schema = attribute_schema or {}
    raise_if(schemas.fragment_errors(attribute_schema, _inherited(parent)))
    ci_class = CIClass(
        code=code,
        name=name,
        parent=parent,
        description=description,
        attribute_schema=attribute_schema,
        path=f"{parent.path if parent else '/'}{code}/",
    )
    ci_class.full_clean()
    ci_class.save()
    audit_record(
        actor=actor, action="ci_class.created", target=ci_class, data={"code": code, "path": ci_class.path}
    )
    return ci_class


def _subtree_schemas(ci_class: CIClass, parent: CIClass | None, fragment: dict) -> dict[int, dict]:
    """The effective schema of every class in `ci_class`'s subtree, were it to have this parent and
    fragment. Raises ValidationError when a subclass's fragment would no longer fit."""
    result: dict[int, dict] = {}
    for c in CIClass.objects.filter(path__startswith=ci_class.path).order_by("path"):
        own = fragment if c.pk == ci_class.pk else c.attribute_schema
        above = _inherited(parent) if c.pk == ci_class.pk else result[c.parent_id]
        for messages in schemas.fragment_errors(own, above).values():
            raise_if(
                {
                    "attribute_schema": [
                        _("Subclass %(code)s: %(error)s") % {"code": c.code, "error": message}
                        for message in messages
                    ]
                }
            )
        result[c.pk] = schemas.merge([above, own])
    return result


def _nonconforming_cis(schema_by_class: dict[int, dict]) -> list[str]:
    """Names of CIs whose attributes their class's new schema would reject (the first few)."""
    failing = []
    items = ConfigurationItem.objects.filter(ci_class__in=list(schema_by_class)).only(
        "name", "ci_class", "attributes"
    )
    for ci in items.iterator(chunk_size=2000):
        if schemas.attribute_errors(schema_by_class[ci.ci_class_id], ci.attributes):
            failing.append(ci.name)
            if len(failing) >= MAX_REPORTED_CIS:
                break
    return failing


@transaction.atomic
def ci_class_update(*, ci_class: CIClass, actor, expected_version: int | None = None, **fields) -> CIClass:
    """Change a class's name, description, schema or parent.

    A new schema must suit the inherited one and every subclass, and must still accept every existing
    CI of the class and its subclasses. Moving a class moves its subtree. Raises PermissionDenied,
    ValidationError, or StaleWrite for an out-of-date `expected_version` (its revision).
    """
    authorise(actor, CMDBPolicy.can_manage_classes)
    ci_class = lock(ci_class, expected=expected_version)
    old_path = ci_class.path
    if "code" in fields and fields.pop("code") != ci_class.code:
        raise_if({"code": [_("A class's code cannot change: imports and integrations use it.")]})
    new_parent = fields.get("parent", ci_class.parent)
    if new_parent is not None and new_parent.path.startswith(old_path):
        raise_if({"parent": [_("A class cannot be moved under itself or its subclasses.")]})
    if "attribute_schema" in fields or "parent" in fields:
        fragment = fields.get("attribute_schema", ci_class.attribute_schema)
        raise_if(schemas.fragment_errors(fragment, _inherited(new_parent)))
        failing = _nonconforming_cis(_subtree_schemas(ci_class, new_parent, fragment))
        if failing:
            raise_if(
                {
                    "attribute_schema": [
                        _("Existing CIs would no longer be valid: %(names)s.") % {"names": ", ".join(failing)}
                    ]
                }
            )
    diff = apply_changes(ci_class, fields)
    if not diff:
        return ci_class
    if "parent" in diff:
        ci_class.path = f"{new_parent.path if new_parent else '/'}{ci_class.code}/"
    ci_class.full_clean()
    save_changed(ci_class, [*diff, "path"])
    if ci_class.path != old_path:
        CIClass.objects.filter(path__startswith=old_path).exclude(pk=ci_class.pk).update(
            path=Concat(Value(ci_class.path), Substr("path", len(old_path) + 1)),
            revision=F("revision") + 1,
            updated_at=Now(),
        )
    audit_record(actor=actor, action="ci_class.updated", target=ci_class, data={"changes": diff})
    return ci_class
