"""One contract for every resource of the API: each POST honours Idempotency-Key, each editable resource
answers an ETag and refuses a stale If-Match with 412, and a PATCH writes only the fields sent."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from cmdb.models import Baseline, CIClass, CIRelationship, ConfigurationItem, ImportJob
from incidents.models import Incident
from servicedesk import roles
from servicedesk.api.idempotency import IdempotentPostMixin
from servicedesk.models import ApiToken, Organisation, SupportGroup, User, WebhookSubscription

from ..factories import SupportGroupFactory, UserFactory
from ..incidents.factories import IncidentFactory
from .helpers import assert_error


@pytest.fixture
def admin(db, organisation):
    return UserFactory(username="root", roles=[roles.ADMINISTRATOR], organisation=organisation, is_staff=True)


@pytest.fixture
def server(db):
    return ConfigurationItem.objects.create(name="srv-01", ci_class=CIClass.objects.get(code="server"))


@pytest.fixture
def database(db):
    return ConfigurationItem.objects.create(name="db-01", ci_class=CIClass.objects.get(code="database"))


def _api_views(resolver=None, prefix=""):
    """Every view class routed under /api/v1/, with its route."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern, route)
        elif isinstance(pattern, URLPattern) and "api/v1" in route:
            view = getattr(pattern.callback, "cls", None)
            if view is not None:
                yield route, view


def test_every_view_of_the_api_honours_idempotency_keys():
    views = list(_api_views())

    assert len(views) > 30
    assert [route for route, view in views if not issubclass(view, IdempotentPostMixin)] == []


# Each creating POST: (path, body, the model whose rows it creates)
CREATES = {
    "ci": lambda w: ("/api/v1/cis/", {"name": "srv-new", "ci_class": "server"}, ConfigurationItem),
    "ci-class": lambda w: (
        "/api/v1/ci-classes/",
        {"code": "blade", "name": "Blade", "parent": "server"},
        CIClass,
    ),
    "ci-relationship": lambda w: (
        "/api/v1/ci-relationships/",
        {"source": w["database"].pk, "target": w["server"].pk, "type": "runs_on"},
        CIRelationship,
    ),
    "baseline": lambda w: (
        "/api/v1/baselines/",
        {"name": "Before the upgrade", "classes": ["server"]},
        Baseline,
    ),
    "import": lambda w: (
        "/api/v1/cis/import/",
        {"rows": [{"class": "server", "name": "srv-imp"}]},
        ImportJob,
    ),
    "user": lambda w: ("/api/v1/users/", {"username": "newbie", "email": "newbie@example.com"}, User),
    "organisation": lambda w: ("/api/v1/organisations/", {"name": "Fabrikam"}, Organisation),
    "support-group": lambda w: ("/api/v1/support-groups/", {"name": "Network"}, SupportGroup),
    "token": lambda w: ("/api/v1/me/tokens/", {"name": "monitoring"}, ApiToken),
    "webhook": lambda w: (
        "/api/v1/webhooks/",
        {"name": "Chat", "url": "https://chat.example.com/hook", "events": ["incident.created"]},
        WebhookSubscription,
    ),
}


@pytest.mark.parametrize("name", sorted(CREATES))
def test_a_retried_create_creates_nothing_twice(name, admin, server, database, api_as):
    client = api_as(admin)
    path, body, model = CREATES[name]({"server": server, "database": database})
    before = model.objects.count()

    first = client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=f"once-{name}")
    second = client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=f"once-{name}")

    assert first.status_code in (200, 201), first.content
    assert second.status_code == first.status_code
    assert second["Idempotent-Replayed"] == "true"
    assert model.objects.count() == before + 1


@pytest.mark.parametrize(("path", "secret"), [("/api/v1/me/tokens/", "key"), ("/api/v1/webhooks/", "secret")])
def test_a_replayed_create_never_shows_a_secret_again(path, secret, admin, api_as):
    client = api_as(admin)
    body = {"name": "Chat", "url": "https://chat.example.com/hook", "events": ["incident.created"]}

    first = client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    second = client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert first.json()[secret]
    assert second.json()[secret] is None
    assert {k: v for k, v in second.json().items() if k != secret} == {
        k: v for k, v in first.json().items() if k != secret
    }


def test_adding_a_member_twice_with_one_key_adds_once(admin, api_as):
    group, person = SupportGroupFactory(), UserFactory(roles=[roles.AGENT])
    client = api_as(admin)
    path = f"/api/v1/support-groups/{group.pk}/members/"

    first = client.post(path, {"user": person.pk}, format="json", HTTP_IDEMPOTENCY_KEY="m")
    second = client.post(path, {"user": person.pk}, format="json", HTTP_IDEMPOTENCY_KEY="m")

    assert (first.status_code, second.status_code) == (200, 200)
    assert second["Idempotent-Replayed"] == "true"
    group.refresh_from_db()
    assert group.revision == 2


