import hashlib
from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from servicedesk.models import ApiToken, AuditEvent

from .helpers import assert_error

TOKENS = "/api/v1/me/tokens/"
ME = "/api/v1/me/"


def create_token(client, **data) -> dict:
    response = client.post(TOKENS, {"name": "CI pipeline", **data}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def client_with(header: str) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=header)
    return client


def test_created_token_shows_its_key_once(requester, api_as):
    client = api_as(requester)

    created = create_token(client)

    key = created["key"]
    assert key.startswith("itsm_")
    assert len(key) > 40
    assert created["prefix"] == key[:12]
    assert created["name"] == "CI pipeline"
    assert created["is_active"] is True
    listed = client.get(TOKENS)
    assert listed.status_code == 200
    assert [token["id"] for token in listed.json()["results"]] == [created["id"]]
    assert "key" not in listed.json()["results"][0]
    assert key not in listed.content.decode()
    retrieved = client.get(f"{TOKENS}{created['id']}/")
    assert_error(retrieved, 405, "method_not_allowed")
    assert key not in retrieved.content.decode()


def test_only_the_sha256_digest_of_the_key_is_stored(requester, api_as):
    created = create_token(api_as(requester))

    row = ApiToken.objects.get(pk=created["id"])
    assert row.digest == hashlib.sha256(created["key"].encode()).hexdigest()
    stored = " ".join(str(value) for value in model_to_dict(row).values())
    assert created["key"] not in stored
    assert created["key"][12:] not in stored


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer"])
def test_key_authenticates_on_me_and_notes_when_it_was_used(keyword, requester, api_as):
    created = create_token(api_as(requester))
    assert ApiToken.objects.get(pk=created["id"]).last_used_at is None

    response = client_with(f"{keyword} {created['key']}").get(ME)

    assert response.status_code == 200, response.content
    assert response.json()["username"] == "requester"
    last_used = ApiToken.objects.get(pk=created["id"]).last_used_at
    assert last_used is not None
    assert timezone.now() - last_used < timedelta(minutes=1)


def test_key_authenticates_writes_without_a_csrf_token(requester, api_as):
    created = create_token(api_as(requester))

    response = client_with(f"Bearer {created['key']}").patch(
        ME, {"full_name": "Rita Requester"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["full_name"] == "Rita Requester"


def test_revoked_key_is_refused(requester, api_as):
    client = api_as(requester)
    created = create_token(client)
    bearer = client_with(f"Bearer {created['key']}")
    assert bearer.get(ME).status_code == 200

    revoked = client.delete(f"{TOKENS}{created['id']}/")

    assert revoked.status_code == 204
    assert revoked.content == b""
    assert_error(bearer.get(ME), 401, "authentication_failed")
    listed = client.get(TOKENS).json()["results"][0]
    assert listed["is_active"] is False
    assert listed["revoked_at"] is not None


def test_revoking_a_revoked_token_changes_nothing(requester, api_as):
    client = api_as(requester)
    created = create_token(client)
    client.delete(f"{TOKENS}{created['id']}/")
    first_revocation = ApiToken.objects.get(pk=created["id"]).revoked_at

    again = client.delete(f"{TOKENS}{created['id']}/")

    assert again.status_code == 204
    assert ApiToken.objects.get(pk=created["id"]).revoked_at == first_revocation
    assert AuditEvent.objects.filter(action="user.token_revoked").count() == 1


def test_expired_key_is_refused(requester, api_as):
    created = create_token(api_as(requester), expires_at=(timezone.now() + timedelta(days=1)).isoformat())
    bearer = client_with(f"Bearer {created['key']}")
    assert bearer.get(ME).status_code == 200

    ApiToken.objects.filter(pk=created["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert_error(bearer.get(ME), 401, "authentication_failed")


def test_key_of_an_inactive_user_is_refused(requester, api_as):
    created = create_token(api_as(requester))
    bearer = client_with(f"Bearer {created['key']}")
    assert bearer.get(ME).status_code == 200

    requester.is_active = False
    requester.save(update_fields=["is_active"])

    assert_error(bearer.get(ME), 401, "authentication_failed")


def test_user_cannot_revoke_another_users_token(requester, other_requester, api_as):
    theirs = create_token(api_as(other_requester))

    response = api_as(requester).delete(f"{TOKENS}{theirs['id']}/")

    assert_error(response, 404, "not_found")
    assert ApiToken.objects.get(pk=theirs["id"]).is_active
    assert client_with(f"Bearer {theirs['key']}").get(ME).status_code == 200


def test_users_list_only_their_own_tokens(requester, other_requester, api_as):
    mine = create_token(api_as(requester), name="mine")
    create_token(api_as(other_requester), name="theirs")

    response = api_as(requester).get(TOKENS)

    assert [token["name"] for token in response.json()["results"]] == ["mine"]
    assert response.json()["results"][0]["id"] == mine["id"]


def test_creating_and_revoking_are_audited_with_the_actor(requester, api_as):
    client = api_as(requester)
    created = create_token(client, name="deploy bot")
    client.delete(f"{TOKENS}{created['id']}/")

    events = AuditEvent.objects.filter(action__startswith="user.token_").order_by("id")

    assert [(e.action, e.actor, e.actor_label, e.object_id) for e in events] == [
        ("user.token_created", requester, "requester", str(requester.pk)),
        ("user.token_revoked", requester, "requester", str(requester.pk)),
    ]
    created_event, revoked_event = events
    assert created_event.data == {
        "token": created["id"],
        "name": "deploy bot",
        "prefix": created["prefix"],
        "expires_at": None,
    }
    assert revoked_event.data == {"token": created["id"], "name": "deploy bot", "prefix": created["prefix"]}
    assert created["key"] not in str(created_event.data)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "late", "expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "garbled", "expires_at": "next tuesday"}, "expires_at"),
    ],
)
def test_invalid_token_requests_are_refused_with_the_field(data, field, requester, api_as):
    response = api_as(requester).post(TOKENS, data, format="json")

    body = assert_error(response, 400)
    assert list(body["fields"]) == [field]
    assert not ApiToken.objects.exists()


@override_settings(ITSM_MAX_API_TOKENS_PER_USER=2)
def test_user_cannot_hold_more_than_the_maximum_of_active_tokens(requester, api_as):
    client = api_as(requester)
    first = create_token(client)
    create_token(client)

    refused = client.post(TOKENS, {"name": "one too many"}, format="json")
    assert_error(refused, 400, "too_many_tokens")
    client.delete(f"{TOKENS}{first['id']}/")
    accepted = client.post(TOKENS, {"name": "after revoking one"}, format="json")

    assert accepted.status_code == 201
    assert ApiToken.objects.filter(user=requester, revoked_at__isnull=True).count() == 2
