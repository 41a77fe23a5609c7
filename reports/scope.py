"""Whose figures a reader sees: administrators everything; a group manager the groups they manage; a
service owner the services they own; an agent their own work. Requesters read no reports."""

from cmdb.models import ConfigurationItem
from servicedesk.models import SupportGroup
from servicedesk.reporting.measures import Scope

from .roles import VIEW_ALL


def may_read_reports(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_agent", False))


def reader_scope(user) -> Scope | None:
    """The reader's scope, or None for someone who reads no reports (two queries, cached on the user)."""
    if not may_read_reports(user):
        return None
    cached = getattr(user, "_reports_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser or user.has_perm(VIEW_ALL):
        scope = Scope(everything=True, agent=user.pk)
    else:
        groups = tuple(SupportGroup.objects.filter(manager=user, is_active=True).values_list("pk", flat=True))
        services = tuple(
            ConfigurationItem.objects.filter(owner=user, ci_class__path__startswith="/business_service/")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        scope = Scope(groups=groups, services=services, agent=user.pk)
    user._reports_scope = scope
    return scope


def is_manager(scope: Scope) -> bool:
    """Reads more than their own work: the manager's dashboard is theirs."""
    return scope.everything or bool(scope.groups)


def is_service_owner(scope: Scope) -> bool:
    return scope.everything or bool(scope.services)
