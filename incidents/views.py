"""The page of an incident or request: the kernel's `/records/<number>/` hands over here (`records.py`),
with the record fetched for the user; agents get the workspace view, requesters the portal view."""

from . import views_portal, views_workspace
from .permissions import IncidentPolicy


def record_page(request, record):
    if IncidentPolicy.is_agent(request.user):
        return views_workspace.record_page(request, record)
    return views_portal.record_page(request, record)
