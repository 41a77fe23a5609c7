"""This app's entries in the workspace's navigation (registered in `ReleasesConfig.ready()`): a
"Releases" drop-down with the list and, for who may raise one, a new release."""

from django.utils.translation import gettext_lazy as _

from servicedesk.menus import WORKSPACE, MenuItem, register_menu_item

from .permissions import ReleasePolicy


def _is_agent(user) -> bool:
    return bool(getattr(user, "is_agent", False))


MENU_ITEMS = [
    MenuItem(
        WORKSPACE,
        "releases",
        _("Releases"),
        "releases:list",
        "box-seam",
        permission="releases.view_release",
        visible=_is_agent,
        order=395,
        testid="nav-releases",
    ),
    MenuItem(
        WORKSPACE,
        "release_new",
        _("New release"),
        "releases:new",
        "plus-circle",
        permission="releases.view_release",
        visible=lambda user: _is_agent(user) and ReleasePolicy.can_file(user),
        order=396,
        testid="nav-release-new",
        parent="releases",
    ),
]


def register_release_menu() -> None:
    for item in MENU_ITEMS:
        register_menu_item(item)
