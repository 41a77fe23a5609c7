"""Who may see and change people, organisations, support groups and tokens; and how a user's rights
are read, once per request.

Every policy of every kind asks `user.has_perm(...)` many times a request (is this an agent? may they
resolve?). `PermissionBackend` reads all of the user's permissions, their own and their roles', in one
query, kept on the user object: that object is loaded anew for each request (session or token), so the
answers last one request and are never shared between requests or users. A service that changes a
user's roles forgets them (`forget_permissions`).
"""

from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

from .models import ApiToken, Macro, Organisation, SupportGroup, User

PERMISSION_CACHES = ("_perm_cache", "_user_perm_cache", "_group_perm_cache", "_role_cache")


class PermissionBackend:
    """Reads a user's own and roles' permissions in one query (Django's ModelBackend takes two), into
    the cache ModelBackend reads too (`_perm_cache`): listed before it, it answers every permission
    question and leaves ModelBackend only the sign-in (and the sessions naming it). It signs nobody in
    and loads no user (no `get_user`: test clients and sessions keep naming ModelBackend, or the
    single sign-on backend that signed the user in)."""

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm, obj=None):
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label):
        return any(perm.startswith(f"{app_label}.") for perm in self.get_all_permissions(user_obj))

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            fields = ("content_type__app_label", "codename")
            if user_obj.is_superuser:
                rows = Permission.objects.values_list(*fields).order_by()
            else:
                own = Permission.objects.filter(user=user_obj).values_list(*fields).order_by()
                rows = own.union(
                    Permission.objects.filter(group__user=user_obj).values_list(*fields).order_by()
                )
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in rows}
        return user_obj._perm_cache


def user_roles(user) -> frozenset[str]:
    """The names of the user's roles (Django groups), read once per request (kept with the
    permissions)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    if not hasattr(user, "_role_cache"):
        user._role_cache = frozenset(user.groups.values_list("name", flat=True))
    return user._role_cache


def permissions_prefetch(users) -> None:
    """Read the rights of many users at once (at most three queries, whatever their number) into the
    same per-object cache: for work that asks about many people in one go, such as the SLA sweep's
    notifications, which ask of each record's requester and agents whether they work it."""
    pending: dict[int, list] = {}
    for user in users:
        if user.is_active and not user.is_anonymous and not hasattr(user, "_perm_cache"):
            pending.setdefault(user.pk, []).append(user)
    if not pending:
        return
    fields = ("content_type__app_label", "codename")
    found: dict[int, set[str]] = {pk: set() for pk in pending}
    own = Permission.objects.filter(user__in=pending).values_list("user", *fields).order_by()
    roles = Permission.objects.filter(group__user__in=pending).values_list("group__user", *fields).order_by()
    for user_id, app, codename in own.union(roles, all=True):
        found[user_id].add(f"{app}.{codename}")
    if any(user.is_superuser for same in pending.values() for user in same):
        every = {f"{app}.{codename}" for app, codename in Permission.objects.values_list(*fields).order_by()}
    for pk, same in pending.items():
        for user in same:
            user._perm_cache = set(every) if user.is_superuser else set(found[pk])


def forget_permissions(*users) -> None:
    """Drop what was read of these users' rights (after changing their roles or permissions)."""
    for user in users:
        for name in PERMISSION_CACHES:
            user.__dict__.pop(name, None)


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


class MacroRules:
    """Who uses and who manages macros (canned responses).

    An agent (of at least one kind) uses the active macros that are theirs, their groups' and everyone's
    (global). They manage their own personal macros; a group's manager manages the group's; a macro
    administrator (`servicedesk.change_macro`) manages every macro, and alone makes global ones.
    """

    ADMIN_PERMISSION = "servicedesk.change_macro"

    def is_agent(self, user) -> bool:
        from .kinds import may_work_any_kind

        return user is not None and user.is_authenticated and user.is_active and may_work_any_kind(user)

    def is_admin(self, user) -> bool:
        return self.is_agent(user) and user.has_perm(self.ADMIN_PERMISSION)

    def usable_by(self, user) -> QuerySet:
        if not self.is_agent(user):
            return Macro.objects.none()
        groups = SupportGroup.objects.filter(members=user).values("pk")
        return Macro.objects.filter(
            Q(owner=user) | Q(group__in=groups) | Q(owner__isnull=True, group__isnull=True),
            is_active=True,
        )

    def manageable_by(self, user) -> QuerySet:
        if not self.is_agent(user):
            return Macro.objects.none()
        if self.is_admin(user):
            return Macro.objects.all()
        return Macro.objects.filter(Q(owner=user) | Q(group__manager=user))

    def can_manage_scope(self, user, *, owner, group) -> bool:
        """May `user` keep a macro with this owner and group (personal, a group's, or global)?"""
        if not self.is_agent(user):
            return False
        if self.is_admin(user):
            return True
        if owner is not None:
            return owner.pk == user.pk
        if group is not None:
            return group.manager_id == user.pk
        return False

    def can_manage(self, user, macro) -> bool:
        return self.can_manage_scope(user, owner=macro.owner, group=macro.group)

    def can_use(self, user, macro) -> bool:
        return self.usable_by(user).filter(pk=macro.pk).exists()


MacroPolicy = MacroRules()
