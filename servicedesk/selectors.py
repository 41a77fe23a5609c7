"""Reads of people, organisations, groups, tokens and audit, each through its policy."""

from django.db.models import Prefetch, QuerySet

from .errors import NotFound
from .models import ApiToken, AuditEvent, Organisation, SupportGroup, User
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
