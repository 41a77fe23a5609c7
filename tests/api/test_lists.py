"""Filters, cursor pagination and a constant query count per page on the foundation's lists."""

from datetime import timedelta

import factory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from servicedesk import roles
from servicedesk.models import AuditEvent, SupportGroup
from servicedesk.services.audit import audit_record

from ..factories import OrganisationFactory, SupportGroupFactory, UserFactory

USERS = "/api/v1/users/"
GROUPS = "/api/v1/support-groups/"
AUDIT = "/api/v1/audit-events/"


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content[:500]
    return response.json()["results"]


def usernames(response) -> set[str]:
    return {user["username"] for user in results(response)}


@pytest.fixture
def people(db, agent, administrator, organisation):
    """Agent and administrator (Contoso) plus three people whose words the search must find."""
    wonderland = OrganisationFactory(name="Wonderland")
    alice = UserFactory(
        username="alice",
        full_name="Alice Liddell",
        email="alice@wonder.example",
        organisation=wonderland,
        roles=[roles.REQUESTER],
    )
    bob = UserFactory(
        username="bob",
        full_name="Bob Builder",
        email="bob@site.example",
        organisation=organisation,
        roles=[roles.AGENT],
    )
    carol = UserFactory(
        username="carol",
        full_name="Carol Wonder",
        email="carol@x.example",
        organisation=wonderland,
        roles=[roles.REQUESTER],
        is_active=False,
    )
    desk = SupportGroupFactory(name="Service Desk", tier="tier1", members=[agent, bob])
    SupportGroupFactory(
        name="Wonder Vendors", tier="vendor", members=[alice], description="Outsourced hardware"
    )
    return {"wonderland": wonderland, "alice": alice, "bob": bob, "carol": carol, "desk": desk}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "wonder"}, {"alice", "carol"}),
        ({"q": "alice wonder"}, {"alice"}),
        ({"q": "ALI"}, {"alice"}),
        ({"q": "liddell builder"}, set()),
        ({"q": "site.example"}, {"bob"}),
        ({"q": "  bob   builder  "}, {"bob"}),
        ({"role": roles.AGENT}, {"agent", "bob"}),
        ({"role": roles.ADMINISTRATOR}, {"administrator"}),
        ({"is_active": "false"}, {"carol"}),
        ({"role": roles.REQUESTER, "is_active": "true"}, {"alice"}),
        ({"q": "wonder", "is_active": "true"}, {"alice"}),
    ],
)
def test_user_filters(params, expected, people, agent, api_as):
    assert usernames(api_as(agent).get(USERS, params)) == expected


def test_user_filter_by_organisation(people, agent, api_as):
    response = api_as(agent).get(USERS, {"organisation": people["wonderland"].pk})

    assert usernames(response) == {"alice", "carol"}


def test_user_filter_by_support_group(people, agent, api_as):
    response = api_as(agent).get(USERS, {"support_group": people["desk"].pk})

    assert usernames(response) == {"agent", "bob"}
    assert all(
        user["support_groups"] == [{"id": people["desk"].pk, "name": "Service Desk"}]
        for user in results(response)
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "wonder"}, {"Wonder Vendors"}),
        ({"q": "outsourced HARDWARE"}, {"Wonder Vendors"}),
        ({"q": "desk"}, {"Service Desk"}),
        ({"tier": "tier1"}, {"Service Desk"}),
        ({"tier": "vendor"}, {"Wonder Vendors"}),
        ({"tier": "tier3"}, set()),
    ],
)
def test_group_filters(params, expected, people, agent, api_as):
    response = api_as(agent).get(GROUPS, params)

    assert {group["name"] for group in results(response)} == expected


@pytest.mark.parametrize(("member", "expected"), [("bob", {"Service Desk"}), ("alice", {"Wonder Vendors"})])
def test_group_filter_by_member(member, expected, people, agent, api_as):
    response = api_as(agent).get(GROUPS, {"member": people[member].pk})

    assert {group["name"] for group in results(response)} == expected


