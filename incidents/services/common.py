"""What several incident services share: who may be assigned, and where a new record goes."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from servicedesk.models import SupportGroup, User
from servicedesk.selectors import support_group_default

from .. import workflow as wf


def validate_agent(user: User | None, *, group: SupportGroup | None, field: str = "assignee") -> None:
    """An assignee is an active agent and, when the record has a group, one of its members."""
    if user is None:
        return
    if not wf.is_agent(user):
        raise ValidationError({field: _("%(name)s is not an agent.") % {"name": user}})
    if group is not None and not group.members.filter(pk=user.pk).exists():
        raise ValidationError(
            {
                field: _("%(name)s is not a member of %(group)s; choose one of its members.")
                % {"name": user.get_full_name(), "group": group.name}
            }
        )


def default_group(*, request_type=None, service=None) -> SupportGroup | None:
    """Where a new record goes when nobody chose: the request type's group, the service's, else the
    default group an administrator named; None when there is none (the record waits without a group in
    every agent's unassigned queue)."""
    for candidate in (
        getattr(request_type, "support_group", None),
        getattr(request_type.service, "support_group", None) if request_type else None,
        getattr(service, "support_group", None),
    ):
        if candidate is not None and candidate.is_active:
            return candidate
    return support_group_default()
