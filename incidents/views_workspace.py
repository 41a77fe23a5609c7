"""Agent workspace pages: what they share, and the entry point of the agent's record page.

The pages themselves are split by subject: `views_queue` (queue, saved views, bulk actions),
`views_record` (the record page and its actions) and `views_entry` (a call taken for a requester); the jump by
number is the kernel's (`servicedesk.records.views`).
Every workspace page needs `incidents.work_incident`: anyone else gets 403, and a record the user may
not see answers 404. The services re-check every action.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from servicedesk.kinds import parse_number

from .permissions import IncidentPolicy
from .selectors import incident_get_for_user


def agent_required(view):
    """Signed in and allowed to work records; 403 otherwise."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not IncidentPolicy.is_agent(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def record_for(request, number: str):
    """The incident or request with this number (any spelling parse_number accepts), or 404."""
    parsed = parse_number(number)
    return incident_get_for_user(user=request.user, number=parsed[1] if parsed else number)


def record_page(request, record):
    """The record page for agents (called by `views.record_page`, with `record` fetched for the user)."""
    from .views_record import record_page as page

    return page(request, record)