# Editable resources: (path of one, a change, the field it changes, a change someone else makes first)
EDITS = {
    "ci": lambda w: (f"/api/v1/cis/{w['server'].pk}/", {"description": "Rack 4"}, {"version": "2.1"}),
    "ci-class": lambda w: (
        f"/api/v1/ci-classes/{CIClass.objects.get(code='server').pk}/",
        {"description": "Physical servers"},
        {"name": "Servers"},
    ),
    "user": lambda w: (f"/api/v1/users/{w['person'].pk}/", {"phone": "123"}, {"full_name": "Pat Doe"}),
    "organisation": lambda w: (
        f"/api/v1/organisations/{w['person'].organisation_id}/",
        {"phone": "555"},
        {"email_domain": "contoso.example"},
    ),
    "support-group": lambda w: (
        f"/api/v1/support-groups/{w['group'].pk}/",
        {"description": "Routers"},
        {"email": "net@example.com"},
    ),
    "webhook": lambda w: (f"/api/v1/webhooks/{w['hook'].pk}/", {"name": "Chat 2"}, {"is_active": False}),
    "me": lambda w: ("/api/v1/me/", {"phone": "777"}, {"full_name": "The admin"}),
}


@pytest.fixture
def world(admin, server, organisation):
    from servicedesk.services.webhooks import webhook_subscription_create

    hook, _secret = webhook_subscription_create(
        actor=None, name="Chat", url="https://chat.example.com/hook", events=["incident.created"]
    )
    return {
        "server": server,
        "person": UserFactory(organisation=organisation),
        "group": SupportGroupFactory(),
        "hook": hook,
    }


@pytest.mark.parametrize("name", sorted(EDITS))
def test_a_stale_if_match_answers_412_and_changes_nothing(name, world, admin, api_as):
    client = api_as(admin)
    path, mine, theirs = EDITS[name](world)
    read = client.get(path)
    assert read.status_code == 200
    etag = read["ETag"]
    assert client.patch(path, theirs, format="json").status_code == 200

    response = client.patch(path, mine, format="json", HTTP_IF_MATCH=etag)

    assert_error(response, 412, "stale_write")
    after = client.get(path).json()
    assert all(after[field] != value for field, value in mine.items())
    assert all(after[field] == value for field, value in theirs.items())


@pytest.mark.parametrize("name", sorted(EDITS))
def test_a_current_if_match_writes_only_the_fields_sent(name, world, admin, api_as):
    client = api_as(admin)
    path, mine, theirs = EDITS[name](world)
    etag = client.get(path)["ETag"]

    response = client.patch(path, mine, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 200, response.content
    assert response["ETag"] != etag
    assert client.get(path, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    # A write without If-Match, made with an old copy in hand, changes the fields it sends and no other.
    assert client.patch(path, theirs, format="json").status_code == 200
    after = client.get(path).json()
    assert all(after[field] == value for field, value in {**mine, **theirs}.items())


def test_a_stale_if_match_on_a_ci_transition_and_a_relationship_delete_answers_412(
    server, database, admin, api_as
):
    client = api_as(admin)
    relationship = client.post(
        "/api/v1/ci-relationships/",
        {"source": database.pk, "target": server.pk, "type": "runs_on"},
        format="json",
    )
    rel_path = f"/api/v1/ci-relationships/{relationship.json()['id']}/"
    rel_etag = client.get(rel_path)["ETag"]
    ci_etag = client.get(f"/api/v1/cis/{server.pk}/")["ETag"]
    client.patch(f"/api/v1/cis/{server.pk}/", {"version": "2"}, format="json")

    moved = client.post(
        f"/api/v1/cis/{server.pk}/transitions/", {"to": "in_production"}, format="json", HTTP_IF_MATCH=ci_etag
    )
    assert_error(moved, 412, "stale_write")
    server.refresh_from_db()
    assert server.status == "planned"

    assert client.delete(rel_path, HTTP_IF_MATCH='"1-99"').status_code == 412
    assert client.delete(rel_path, HTTP_IF_MATCH=rel_etag).status_code == 204


def test_a_stale_if_match_on_a_membership_change_answers_412(admin, api_as):
    group, person = SupportGroupFactory(), UserFactory(roles=[roles.AGENT])
    client = api_as(admin)
    etag = client.get(f"/api/v1/support-groups/{group.pk}/")["ETag"]
    client.patch(f"/api/v1/support-groups/{group.pk}/", {"description": "x"}, format="json")

    response = client.post(
        f"/api/v1/support-groups/{group.pk}/members/", {"user": person.pk}, format="json", HTTP_IF_MATCH=etag
    )

    assert_error(response, 412, "stale_write")
    assert not group.members.exists()


def test_every_kind_answers_its_transitions_in_one_shape(admin, server, api_as):
    record = IncidentFactory(status=Incident.Status.NEW)
    client = api_as(admin)

    answers = [
        client.get(f"/api/v1/incidents/{record.number}/transitions/").json(),
        client.get(f"/api/v1/cis/{server.pk}/transitions/").json(),
    ]

    for answer in answers:
        assert set(answer) == {"status", "allowed"}
        assert answer["allowed"], answer
        for transition in answer["allowed"]:
            assert set(transition) == {"name", "to", "label", "requires", "accepts"}, transition
