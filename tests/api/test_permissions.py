"""The permission contract of every foundation endpoint, role by role.

One table gives, for each call, the status each role gets; the same setup (`world`) serves the allowed
and the denied cases. Writes that are refused must leave no trace (no audit event); writes that are
allowed leave one.
"""

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from servicedesk import roles
from servicedesk.models import ApiToken, AuditEvent, Organisation, SupportGroup, User
from servicedesk.services.tokens import api_token_create

from ..factories import SupportGroupFactory, UserFactory
from .helpers import assert_error

ROLES = ["anonymous", "requester", "agent", "group_manager", "administrator"]
ERROR_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}


@pytest.fixture
def world(requester, other_requester, agent, group_manager, administrator, organisation):
    """Everyone, three groups and a token each.

    - `support_group` ("Service Desk"): managed by the group manager; members agent and group manager.
    - `portal_group`: the requester belongs to it; nobody manages it.
    - `other_group`: the other requester belongs to it; nobody manages it.
    - `newcomer`: an agent in no group, whom managers may add.
    """
    support_group = SupportGroupFactory(
        name="Service Desk", manager=group_manager, members=[agent, group_manager]
    )
    portal_group = SupportGroupFactory(name="Portal champions", members=[requester])
    other_group = SupportGroupFactory(name="Network", members=[other_requester])
    people = {
        "requester": requester,
        "agent": agent,
        "group_manager": group_manager,
        "administrator": administrator,
        "other_requester": other_requester,
    }
    tokens = {
        name: api_token_create(user=user, actor=user, name=f"{name} laptop")[0]
        for name, user in people.items()
    }
    return SimpleNamespace(
        **people,
        newcomer=UserFactory(username="newcomer", roles=[roles.AGENT]),
        organisation=organisation,
        other_organisation=other_requester.organisation,
        support_group=support_group,
        portal_group=portal_group,
        other_group=other_group,
        tokens=tokens,
        audit_event=AuditEvent.objects.filter(action="user.token_created").latest("id"),
    )


def client_as(role: str, world, api_as) -> APIClient:
    if role == "anonymous":
        return APIClient()
    return api_as(getattr(world, role))


def acting_user(role: str, world) -> User:
    """Whose own things (`me`, tokens) a call touches; the anonymous caller aims at the requester's."""
    return world.requester if role == "anonymous" else getattr(world, role)


@dataclass(frozen=True)
class Call:
    name: str
    method: str
    url: Callable
    expected: dict
    body: Callable | None = None

    @property
    def is_write(self) -> bool:
        return self.method != "get"


def statuses(anonymous, requester, agent, group_manager, administrator) -> dict:
    return dict(zip(ROLES, (anonymous, requester, agent, group_manager, administrator), strict=True))


ME = "/api/v1/me/"
TOKENS = "/api/v1/me/tokens/"
USERS = "/api/v1/users/"
ORGANISATIONS = "/api/v1/organisations/"
GROUPS = "/api/v1/support-groups/"
AUDIT = "/api/v1/audit-events/"

