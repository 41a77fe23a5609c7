"""The CMDB's entry in the site's navigation (registered in `CmdbConfig.ready()`)."""

from django.utils.translation import gettext_lazy as _

from servicedesk.menus import WORKSPACE, MenuItem

MENU_ITEMS = [
    MenuItem(
        WORKSPACE,
        "cmdb",
        _("CMDB"),
        "cmdb:ci_list",
        "diagram-3",
        permission="cmdb.view_configurationitem",
        order=400,
        testid="nav-cmdb",
    ),
]
