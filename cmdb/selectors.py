"""Reads of the CMDB, each through the policy: what a user may not see does not exist for them."""

from django.db import connection
from django.db.models import Q, QuerySet

from servicedesk.errors import NotFound

from .models import CIClass, CIRelationship, ConfigurationItem, RelationshipType
from .permissions import CMDBPolicy


def ci_list_for_user(*, user) -> QuerySet[ConfigurationItem]:
    return CMDBPolicy.cis_visible_to(user).select_related("ci_class", "owner", "support_group", "location")


def ci_get_for_user(*, user, pk) -> ConfigurationItem:
    found = ci_list_for_user(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def ci_class_list_for_user(*, user) -> QuerySet[CIClass]:
    return CMDBPolicy.classes_visible_to(user).select_related("parent")


def ci_class_get_for_user(*, user, pk) -> CIClass:
    found = ci_class_list_for_user(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def ci_class_with_subclasses(ci_class: CIClass) -> QuerySet[CIClass]:
    return CIClass.objects.filter(path__startswith=ci_class.path)


def relationship_list_for_user(*, user) -> QuerySet[CIRelationship]:
    return CMDBPolicy.relationships_visible_to(user).select_related(
        "type", "source__ci_class", "target__ci_class"
    )


def relationship_get_for_user(*, user, pk) -> CIRelationship:
    found = relationship_list_for_user(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def relationship_type_list_for_user(*, user) -> QuerySet[RelationshipType]:
    return CMDBPolicy.relationship_types_visible_to(user)


def ci_relationships(*, user, ci: ConfigurationItem) -> tuple[list[CIRelationship], list[CIRelationship]]:
    """(outgoing, incoming) relationships of a CI, each with its type and the CI at the other end."""
    visible = relationship_list_for_user(user=user)
    return list(visible.filter(source=ci)), list(visible.filter(target=ci))


def business_service_list() -> QuerySet[ConfigurationItem]:
    """The service catalogue: business-service CIs (the class and its subclasses) that are not retired."""
    return ConfigurationItem.objects.filter(
        Q(ci_class__path__startswith="/business_service/"), ~Q(status=ConfigurationItem.Status.RETIRED)
    )


def ci_densest(count: int = 5) -> list[ConfigurationItem]:
    """The `count` CIs with the most relationships (either end), densest first: where impact analysis
    reaches furthest, for the benchmark (`make bench`)."""
    table = connection.ops.quote_name(CIRelationship._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT ci FROM (SELECT source_id AS ci FROM {table} UNION ALL SELECT target_id FROM {table}) e
                GROUP BY ci ORDER BY count(*) DESC, ci LIMIT %s""",  # noqa: S608 (the model's table)
            [count],
        )
        ids = [row[0] for row in cursor.fetchall()]
    found = ConfigurationItem.objects.select_related("ci_class").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]
