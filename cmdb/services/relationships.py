"""Relationships between CIs: typed, directed, never duplicated, never a CI to itself."""

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from cmdb.models import CIRelationship, ConfigurationItem, RelationshipType
from cmdb.permissions import CMDBPolicy
from servicedesk.concurrency import lock
from servicedesk.services.audit import audit_record

from .common import VIA_WEB, authorise, constraint_as_validation_error, mark_history, raise_if


def _duplicates(source, target, rel_type: RelationshipType):
    same = Q(source=source, target=target, type=rel_type)
    if rel_type.is_symmetric:
        same |= Q(source=target, target=source, type=rel_type)
    return CIRelationship.objects.filter(same)


@transaction.atomic
def relationship_create(
    *,
    actor,
    source: ConfigurationItem,
    target: ConfigurationItem,
    type: RelationshipType,
    description: str = "",
    via: str = VIA_WEB,
) -> CIRelationship:
    """Relate `source` to `target`. A symmetric type counts A-B and B-A as the same relationship.

    Raises PermissionDenied, or ValidationError for a self-loop or a duplicate.
    """
    authorise(actor, CMDBPolicy.can_relate)
    if source.pk == target.pk:
        raise_if({"target": [_("A CI cannot be related to itself.")]})
    if _duplicates(source, target, type).exists():
        raise_if({"non_field_errors": [_("These CIs are already related this way.")]})
    relationship = CIRelationship(source=source, target=target, type=type, description=description)
    mark_history(relationship, actor, via)
    with constraint_as_validation_error(_("These CIs are already related this way.")):
        relationship.save()
    audit_record(
        actor=actor,
        action="ci.relationship_created",
        target=source,
        data={"relationship": relationship.pk, "type": type.code, "target": target.pk, "via": via},
    )
    return relationship


@transaction.atomic
def relationship_delete(
    *, actor, relationship: CIRelationship, via: str = VIA_WEB, expected_version: int | None = None
) -> None:
    """Remove a relationship; its history keeps it. Raises PermissionDenied, or StaleWrite for an
    out-of-date `expected_version` (its revision)."""
    authorise(actor, CMDBPolicy.can_unrelate)
    relationship = lock(relationship, expected=expected_version)
    mark_history(relationship, actor, via)
    audit_record(
        actor=actor,
        action="ci.relationship_deleted",
        target=relationship.source,
        data={
            "relationship": relationship.pk,
            "type": relationship.type.code,
            "target": relationship.target_id,
            "via": via,
        },
    )
    relationship.delete()
