"""The record page: one address per record (`/records/INC0000001/`), the workspace view for agents and
the portal view for requesters."""

from django.contrib.auth.decorators import login_required

from servicedesk.kinds import parse_number

from . import views_portal, views_workspace
from .permissions import IncidentPolicy
from .selectors import incident_get_for_user


@login_required
def record_detail(request, number):
    parsed = parse_number(number)
    record = incident_get_for_user(user=request.user, number=parsed[1] if parsed else number)
    if IncidentPolicy.is_agent(request.user):
        return views_workspace.record_page(request, record)
    return views_portal.record_page(request, record)