@pytest.fixture
def events(administrator, people):
    """Four events at known times, from two days ago to now."""
    now = timezone.now()
    made = [
        (
            audit_record(actor=administrator, action="user.updated", target=people["alice"]),
            now - timedelta(days=2),
        ),
        (
            audit_record(actor=administrator, action="user.roles_changed", target=people["bob"]),
            now - timedelta(days=1),
        ),
        (
            audit_record(actor=None, action="support_group.updated", target=people["desk"]),
            now - timedelta(hours=1),
        ),
        (audit_record(actor=None, action="system.started"), now),
    ]
    for event, at in made:
        AuditEvent.objects.filter(pk=event.pk).update(created_at=at)
    AuditEvent.objects.exclude(pk__in=[event.pk for event, _at in made]).delete()
    return now


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"action": "user.updated"}, {"user.updated"}),
        ({"action": "user"}, set()),
        ({"action_prefix": "user."}, {"user.updated", "user.roles_changed"}),
        ({"action_prefix": "support_group."}, {"support_group.updated"}),
        ({"object_type": "servicedesk.user"}, {"user.updated", "user.roles_changed"}),
        ({"object_type": "servicedesk.supportgroup"}, {"support_group.updated"}),
        ({"object_type": "servicedesk.SupportGroup"}, {"support_group.updated"}),
        ({"object_type": "nothing"}, set()),
        ({"action_prefix": "user.", "object_type": "servicedesk.supportgroup"}, set()),
    ],
)
def test_audit_event_filters(params, expected, events, administrator, api_as):
    response = api_as(administrator).get(AUDIT, params)

    assert {event["action"] for event in results(response)} == expected


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        (
            timedelta(days=3),
            {"user.updated", "user.roles_changed", "support_group.updated", "system.started"},
        ),
        (timedelta(hours=36), {"user.roles_changed", "support_group.updated", "system.started"}),
        (timedelta(hours=2), {"support_group.updated", "system.started"}),
        (timedelta(minutes=-1), set()),
    ],
)
def test_audit_event_filter_since(since, expected, events, administrator, api_as):
    response = api_as(administrator).get(AUDIT, {"since": (events - since).isoformat()})

    assert {event["action"] for event in results(response)} == expected


def test_audit_event_filter_by_actor_and_object(events, administrator, people, api_as):
    client = api_as(administrator)

    by_actor = client.get(AUDIT, {"actor": administrator.pk})
    by_object = client.get(AUDIT, {"object_type": "servicedesk.user", "object_id": people["bob"].pk})

    assert {event["action"] for event in results(by_actor)} == {"user.updated", "user.roles_changed"}
    assert [event["action"] for event in results(by_object)] == ["user.roles_changed"]


def _follow(client, url, params) -> list[list[int]]:
    """Every page's ids, following `next` to the end."""
    pages = []
    response = client.get(url, params)
    while True:
        body = response.json()
        assert response.status_code == 200, body
        pages.append([item["id"] for item in body["results"]])
        if not body["next"]:
            return pages
        response = client.get(body["next"])


@pytest.mark.parametrize(("page_size", "sizes"), [(5, [5, 5, 3]), (4, [4, 4, 4, 1]), (13, [13]), (50, [13])])
def test_following_next_returns_every_user_once(page_size, sizes, agent, api_as):
    UserFactory.create_batch(12)

    pages = _follow(api_as(agent), USERS, {"page_size": page_size})

    assert [len(page) for page in pages] == sizes
    ids = [pk for page in pages for pk in page]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(type(agent).objects.values_list("id", flat=True))


