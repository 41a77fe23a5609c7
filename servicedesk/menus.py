"""The site's navigation as a registry: each app adds its entries in `AppConfig.ready()`.

The navigation bar (`templates/includes/_nav.html`) renders what is registered here, so the foundation names
no process app: incidents add the queue and the portal's forms, the CMDB its pages, later apps theirs.
A person sees one area: the agent workspace if they may use it, else the self-service portal; the user area
sits at the right, before their profile.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .kinds import may_work_any_kind

WORKSPACE = "workspace"
PORTAL = "portal"
USER = "user"
AREAS = (WORKSPACE, PORTAL, USER)


@dataclass(frozen=True)
class MenuItem:
    """One entry of the navigation: a link, or a template of its own (the jump box's form).

    Shown to a user who holds every permission in `permission` and for whom `visible(user)` is true;
    entries of an area are sorted by `order`, then by key.
    """

    area: str  # "workspace", "portal" or "user"
    key: str  # unique within the area: "queue"
    label: Any = ""  # a lazy translation
    url_name: str = ""  # a URL name taking no arguments: "incidents:queue"
    icon: str = ""  # a Bootstrap Icons name, without "bi-": "list-task"
    permission: str | tuple[str, ...] = ()  # "incidents.work_incident", or several, all required
    visible: Callable[[Any], bool] | None = None  # (user) -> bool, on top of the permissions
    order: int = 500
    testid: str = ""  # the link's data-testid: "nav-queue"
    template: str = ""  # rendered instead of a link, with `item` and the page's context
    # the key of another item of the area: shown in that item's drop-down menu, after it, rather than beside
    parent: str = ""

    def __post_init__(self):
        if self.area not in AREAS:
            raise ValueError(f"Unknown menu area {self.area!r}; use one of {', '.join(AREAS)}.")
        if not self.template and not self.url_name:
            raise ValueError(f"Menu item {self.key!r} needs a URL name or a template.")

    @property
    def permissions(self) -> tuple[str, ...]:
        return (self.permission,) if isinstance(self.permission, str) else tuple(self.permission)

    def is_visible_to(self, user) -> bool:
        if self.permissions and not user.has_perms(self.permissions):
            return False
        return self.visible is None or bool(self.visible(user))


@dataclass(frozen=True)
class MenuEntry:
    """A registered item as one user sees it: the item, its address, and the items shown under it."""

    item: MenuItem
    url: str
    children: tuple["MenuEntry", ...] = ()


_ITEMS: dict[tuple[str, str], MenuItem] = {}


def register_menu_item(item: MenuItem) -> None:
    """Add `item` to its area (call from `AppConfig.ready()`); registering the same item again is a no-op."""
    existing = _ITEMS.get((item.area, item.key))
    if existing is not None and existing != item:
        raise ValueError(f"Menu item {item.key!r} is already registered in the {item.area} area.")
    _ITEMS[(item.area, item.key)] = item


def menu_items(area: str) -> list[MenuItem]:
    """Every item registered in `area`, in display order."""
    return sorted((item for item in _ITEMS.values() if item.area == area), key=lambda i: (i.order, i.key))


def menu_for(user, area: str) -> list[MenuEntry]:
    """The items of `area` that `user` may see, with their addresses, in display order.

    Permission checks read the user's permissions once (Django caches them on the user), so the menu costs
    no query per item.
    """
    if user is None or not user.is_authenticated:
        return []
    visible = [
        MenuEntry(item=item, url=reverse(item.url_name) if item.url_name else "")
        for item in menu_items(area)
        if item.is_visible_to(user)
    ]
    tops = {entry.item.key for entry in visible if not entry.item.parent}
    children: dict[str, list[MenuEntry]] = {}
    for entry in visible:
        if entry.item.parent in tops:
            children.setdefault(entry.item.parent, []).append(entry)
    # A child whose parent the user may not see stands on its own.
    return [
        MenuEntry(item=entry.item, url=entry.url, children=tuple(children.get(entry.item.key, ())))
        for entry in visible
        if entry.item.parent not in tops
    ]


def main_area(user) -> str:
    """The area a person works in: the workspace for agents, the portal for everyone else."""
    if user is not None and user.is_authenticated and user.has_perm("servicedesk.access_workspace"):
        return WORKSPACE
    return PORTAL


class Menu:
    """The navigation of one request, computed when a template first reads it and then kept."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def area(self) -> str:
        return main_area(self.user)

    @cached_property
    def is_workspace(self) -> bool:
        return self.area == WORKSPACE

    @cached_property
    def main(self) -> list[MenuEntry]:
        return menu_for(self.user, self.area)

    @cached_property
    def user_items(self) -> list[MenuEntry]:
        return menu_for(self.user, USER)


def _is_staff(user) -> bool:
    return user.is_staff


def register_foundation_menu() -> None:
    """The foundation's own entries: the two home pages, the API documentation, the jump box and the admin."""
    items = [
        MenuItem(
            WORKSPACE, "home", _("Agent workspace"), "home", "kanban", order=100, testid="nav-workspace"
        ),
        MenuItem(WORKSPACE, "api", _("API"), "api-docs", "braces", order=800),
        MenuItem(WORKSPACE, "jump", template="includes/_jump_box.html", visible=may_work_any_kind, order=900),
        MenuItem(PORTAL, "home", _("Self-service portal"), "home", "house", order=100, testid="nav-portal"),
        # Anyone may be asked to approve (servicedesk.approvals).
        MenuItem(
            USER,
            "approvals",
            _("My approvals"),
            "approval_list",
            "check2-square",
            order=100,
            testid="nav-approvals",
        ),
    ]
    for area in (WORKSPACE, PORTAL):
        items.append(
            MenuItem(area, "admin", _("Administration"), "admin:index", "gear", visible=_is_staff, order=1000)
        )
    for item in items:
        register_menu_item(item)
