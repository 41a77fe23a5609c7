"""Who may see and change the CMDB: agents read, configuration managers write, requesters see nothing."""

from django.db.models import QuerySet

from .models import CIClass, CIRelationship, ConfigurationItem, RelationshipType


def _can(user, perm: str) -> bool:
    return user is not None and user.is_authenticated and user.has_perm(perm)


class CMDBPolicy:
    """Visibility and rights over classes, CIs, relationship types and relationships."""

    @staticmethod
    def can_view(user) -> bool:
        return _can(user, "cmdb.view_configurationitem")

    @staticmethod
    def cis_visible_to(user) -> QuerySet[ConfigurationItem]:
        return (
            ConfigurationItem.objects.all() if CMDBPolicy.can_view(user) else ConfigurationItem.objects.none()
        )

    @staticmethod
    def classes_visible_to(user) -> QuerySet[CIClass]:
        return CIClass.objects.all() if _can(user, "cmdb.view_ciclass") else CIClass.objects.none()

    @staticmethod
    def relationships_visible_to(user) -> QuerySet[CIRelationship]:
        if _can(user, "cmdb.view_cirelationship"):
            return CIRelationship.objects.all()
        return CIRelationship.objects.none()

    @staticmethod
    def relationship_types_visible_to(user) -> QuerySet[RelationshipType]:
        if _can(user, "cmdb.view_relationshiptype"):
            return RelationshipType.objects.all()
        return RelationshipType.objects.none()

    @staticmethod
    def can_create_ci(user) -> bool:
        return _can(user, "cmdb.add_configurationitem")

    @staticmethod
    def can_change_ci(user, ci=None) -> bool:
        return _can(user, "cmdb.change_configurationitem")

    @staticmethod
    def can_import(user) -> bool:
        return _can(user, "cmdb.import_configurationitem")

    @staticmethod
    def can_manage_classes(user) -> bool:
        return _can(user, "cmdb.add_ciclass") and _can(user, "cmdb.change_ciclass")

    @staticmethod
    def can_edit_raw_attributes(user) -> bool:
        """The JSON editor of a CI's attributes (the advanced option beside the generated form) is for
        those who write the classes' schemas."""
        return CMDBPolicy.can_manage_classes(user)

    @staticmethod
    def can_relate(user) -> bool:
        return _can(user, "cmdb.add_cirelationship")

    @staticmethod
    def can_unrelate(user) -> bool:
        return _can(user, "cmdb.delete_cirelationship")