CALLS = [
    # me
    Call("me-get", "get", lambda w, r: ME, statuses(401, 200, 200, 200, 200)),
    Call(
        "me-patch",
        "patch",
        lambda w, r: ME,
        statuses(401, 200, 200, 200, 200),
        body=lambda w, r: {"phone": "+44 20 7946 0000", "time_zone": "Europe/London"},
    ),
    # tokens
    Call("tokens-list", "get", lambda w, r: TOKENS, statuses(401, 200, 200, 200, 200)),
    Call(
        "tokens-create",
        "post",
        lambda w, r: TOKENS,
        statuses(401, 201, 201, 201, 201),
        body=lambda w, r: {"name": "CI pipeline"},
    ),
    Call(
        "tokens-revoke-own",
        "delete",
        lambda w, r: f"{TOKENS}{w.tokens[r if r != 'anonymous' else 'requester'].pk}/",
        statuses(401, 204, 204, 204, 204),
    ),
    Call(
        "tokens-revoke-someone-elses",
        "delete",
        lambda w, r: f"{TOKENS}{w.tokens['other_requester'].pk}/",
        statuses(401, 404, 404, 404, 404),
    ),
    # users
    Call("users-list", "get", lambda w, r: USERS, statuses(401, 200, 200, 200, 200)),
    Call(
        "users-retrieve-self",
        "get",
        lambda w, r: f"{USERS}{acting_user(r, w).pk}/",
        statuses(401, 200, 200, 200, 200),
    ),
    Call(
        "users-retrieve-other",
        "get",
        lambda w, r: f"{USERS}{w.other_requester.pk}/",
        statuses(401, 404, 200, 200, 200),
    ),
    Call(
        "users-create",
        "post",
        lambda w, r: USERS,
        statuses(401, 403, 403, 403, 201),
        body=lambda w, r: {"username": "newbie", "email": "newbie@example.com", "roles": [roles.AGENT]},
    ),
    Call(
        "users-update-self",
        "patch",
        lambda w, r: f"{USERS}{acting_user(r, w).pk}/",
        statuses(401, 403, 403, 403, 200),
        body=lambda w, r: {"full_name": "Renamed Person"},
    ),
    Call(
        "users-update-other",
        "patch",
        lambda w, r: f"{USERS}{w.other_requester.pk}/",
        statuses(401, 404, 403, 403, 200),
        body=lambda w, r: {"full_name": "Renamed Person", "roles": [roles.AGENT]},
    ),
    # organisations
    Call("organisations-list", "get", lambda w, r: ORGANISATIONS, statuses(401, 200, 200, 200, 200)),
    Call(
        "organisations-retrieve-own",
        "get",
        lambda w, r: f"{ORGANISATIONS}{w.organisation.pk}/",
        statuses(401, 200, 200, 200, 200),
    ),
    Call(
        "organisations-retrieve-other",
        "get",
        lambda w, r: f"{ORGANISATIONS}{w.other_organisation.pk}/",
        statuses(401, 404, 200, 200, 200),
    ),
    Call(
        "organisations-create",
        "post",
        lambda w, r: ORGANISATIONS,
        statuses(401, 403, 403, 403, 201),
        body=lambda w, r: {"name": "Fabrikam Inc", "email_domain": "fabrikam.example"},
    ),
    Call(
        "organisations-update-own",
        "patch",
        lambda w, r: f"{ORGANISATIONS}{w.organisation.pk}/",
        statuses(401, 403, 403, 403, 200),
        body=lambda w, r: {"phone": "+1 555 0100"},
    ),
    Call(
        "organisations-update-other",
        "patch",
        lambda w, r: f"{ORGANISATIONS}{w.other_organisation.pk}/",
        statuses(401, 404, 403, 403, 200),
        body=lambda w, r: {"phone": "+1 555 0100"},
    ),
    # support groups
    Call("groups-list", "get", lambda w, r: GROUPS, statuses(401, 200, 200, 200, 200)),
    Call(
        "groups-retrieve-one-the-requester-belongs-to",
        "get",
        lambda w, r: f"{GROUPS}{w.portal_group.pk}/",
        statuses(401, 200, 200, 200, 200),
    ),
    Call(
        "groups-retrieve-other",
        "get",
        lambda w, r: f"{GROUPS}{w.other_group.pk}/",
        statuses(401, 404, 200, 200, 200),
    ),
    Call(
        "groups-create",
        "post",
        lambda w, r: GROUPS,
        statuses(401, 403, 403, 403, 201),
        body=lambda w, r: {"name": "Database team", "tier": "tier3"},
    ),
    Call(
        "groups-update-one-the-requester-belongs-to",
        "patch",
        lambda w, r: f"{GROUPS}{w.portal_group.pk}/",
        statuses(401, 403, 403, 403, 200),
        body=lambda w, r: {"description": "Requesters who test new catalogue items."},
    ),
    Call(
        "groups-update-managed",
        "patch",
        lambda w, r: f"{GROUPS}{w.support_group.pk}/",
        statuses(401, 404, 403, 403, 200),
        body=lambda w, r: {"description": "First line."},
    ),
    Call(
        "groups-add-member-to-managed-group",
        "post",
        lambda w, r: f"{GROUPS}{w.support_group.pk}/members/",
        statuses(401, 404, 403, 200, 200),
        body=lambda w, r: {"user": w.newcomer.pk},
    ),
    Call(
        "groups-add-member-to-unmanaged-group",
        "post",
        lambda w, r: f"{GROUPS}{w.other_group.pk}/members/",
        statuses(401, 404, 403, 403, 200),
        body=lambda w, r: {"user": w.agent.pk},
    ),
    Call(
        "groups-add-member-to-own-group",
        "post",
        lambda w, r: f"{GROUPS}{w.portal_group.pk}/members/",
        statuses(401, 403, 403, 403, 200),
        body=lambda w, r: {"user": w.newcomer.pk},
    ),
    Call(
        "groups-remove-member-from-managed-group",
        "delete",
        lambda w, r: f"{GROUPS}{w.support_group.pk}/members/{w.agent.pk}/",
        statuses(401, 404, 403, 200, 200),
    ),
    Call(
        "groups-remove-member-from-unmanaged-group",
        "delete",
        lambda w, r: f"{GROUPS}{w.other_group.pk}/members/{w.other_requester.pk}/",
        statuses(401, 404, 403, 403, 200),
    ),
    # audit
    Call("audit-list", "get", lambda w, r: AUDIT, statuses(401, 403, 403, 403, 200)),
    Call(
        "audit-retrieve", "get", lambda w, r: f"{AUDIT}{w.audit_event.pk}/", statuses(401, 403, 403, 403, 200)
    ),
]


