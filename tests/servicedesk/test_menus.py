"""The navigation registry: apps register entries, each person sees those their permissions allow, in order,
on every page, for no query per entry."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from servicedesk import menus, roles
from servicedesk.menus import PORTAL, USER, WORKSPACE, MenuItem, menu_for, register_menu_item

from ..factories import UserFactory


@pytest.fixture
def registry(monkeypatch):
    """The registry as the apps filled it, restored after the test."""
    monkeypatch.setattr(menus, "_ITEMS", dict(menus._ITEMS))
    return menus


def _keys(entries) -> list[str]:
    return [entry.item.key for entry in entries]


def _nav(client) -> str:
    html = client.get(reverse("profile")).content.decode()
    return re.search(r"<nav.*?</nav>", html, re.S).group(0)


def _testids(nav: str) -> list[str]:
    return re.findall(r'data-testid="(nav-[\w-]+)"', nav)


def test_an_item_needing_a_permission_is_shown_only_to_who_holds_it(registry, agent, requester):
    register_menu_item(
        MenuItem(WORKSPACE, "users", _("People"), "profile", "people", permission="servicedesk.view_user")
    )
    register_menu_item(
        MenuItem(PORTAL, "secret", _("Secret"), "profile", "lock", permission="servicedesk.add_user")
    )

    assert "users" in _keys(menu_for(agent, WORKSPACE))
    assert "users" not in _keys(menu_for(requester, WORKSPACE))
    assert "secret" not in _keys(menu_for(requester, PORTAL))


def test_every_permission_of_an_item_is_needed(registry, requester):
    both = ("servicedesk.access_portal", "servicedesk.add_user")
    register_menu_item(MenuItem(PORTAL, "both", _("Both"), "profile", "lock", permission=both))

    assert "both" not in _keys(menu_for(requester, PORTAL))
    requester.user_permissions.add(Permission.objects.get(codename="add_user"))
    requester = type(requester).objects.get(pk=requester.pk)  # a fresh permission cache
    assert "both" in _keys(menu_for(requester, PORTAL))


def test_an_item_may_ask_a_function_who_sees_it(registry, agent, group_manager):
    register_menu_item(
        MenuItem(WORKSPACE, "mine", _("Mine"), "profile", "star", visible=lambda user: user.pk == agent.pk)
    )

    assert "mine" in _keys(menu_for(agent, WORKSPACE))
    assert "mine" not in _keys(menu_for(group_manager, WORKSPACE))


def test_items_come_in_order_then_by_key(registry, agent):
    register_menu_item(MenuItem(WORKSPACE, "zz_first", _("First"), "profile", "1-circle", order=1))
    register_menu_item(MenuItem(WORKSPACE, "b_last", _("Last"), "profile", "2-circle", order=5000))
    register_menu_item(MenuItem(WORKSPACE, "a_last", _("Last"), "profile", "2-circle", order=5000))

    keys = _keys(menu_for(agent, WORKSPACE))

    assert keys[0] == "zz_first"
    assert keys[-2:] == ["a_last", "b_last"]


def test_the_foundation_and_the_apps_keep_the_navigation_as_it_was(client, agent, requester, administrator):
    client.force_login(agent)
    workspace = _nav(client)
    client.force_login(requester)
    portal = _nav(client)
    administrator.is_staff = True
    administrator.save()
    client.force_login(administrator)
    admin = _nav(client)

    # Everyone may be asked to approve: "My approvals" is in the user's menu.
    assert _testids(workspace) == [
        "nav-workspace",
        "nav-queue",
        "nav-tasks",
        "nav-new-record",
        "nav-knowledge",
        "nav-problems",
        "nav-known-errors",
        "nav-changes",
        "nav-change-agenda",
        "nav-change-schedule",
        "nav-releases",
        "nav-release-new",
        "nav-cmdb",
        "nav-reports",
        "nav-approvals",
        "nav-macros",
    ]
    assert _testids(portal) == ["nav-portal", "nav-report", "nav-request", "nav-approvals"]
    assert _testids(admin) == [
        "nav-workspace",
        "nav-queue",
        "nav-tasks",
        "nav-new-record",
        "nav-knowledge",
        "nav-knowledge-review",
        "nav-problems",
        "nav-known-errors",
        "nav-problem-candidates",
        "nav-changes",
        "nav-change-agenda",
        "nav-change-schedule",
        "nav-releases",
        "nav-release-new",
        "nav-cmdb",
        "nav-reports",
        "nav-approvals",
        "nav-macros",
    ]
    assert "bi-list-task" in workspace
    assert workspace.index(reverse("api-docs")) < workspace.index("data-jump-box")
    assert "Administration" not in workspace
    assert admin.index("data-jump-box") < admin.index(reverse("admin:index"))
    assert "bg-dark" in workspace
    assert "navbar-portal" in portal


def test_an_item_an_app_registers_appears_on_every_page(client, registry, requester):
    register_menu_item(
        MenuItem(PORTAL, "knowledge", _("Knowledge"), "profile", "book", order=250, testid="nav-knowledge")
    )
    register_menu_item(MenuItem(USER, "inbox", _("Inbox"), "profile", "inbox", testid="nav-inbox"))
    client.force_login(requester)

    nav = _nav(client)

    assert _testids(nav) == [
        "nav-portal",
        "nav-report",
        "nav-knowledge",
        "nav-request",
        "nav-approvals",
        "nav-inbox",
    ]
    assert '<i class="bi bi-book" aria-hidden="true"></i> Knowledge' in nav


def test_an_anonymous_visitor_has_no_menu(rf):
    from django.contrib.auth.models import AnonymousUser

    assert menu_for(AnonymousUser(), WORKSPACE) == []
    assert menu_for(None, PORTAL) == []


def test_the_same_key_twice_in_an_area_is_refused(registry):
    register_menu_item(MenuItem(WORKSPACE, "twice", _("Once"), "profile", "1-circle"))
    register_menu_item(MenuItem(WORKSPACE, "twice", _("Once"), "profile", "1-circle"))  # the same: no-op
    register_menu_item(MenuItem(PORTAL, "twice", _("Once"), "profile", "1-circle"))  # another area

    with pytest.raises(ValueError, match="already registered"):
        register_menu_item(MenuItem(WORKSPACE, "twice", _("Twice"), "profile", "2-circle"))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"area": "sidebar", "key": "x", "url_name": "profile"},
        {"area": WORKSPACE, "key": "x"},  # neither an address nor a template
    ],
)
def test_an_item_without_a_known_area_or_a_target_is_refused(kwargs):
    with pytest.raises(ValueError, match=r"menu area|URL name"):
        MenuItem(**kwargs)


def test_the_menu_costs_no_query_per_item(client, registry, db):
    agent = UserFactory(roles=[roles.AGENT])
    client.force_login(agent)
    client.get(reverse("profile"))  # sessions, content types and the like warm up
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("profile"))
    for index in range(10):
        register_menu_item(
            MenuItem(
                WORKSPACE,
                f"extra{index}",
                f"Extra {index}",
                "profile",
                "star",
                permission="servicedesk.view_user",
            )
        )
    with CaptureQueriesContext(connection) as after:
        html = client.get(reverse("profile")).content.decode()

    assert html.count("Extra ") == 10
    assert len(after) == len(before)


def test_a_page_with_the_navigation_stays_within_its_queries(client, agent, django_assert_max_num_queries):
    client.force_login(agent)
    client.get(reverse("profile"))
    with django_assert_max_num_queries(6):
        response = client.get(reverse("profile"))
    assert 'data-testid="nav-queue"' in response.content.decode()


def test_an_item_with_a_parent_is_shown_in_the_parent_s_drop_down(client, registry, agent):
    register_menu_item(
        MenuItem(WORKSPACE, "things", "Things", "profile", "box", order=600, testid="nav-things")
    )
    register_menu_item(
        MenuItem(
            WORKSPACE,
            "thing_log",
            "Log",
            "profile",
            "journal",
            order=610,
            parent="things",
            testid="nav-log",
        )
    )
    # A child whose parent the user may not see stands on its own.
    register_menu_item(
        MenuItem(
            WORKSPACE,
            "secret",
            "Secret",
            "profile",
            "lock",
            order=700,
            permission="servicedesk.no_such_right",
        )
    )
    register_menu_item(
        MenuItem(
            WORKSPACE, "leak", "Leak", "profile", "droplet", order=710, parent="secret", testid="nav-leak"
        )
    )
    client.force_login(agent)
    nav = _nav(client)

    dropdown = nav[nav.rindex('<li class="nav-item dropdown">', 0, nav.index('data-testid="nav-things"')) :]
    dropdown = dropdown[: dropdown.index("</ul>")]
    assert 'data-bs-toggle="dropdown"' in dropdown
    assert dropdown.index('data-testid="nav-things"') < dropdown.index('data-testid="nav-log"')
    assert 'data-testid="nav-leak"' in nav
    assert "Secret" not in nav
    top = menu_for(agent, WORKSPACE)
    things = next(entry for entry in top if entry.item.key == "things")
    assert [child.item.key for child in things.children] == ["thing_log"]
    assert "thing_log" not in [entry.item.key for entry in top]
    assert "leak" in [entry.item.key for entry in top]
