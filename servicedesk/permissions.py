"""Who may see and change people, organisations, support groups and tokens."""

from django.db.models import QuerySet

from .models import ApiToken, Organisation, SupportGroup, User


def _is_anonymous(user) -> bool:
    return user is None or not user.is_authenticated


class UserPolicy:
    """Agents see everyone; anyone else sees only themselves."""

    @staticmethod
    def visible_to(user) -> QuerySet[User]:
        if _is_anonymous(user):
            return User.objects.none()
        if user.has_perm("servicedesk.view_user"):
            return User.objects.all()
        return User.objects.filter(pk=user.pk)

    @staticmethod
    def can_create(user) -> bool:
        return not _is_anonymous(user) and user.has_perm("servicedesk.add_user")

    @staticmethod
    def can_change(user, target: User) -> bool:
        return not _is_anonymous(user) and user.has_perm("servicedesk.change_user")


class OrganisationPolicy:
    """Agents see every organisation; a requester sees their own."""

    @staticmethod
    def visible_to(user) -> QuerySet[Organisation]:
        if _is_anonymous(user):
            return Organisation.objects.none()
        if user.has_perm("servicedesk.view_organisation"):
            return Organisation.objects.all()
        return Organisation.objects.filter(pk=user.organisation_id)

    @staticmethod
    def can_create(user) -> bool:
        return not _is_anonymous(user) and user.has_perm("servicedesk.add_organisation")

    @staticmethod
    def can_change(user, organisation: Organisation) -> bool:
        return not _is_anonymous(user) and user.has_perm("servicedesk.change_organisation")


class SupportGroupPolicy:
    """Agents see every group; others see the groups they belong to."""

    @staticmethod
    def visible_to(user) -> QuerySet[SupportGroup]:
        if _is_anonymous(user):
            return SupportGroup.objects.none()
        if user.has_perm("servicedesk.view_supportgroup"):
            return SupportGroup.objects.all()
        return SupportGroup.objects.filter(members=user)

    @staticmethod
    def can_create(user) -> bool:
        return not _is_anonymous(user) and user.has_perm("servicedesk.add_supportgroup")

    @staticmethod
    def can_change(user, group: SupportGroup) -> bool:
        return not _is_anonymous(user) and user.has_perm("servicedesk.change_supportgroup")

    @staticmethod
    def can_choose_default(user) -> bool:
        """Which group takes the records that no rule routes: an administrator's setting."""
        return not _is_anonymous(user) and user.has_perm("servicedesk.change_supportgroup")

    @staticmethod
    def can_manage_members(user, group: SupportGroup) -> bool:
        """Administrators manage every group's members; a group manager those of their own groups."""
        if _is_anonymous(user):
            return False
        if user.has_perm("servicedesk.change_supportgroup"):
            return True
        return group.manager_id == user.pk and user.has_perm("servicedesk.manage_members")


class ApiTokenPolicy:
    """A token belongs to its user; administrators may revoke anyone's."""

    @staticmethod
    def can_revoke(user, token: ApiToken) -> bool:
        if _is_anonymous(user):
            return False
        return token.user_id == user.pk or user.has_perm("servicedesk.change_apitoken")
