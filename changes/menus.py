"""This app's entries in the workspace's navigation (registered in `ChangesConfig.ready()`)."""

from django.utils.translation import gettext_lazy as _

from servicedesk.menus import WORKSPACE, MenuItem, register_menu_item


def _is_agent(user) -> bool:
    return bool(getattr(user, "is_agent", False))


MENU_ITEMS = [
    MenuItem(
        WORKSPACE,
        "changes",
        _("Changes"),
        "changes:list",
        "arrow-repeat",
        permission="changes.view_change",
        visible=_is_agent,
        order=380,
        testid="nav-changes",
    ),
    MenuItem(
        WORKSPACE,
        "change_agenda",
        _("CAB agenda"),
        "changes:agenda",
        "people",
        permission="changes.view_change",
        visible=_is_agent,
        order=385,
        testid="nav-change-agenda",
        parent="changes",
    ),
    MenuItem(
        WORKSPACE,
        "change_schedule",
        _("Change schedule"),
        "change_schedule:schedule",
        "calendar-week",
        permission="changes.view_change",
        visible=_is_agent,
        order=390,
        testid="nav-change-schedule",
        parent="changes",
    ),
]


def register_change_menu() -> None:
    for item in MENU_ITEMS:
        register_menu_item(item)
