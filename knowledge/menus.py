"""This app's entries in the workspace's navigation (registered in `KnowledgeConfig.ready()`)."""

from django.utils.translation import gettext_lazy as _

from servicedesk.menus import WORKSPACE, MenuItem


def _is_agent(user) -> bool:
    return bool(getattr(user, "is_agent", False))


MENU_ITEMS = [
    MenuItem(
        WORKSPACE,
        "knowledge",
        _("Knowledge"),
        "knowledge:home",
        "book",
        permission="knowledge.view_article",
        visible=_is_agent,
        order=340,
        testid="nav-knowledge",
    ),
    MenuItem(
        WORKSPACE,
        "knowledge_review",
        _("Articles to review"),
        "knowledge:review",
        "check2-square",
        permission="knowledge.review_article",
        visible=_is_agent,
        order=345,
        testid="nav-knowledge-review",
        parent="knowledge",
    ),
]