@pytest.mark.parametrize(
    ("call", "role"),
    [pytest.param(call, role, id=f"{call.name}-{role}") for call in CALLS for role in ROLES],
)
def test_each_role_gets_the_contracted_status(call, role, world, api_as):
    client = client_as(role, world, api_as)
    audit_before = AuditEvent.objects.count()
    body = call.body(world, role) if call.body else None

    response = getattr(client, call.method)(call.url(world, role), body, format="json")

    expected = call.expected[role]
    if expected >= 400:
        assert_error(response, expected, ERROR_CODES[expected])
        assert AuditEvent.objects.count() == audit_before, "a refused call must change nothing"
    else:
        assert response.status_code == expected, response.content[:500]
        if call.is_write:
            assert AuditEvent.objects.count() > audit_before, "an allowed write is audited"


def test_unauthenticated_answer_asks_for_a_bearer_token(world):
    response = APIClient().get(USERS)

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def _usernames(response) -> set[str]:
    assert response.status_code == 200, response.content[:500]
    return {user["username"] for user in response.json()["results"]}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("requester", {"requester"}),
        ("agent", {"requester", "other", "agent", "manager", "administrator", "newcomer"}),
        ("group_manager", {"requester", "other", "agent", "manager", "administrator", "newcomer"}),
        ("administrator", {"requester", "other", "agent", "manager", "administrator", "newcomer"}),
    ],
)
def test_users_list_shows_agents_everyone_and_a_requester_only_themselves(role, expected, world, api_as):
    assert _usernames(client_as(role, world, api_as).get(USERS)) == expected


@pytest.mark.parametrize(
    ("role", "query", "expected"),
    [
        ("requester", "other", set()),
        ("requester", "requester", {"requester"}),
        ("agent", "other", {"other"}),
        ("agent", "administrator", {"administrator"}),
    ],
)
def test_user_search_reaches_only_the_visible_users(role, query, expected, world, api_as):
    assert _usernames(client_as(role, world, api_as).get(USERS, {"q": query})) == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("requester", ["organisation"]),
        ("agent", ["organisation", "other_organisation"]),
        ("administrator", ["organisation", "other_organisation"]),
    ],
)
def test_organisations_list_shows_agents_all_and_a_requester_their_own(role, expected, world, api_as):
    response = client_as(role, world, api_as).get(ORGANISATIONS)

    assert response.status_code == 200
    assert {org["id"] for org in response.json()["results"]} == {getattr(world, name).pk for name in expected}


def test_requester_without_an_organisation_sees_none(world, api_as):
    loner = UserFactory(roles=[roles.REQUESTER], organisation=None)

    response = api_as(loner).get(ORGANISATIONS)

    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("requester", {"Portal champions"}),
        ("agent", {"Service Desk", "Portal champions", "Network"}),
        ("group_manager", {"Service Desk", "Portal champions", "Network"}),
    ],
)
def test_groups_list_shows_agents_all_and_others_the_groups_they_belong_to(role, expected, world, api_as):
    response = client_as(role, world, api_as).get(GROUPS)

    assert response.status_code == 200
    assert {group["name"] for group in response.json()["results"]} == expected


