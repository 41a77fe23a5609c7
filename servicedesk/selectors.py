"""Reads of people, organisations, groups, tokens and audit, each through its policy."""

from django.db.models import Prefetch, Q, QuerySet

from .errors import NotFound
from .models import AGENT_PERMISSION, ApiToken, AuditEvent, Organisation, SupportGroup, User
from .permissions import OrganisationPolicy, SupportGroupPolicy, UserPolicy


def user_list_for_user(*, user) -> QuerySet[User]:
    return (
        UserPolicy.visible_to(user)
        .select_related("organisation")
        .prefetch_related("groups", Prefetch("support_groups", SupportGroup.objects.only("id", "name")))
    )


def user_get_for_user(*, user, pk) -> User:
    """The user with this id if `user` may see them; NotFound otherwise."""
    found = user_list_for_user(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def organisation_list_for_user(*, user) -> QuerySet[Organisation]:
    return OrganisationPolicy.visible_to(user)


def organisation_get_for_user(*, user, pk) -> Organisation:
    found = organisation_list_for_user(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def support_group_list_for_user(*, user) -> QuerySet[SupportGroup]:
    members = User.objects.select_related("organisation").order_by("full_name", "username")
    return (
        SupportGroupPolicy.visible_to(user)
        .select_related("manager", "escalation_group")
        .prefetch_related(Prefetch("members", members))
    )


def support_group_get_for_user(*, user, pk) -> SupportGroup:
    found = support_group_list_for_user(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def support_groups_of_member(*, user) -> QuerySet[SupportGroup]:
    """The groups `user` belongs to, with their members, for the agent's home page."""
    return support_group_list_for_user(user=user).filter(members=user)


def support_group_default() -> SupportGroup | None:
    """The group that records no rule routes go to: the one flagged default (active, by constraint), or
    None when an administrator chose none."""
    return SupportGroup.objects.filter(is_default=True, is_active=True).first()


def users_with_perm(perm: str) -> QuerySet[User]:
    """Active people who hold `perm` ("app_label.codename") through a role, directly or as superusers:
    `user.has_perm(perm)` as a query, for lists of many people."""
    app_label, codename = perm.split(".", 1)
    held = Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label)
    held |= Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
    people = User.objects.filter(Q(is_active=True) & (held | Q(is_superuser=True)))
    return User.objects.filter(pk__in=people.values("pk"))


def agent_list(*, group: SupportGroup | None = None, perm: str | None = None) -> QuerySet[User]:
    """Agents, by name: active people who may use the agent workspace (`User.is_agent`, the one
    definition of an agent), members of `group` when given, also holding `perm` when given."""
    agents = users_with_perm(AGENT_PERMISSION)
    if perm is not None:
        agents = agents.filter(pk__in=users_with_perm(perm).values("pk"))
    if group is not None:
        agents = agents.filter(support_groups=group)
    return agents.order_by("full_name", "username")


def support_group_agents(*, group: SupportGroup) -> QuerySet[User]:
    """The members of `group` who are agents: the only people told about the group's records. A member
    who is no longer an agent (a role removed) stays a member but hears nothing."""
    return agent_list(group=group)


def api_token_list(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def api_token_get_for_user(*, user, pk) -> ApiToken:
    found = api_token_list(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def audit_event_list_for_user(*, user) -> QuerySet[AuditEvent]:
    if not user.has_perm("servicedesk.view_auditevent"):
        return AuditEvent.objects.none()
    return AuditEvent.objects.select_related("content_type")