def test_pages_stay_stable_when_users_are_added_while_paging(agent, api_as):
    before = UserFactory.create_batch(9, username=factory.Sequence(lambda n: f"m{n:03}"))
    client = api_as(agent)
    first = client.get(USERS, {"page_size": 5}).json()

    early = UserFactory.create_batch(2, username=factory.Sequence(lambda n: f"a{n:03}"))
    late = UserFactory.create_batch(2, username=factory.Sequence(lambda n: f"z{n:03}"))
    rest = _follow(client, first["next"], {})

    seen = [item["id"] for item in first["results"]] + [pk for page in rest for pk in page]
    assert len(seen) == len(set(seen))
    # Users are listed by username: what sorts after the cursor appears, what sorts before does not.
    assert set(seen) == {agent.pk} | {u.pk for u in before} | {u.pk for u in late}
    assert not {u.pk for u in early} & set(seen)


def test_previous_link_goes_back_to_the_first_page(agent, api_as):
    UserFactory.create_batch(9)
    client = api_as(agent)
    first = client.get(USERS, {"page_size": 4}).json()
    second = client.get(first["next"]).json()

    back = client.get(second["previous"]).json()

    assert first["previous"] is None
    assert [u["id"] for u in back["results"]] == [u["id"] for u in first["results"]]


def test_page_size_is_at_most_200(agent, api_as):
    UserFactory.create_batch(205)

    response = api_as(agent).get(USERS, {"page_size": 200})
    too_many = api_as(agent).get(USERS, {"page_size": 201})

    assert len(results(response)) == 200
    assert response.json()["next"] is not None
    assert too_many.status_code == 400
    assert too_many.json()["fields"] == {"page_size": ["Enter a whole number from 1 to 200."]}


@pytest.mark.parametrize(
    ("url", "key"), [(USERS, "username"), (GROUPS, "name"), ("/api/v1/organisations/", "name")]
)
def test_lists_follow_the_order_their_view_declares(url, key, people, administrator, api_as):
    SupportGroupFactory(name="Aardvark team")
    UserFactory(username="aaron")
    OrganisationFactory(name="Aardvark Ltd")

    values = [item[key] for item in results(api_as(administrator).get(url))]

    assert values == sorted(values)


# Constant query count per page: measure a small page, then a large one must stay within it.


def _grow_users(count):
    group = SupportGroupFactory()
    for _ in range(count):
        user = UserFactory(roles=[roles.AGENT, roles.GROUP_MANAGER], organisation=OrganisationFactory())
        group.members.add(user)
        SupportGroupFactory(members=[user])


def _grow_groups(count):
    for _ in range(count):
        members = UserFactory.create_batch(3, organisation=OrganisationFactory())
        SupportGroupFactory(
            manager=members[0], members=members, escalation_group=SupportGroup.objects.first()
        )


def _grow_events(count):
    for _ in range(count):
        user = UserFactory()
        audit_record(actor=user, action="user.updated", target=user, data={"changes": {}})
        audit_record(actor=None, action="support_group.updated", target=SupportGroupFactory())


def _grow_tokens(count, user, token_for):
    for index in range(count):
        token_for(user, name=f"token {index}")


@pytest.mark.parametrize(
    ("url", "grow"),
    [
        (USERS, lambda count, user, token_for: _grow_users(count)),
        (GROUPS, lambda count, user, token_for: _grow_groups(count)),
        (AUDIT, lambda count, user, token_for: _grow_events(count)),
        ("/api/v1/organisations/", lambda count, user, token_for: OrganisationFactory.create_batch(count)),
        ("/api/v1/me/tokens/", _grow_tokens),
    ],
)
@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_the_page(
    url, grow, administrator, bearer_client, token_for, django_assert_max_num_queries, settings
):
    settings.ITSM_MAX_API_TOKENS_PER_USER = 100
    client = bearer_client(administrator)
    client.get("/api/v1/me/")  # the token's first use writes last_used_at; measure without it
    grow(5, administrator, token_for)
    with CaptureQueriesContext(connection) as small:
        small_page = client.get(url, {"page_size": 100})
    assert len(results(small_page)) >= 5

    grow(40, administrator, token_for)
    with django_assert_max_num_queries(len(small)):
        large_page = client.get(url, {"page_size": 100})

    assert len(results(large_page)) >= 45