def test_administrator_creates_a_user_with_roles(world, api_as):
    response = api_as(world.administrator).post(
        USERS,
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "full_name": "New Person",
            "organisation": world.organisation.pk,
            "roles": [roles.AGENT, roles.GROUP_MANAGER],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["username"] == "newbie"
    assert body["organisation"] == {"id": world.organisation.pk, "name": "Contoso Ltd"}
    assert body["roles"] == [roles.AGENT, roles.GROUP_MANAGER]
    created = User.objects.get(username="newbie")
    assert created.has_perm("servicedesk.access_workspace")
    assert created.has_perm("servicedesk.manage_members")
    assert not created.has_usable_password()
    actions = set(AuditEvent.objects.filter(object_id=str(created.pk)).values_list("action", flat=True))
    assert actions == {"user.created", "user.roles_changed"}


def test_administrator_changes_a_users_roles_and_fields(world, api_as):
    response = api_as(world.administrator).patch(
        f"{USERS}{world.other_requester.pk}/",
        {"roles": [roles.AGENT], "full_name": "Olivia Other", "is_active": False},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["roles"] == [roles.AGENT]
    assert response.json()["full_name"] == "Olivia Other"
    changed = User.objects.get(pk=world.other_requester.pk)
    assert set(changed.groups.values_list("name", flat=True)) == {roles.AGENT}
    assert (changed.full_name, changed.is_active) == ("Olivia Other", False)


def test_administrator_creates_and_changes_organisations_and_groups(world, api_as):
    client = api_as(world.administrator)

    organisation = client.post(ORGANISATIONS, {"name": "Fabrikam Inc"}, format="json")
    group = client.post(
        GROUPS,
        {
            "name": "Database team",
            "tier": "tier3",
            "manager": world.group_manager.pk,
            "members": [world.agent.pk],
        },
        format="json",
    )
    renamed = client.patch(
        f"{ORGANISATIONS}{organisation.json()['id']}/", {"name": "Fabrikam"}, format="json"
    )
    escalated = client.patch(
        f"{GROUPS}{world.support_group.pk}/", {"escalation_group": group.json()["id"]}, format="json"
    )

    assert (organisation.status_code, group.status_code, renamed.status_code, escalated.status_code) == (
        201,
        201,
        200,
        200,
    )
    assert Organisation.objects.filter(name="Fabrikam").exists()
    created = SupportGroup.objects.get(name="Database team")
    assert (created.tier, created.manager, list(created.members.all())) == (
        "tier3",
        world.group_manager,
        [world.agent],
    )
    assert group.json()["members"][0]["username"] == "agent"
    assert escalated.json()["escalation_group"] == {"id": created.pk, "name": "Database team"}


@pytest.mark.parametrize("role", ["group_manager", "administrator"])
def test_manager_of_a_group_adds_and_removes_its_members(role, world, api_as):
    client = client_as(role, world, api_as)
    url = f"{GROUPS}{world.support_group.pk}/members/"

    added = client.post(url, {"user": world.newcomer.pk}, format="json")
    removed = client.delete(f"{url}{world.agent.pk}/")

    assert added.status_code == 200, added.content
    assert "newcomer" in {member["username"] for member in added.json()["members"]}
    assert removed.status_code == 200, removed.content
    assert {member["username"] for member in removed.json()["members"]} == {"manager", "newcomer"}
    assert set(world.support_group.members.values_list("username", flat=True)) == {"manager", "newcomer"}
    actions = list(
        AuditEvent.objects.filter(object_id=str(world.support_group.pk))
        .order_by("id")
        .values_list("action", "actor")
    )
    actor = getattr(world, role).pk
    assert actions[-2:] == [("support_group.member_added", actor), ("support_group.member_removed", actor)]


def test_removing_someone_who_is_not_a_member_answers_404(world, api_as):
    response = api_as(world.group_manager).delete(
        f"{GROUPS}{world.support_group.pk}/members/{world.requester.pk}/"
    )

    assert_error(response, 404, "not_a_member")


def test_administrator_reads_audit_events(world, api_as):
    client = api_as(world.administrator)

    listed = client.get(AUDIT)
    one = client.get(f"{AUDIT}{world.audit_event.pk}/")

    assert listed.status_code == 200
    assert {event["action"] for event in listed.json()["results"]} == {"user.token_created"}
    assert len(listed.json()["results"]) == len(world.tokens)
    assert one.status_code == 200
    assert one.json()["action"] == "user.token_created"
    assert one.json()["actor"] == world.audit_event.actor_id
    assert one.json()["object_type"] == "servicedesk.user"


@pytest.mark.parametrize("role", ["requester", "agent", "group_manager", "administrator"])
def test_revoking_a_token_through_the_api_deactivates_only_that_token(role, world, api_as):
    own = world.tokens[role]

    response = api_as(getattr(world, role)).delete(f"{TOKENS}{own.pk}/")

    assert response.status_code == 204
    assert not ApiToken.objects.get(pk=own.pk).is_active
    assert ApiToken.objects.get(pk=world.tokens["other_requester"].pk).is_active
