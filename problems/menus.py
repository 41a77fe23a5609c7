"""This app's entries in the workspace's navigation (registered in `ProblemsConfig.ready()`)."""

from django.utils.translation import gettext_lazy as _

from servicedesk.menus import WORKSPACE, MenuItem, register_menu_item


def _is_agent(user) -> bool:
    return bool(getattr(user, "is_agent", False))


MENU_ITEMS = [
    MenuItem(
        WORKSPACE,
        "problems",
        _("Problems"),
        "problems:list",
        "bug",
        permission="problems.view_problem",
        visible=_is_agent,
        order=350,
        testid="nav-problems",
    ),
    MenuItem(
        WORKSPACE,
        "known_errors",
        _("Known errors"),
        "problems:kedb",
        "journal-text",
        permission=("problems.view_problem", "problems.view_knownerror"),
        visible=_is_agent,
        order=360,
        testid="nav-known-errors",
        parent="problems",
    ),
    MenuItem(
        WORKSPACE,
        "problem_candidates",
        _("Problem candidates"),
        "problem_candidates:list",
        "graph-up-arrow",
        permission="problems.manage_problem",
        visible=_is_agent,
        order=370,
        testid="nav-problem-candidates",
        parent="problems",
    ),
]


def register_problem_menu() -> None:
    for item in MENU_ITEMS:
        register_menu_item(item)
