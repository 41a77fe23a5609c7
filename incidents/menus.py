"""This app's entries in the site's navigation (registered in `IncidentsConfig.ready()`)."""

from django.utils.translation import gettext_lazy as _

from servicedesk.menus import PORTAL, WORKSPACE, MenuItem
from servicedesk.models import AGENT_PERMISSION

from .workflow import WORK_PERMISSION

# Filing in the portal: a person who may use it and file records.
FILE_PERMISSIONS = ("servicedesk.access_portal", "incidents.add_incident")

MENU_ITEMS = [
    MenuItem(
        WORKSPACE,
        "queue",
        _("Queue"),
        "incidents:queue",
        "list-task",
        permission=WORK_PERMISSION,
        order=200,
        testid="nav-queue",
    ),
    MenuItem(
        WORKSPACE,
        "tasks",
        _("Tasks"),
        "incidents:tasks",
        "check2-square",
        permission=AGENT_PERMISSION,
        order=250,
        testid="nav-tasks",
    ),
    MenuItem(
        WORKSPACE,
        "new_record",
        _("New record"),
        "incidents:desk_new",
        "plus-circle",
        permission=WORK_PERMISSION,
        order=300,
        testid="nav-new-record",
    ),
    MenuItem(
        PORTAL,
        "report",
        _("Report a problem"),
        "incidents:portal_new_incident",
        "exclamation-triangle",
        permission=FILE_PERMISSIONS,
        order=200,
        testid="nav-report",
    ),
    MenuItem(
        PORTAL,
        "request",
        _("Request something"),
        "incidents:portal_catalogue",
        "bag-plus",
        permission=FILE_PERMISSIONS,
        order=300,
        testid="nav-request",
    ),
]
