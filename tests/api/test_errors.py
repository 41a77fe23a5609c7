"""Every 4xx answer is JSON `{"code", "message", "fields"}`, and no input gives a 500."""

import base64

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from servicedesk.models import ApiToken

from ..factories import SupportGroupFactory
from .helpers import assert_error


@pytest.fixture
def admin_client(administrator):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(administrator)
    return client


@pytest.mark.parametrize(
    ("method", "url", "data", "code", "fields"),
    [
        (
            "post",
            "/api/v1/users/",
            {"username": "newbie", "email": "not-an-e-mail"},
            "validation_error",
            ["email"],
        ),
        (
            "post",
            "/api/v1/users/",
            {"username": "newbie", "roles": ["Overlord"]},
            "validation_error",
            ["roles"],
        ),
        ("post", "/api/v1/users/", {"username": "has space"}, "validation_error", ["username"]),
        ("post", "/api/v1/users/", {"username": "administrator"}, "validation_error", ["username"]),
        pytest.param(
            "post",
            "/api/v1/users/",
            {"username": "clash", "email": "ADMINISTRATOR@example.com"},
            "validation_error",
            ["email"],
            id="e-mail-taken-in-another-case",
        ),
        ("post", "/api/v1/users/", {"email": "x@example.com"}, "validation_error", ["username"]),
        ("patch", "/api/v1/me/", {"time_zone": "Mars/Olympus_Mons"}, "validation_error", ["time_zone"]),
        ("patch", "/api/v1/me/", {"language": "tlh"}, "validation_error", ["language"]),
        ("patch", "/api/v1/me/", {"full_name": "x" * 201}, "validation_error", ["full_name"]),
        ("get", "/api/v1/users/?organisation=999999", None, "validation_error", ["organisation"]),
        ("get", "/api/v1/users/?support_group=abc", None, "validation_error", ["support_group"]),
        ("get", "/api/v1/users/?role=Overlord", None, "validation_error", ["role"]),
        ("get", "/api/v1/support-groups/?tier=tier9", None, "validation_error", ["tier"]),
        ("get", "/api/v1/support-groups/?member=999999", None, "validation_error", ["member"]),
        ("get", "/api/v1/audit-events/?since=yesterday", None, "validation_error", ["since"]),
        ("get", "/api/v1/audit-events/?actor=abc", None, "validation_error", ["actor"]),
        ("post", "/api/v1/organisations/", {"name": "Contoso Ltd"}, "validation_error", ["name"]),
        ("post", "/api/v1/organisations/", {}, "validation_error", ["name"]),
        ("post", "/api/v1/support-groups/", {"name": "G", "tier": "tier9"}, "validation_error", ["tier"]),
        (
            "post",
            "/api/v1/support-groups/",
            {"name": "G", "members": [999999]},
            "validation_error",
            ["members"],
        ),
        ("post", "/api/v1/me/tokens/", {}, "validation_error", ["name"]),
        (
            "post",
            "/api/v1/me/tokens/",
            {"name": "late", "expires_at": "2000-01-01T00:00:00Z"},
            "invalid_expiry",
            ["expires_at"],
        ),
        ("post", "/api/v1/users/", ["not", "an", "object"], "validation_error", ["non_field_errors"]),
    ],
)
def test_bad_input_answers_400_with_the_fields_at_fault(
    method, url, data, code, fields, admin_client, organisation
):
    response = getattr(admin_client, method)(url, data, format="json")

    body = assert_error(response, 400, code)
    assert sorted(body["fields"]) == fields
    assert all(isinstance(message, str) for message in _leaves(body["fields"]))


def _leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def test_group_escalating_to_itself_is_refused_on_the_field(admin_client, support_group):
    response = admin_client.patch(
        f"/api/v1/support-groups/{support_group.pk}/", {"escalation_group": support_group.pk}, format="json"
    )

    body = assert_error(response, 400, "invalid_escalation_group")
    assert list(body["fields"]) == ["escalation_group"]


def test_adding_an_unknown_member_is_refused_on_the_field(admin_client, support_group):
    response = admin_client.post(
        f"/api/v1/support-groups/{support_group.pk}/members/", {"user": 999999}, format="json"
    )

    body = assert_error(response, 400, "validation_error")
    assert list(body["fields"]) == ["user"]


def test_malformed_json_answers_400(admin_client):
    response = admin_client.generic("PATCH", "/api/v1/me/", '{"full_name": ', content_type="application/json")

    body = assert_error(response, 400, "parse_error")
    assert body["fields"] == {}


def test_unsupported_media_type_answers_415(admin_client):
    response = admin_client.generic("PATCH", "/api/v1/me/", "full_name=X", content_type="text/plain")

    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer itsm_not-a-real-key",
        "Token itsm_not-a-real-key",
        "Bearer not-even-our-prefix",
        "Bearer two parts",
        "Bearer",
        "Bearer itsm_" + "x" * 5000,
        "Bearer itsm_\xe9t\xe9",
    ],
)
def test_bad_credentials_answer_401(authorization, requester):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=authorization)

    response = client.get("/api/v1/me/")

    assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "url", ["/api/v1/me/", "/api/v1/users/", "/api/v1/audit-events/", "/api/v1/me/tokens/"]
)
def test_missing_credentials_answer_401(url, db):
    assert_error(APIClient().get(url), 401, "not_authenticated")


def test_revoked_token_answers_401(requester, token_for):
    key = token_for(requester)
    ApiToken.objects.filter(user=requester).update(revoked_at=timezone.now())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    assert_error(client.get("/api/v1/me/"), 401, "authentication_failed")


@pytest.mark.parametrize(
    ("role", "method", "url"),
    [
        ("requester", "post", "/api/v1/users/"),
        ("requester", "post", "/api/v1/organisations/"),
        ("agent", "post", "/api/v1/support-groups/"),
        ("agent", "get", "/api/v1/audit-events/"),
        ("group_manager", "get", "/api/v1/audit-events/1/"),
    ],
)
def test_forbidden_answers_403(role, method, url, request, api_as):
    client = api_as(request.getfixturevalue(role))

    response = getattr(client, method)(url, {"name": "x", "username": "x"}, format="json")

    assert_error(response, 403, "permission_denied")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/users/999999/",
        "/api/v1/users/99999999999999999999999/",
        "/api/v1/organisations/999999/",
        "/api/v1/support-groups/999999/",
        "/api/v1/audit-events/999999/",
        "/api/v1/users/abc/",
        "/api/v1/users/-1/",
        "/api/v1/no-such-thing/",
        "/api/v2/users/",
        "/api/anything",
        "/api/",
    ],
)
def test_unknown_objects_and_paths_answer_json_404(url, admin_client):
    assert_error(admin_client.get(url), 404, "not_found")


@pytest.mark.parametrize("url", ["/api/v1/no-such-thing/", "/api/v1/users/abc/", "/api/anything"])
@pytest.mark.parametrize(
    "method",
    [
        "get",
        pytest.param(
            "post",
        ),
        pytest.param(
            "patch",
        ),
        pytest.param(
            "delete",
        ),
    ],
)
def test_unknown_paths_answer_json_404_to_token_clients_for_every_method(
    method, url, administrator, bearer_client
):
    client = bearer_client(administrator)

    response = getattr(client, method)(url, {}, format="json")

    assert_error(response, 404, "not_found")


def test_unknown_object_in_a_write_answers_404_to_token_clients(administrator, bearer_client):
    response = bearer_client(administrator).patch("/api/v1/users/999999/", {"full_name": "X"}, format="json")

    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("put", "/api/v1/users/{user}/"),
        ("delete", "/api/v1/users/{user}/"),
        ("put", "/api/v1/organisations/{organisation}/"),
        ("delete", "/api/v1/organisations/{organisation}/"),
        ("put", "/api/v1/support-groups/{group}/"),
        ("delete", "/api/v1/support-groups/{group}/"),
        ("post", "/api/v1/audit-events/"),
        ("delete", "/api/v1/audit-events/"),
        ("put", "/api/v1/me/"),
        ("delete", "/api/v1/me/"),
        ("post", "/api/v1/me/"),
        ("patch", "/api/v1/me/tokens/{token}/"),
        ("get", "/api/v1/support-groups/{group}/members/"),
    ],
)
def test_unsupported_methods_answer_405(method, url, administrator, support_group, token_for, admin_client):
    token_for(administrator)
    token = ApiToken.objects.get(user=administrator)
    path = url.format(
        user=administrator.pk,
        organisation=administrator.organisation_id,
        group=support_group.pk,
        token=token.pk,
    )

    response = getattr(admin_client, method)(path, {}, format="json")

    assert_error(response, 405, "method_not_allowed")
    assert response.has_header("Allow")


THROTTLED = {
    **settings.REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "10000/min", "user": "10000/min", "tokens": "2/min"},
}


@override_settings(REST_FRAMEWORK=THROTTLED)
def test_token_endpoints_answer_429_past_their_rate(requester, api_as):
    client = api_as(requester)
    assert [client.get("/api/v1/me/tokens/").status_code for _ in range(2)] == [200, 200]

    response = client.get("/api/v1/me/tokens/")

    body = assert_error(response, 429, "throttled")
    assert 0 < body["retry_after"] <= 60
    assert int(response["Retry-After"]) == body["retry_after"]
    assert client.get("/api/v1/me/").status_code == 200, "the tokens scope throttles only the token endpoints"


@override_settings(
    REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "1/min", "user": "1/min"}}
)
def test_any_endpoint_answers_429_past_the_users_rate(requester, other_requester, api_as):
    client = api_as(requester)
    assert client.get("/api/v1/me/").status_code == 200

    assert_error(client.get("/api/v1/users/"), 429, "throttled")
    assert api_as(other_requester).get("/api/v1/me/").status_code == 200, "rates are counted per user"


# Inputs that must never answer a 500: the answer may be a success or a 4xx, always in the one shape.
CURSOR_WITH_TEXT_POSITION = base64.b64encode(b"p=abc").decode()
CURSOR_WITH_TEXT_DIRECTION = base64.b64encode(b"r=abc").decode()
NOT_A_500 = [
    pytest.param(
        "get", f"/api/v1/users/?cursor={CURSOR_WITH_TEXT_DIRECTION}", None, 404, id="garbled-cursor"
    ),
    pytest.param("get", "/api/v1/users/?cursor=%FF%FE", None, 404, id="cursor-not-base64-ascii"),
    pytest.param(
        "get",
        f"/api/v1/audit-events/?cursor={CURSOR_WITH_TEXT_POSITION}",
        None,
        404,
        id="cursor-with-a-text-position",
    ),
    pytest.param("get", "/api/v1/users/?page_size=-1", None, 400, id="negative-page-size"),
    pytest.param("get", "/api/v1/users/?page_size=abc", None, 400, id="text-page-size"),
    pytest.param("get", "/api/v1/users/?page_size=1" + "0" * 30, None, 400, id="huge-page-size"),
    pytest.param("get", "/api/v1/users/?organisation=1" + "0" * 30, None, 400, id="huge-organisation-filter"),
    pytest.param("get", "/api/v1/users/?q=%00", None, 400, id="nul-in-q"),
    pytest.param("get", "/api/v1/users/?q=" + "word%20" * 500, None, 200, id="many-words-in-q"),
    pytest.param("get", "/api/v1/users/?q=%25_%5C", None, 200, id="like-wildcards-in-q"),
    pytest.param("get", "/api/v1/audit-events/?action=%00", None, 400, id="nul-in-action"),
    pytest.param("get", "/api/v1/audit-events/?since=2024-02-30T00:00:00Z", None, 400, id="impossible-date"),
    pytest.param(
        "get",
        "/api/v1/audit-events/?since=0001-01-01T00:00:00%2B14:00",
        None,
        400,
        id="since-before-year-one-in-utc",
    ),
    pytest.param(
        "get",
        "/api/v1/audit-events/?until=9999-12-31T23:59:59-12:00",
        None,
        400,
        id="until-after-year-9999-in-utc",
    ),
    pytest.param("patch", "/api/v1/me/", {"full_name": "a\x00b"}, 400, id="nul-in-body"),
    pytest.param("patch", "/api/v1/me/", {"full_name": ["a list"]}, 400, id="list-for-a-string"),
    pytest.param("patch", "/api/v1/me/", {"time_zone": "../../etc/passwd"}, 400, id="path-as-time-zone"),
    pytest.param("patch", "/api/v1/me/", {"time_zone": "x" * 10_000}, 400, id="huge-time-zone"),
    pytest.param("patch", "/api/v1/me/", "just a string", 400, id="string-body"),
    pytest.param("patch", "/api/v1/me/", None, 200, id="null-body"),
    pytest.param("patch", "/api/v1/users/1" + "0" * 30 + "/", {"full_name": "X"}, 404, id="huge-id"),
    pytest.param(
        "post", "/api/v1/users/", {"username": "u", "organisation": 10**30}, 400, id="huge-organisation-id"
    ),
    pytest.param("post", "/api/v1/users/", {"username": "u", "organisation": True}, 400, id="bool-for-an-id"),
    pytest.param("post", "/api/v1/users/", {"username": "u", "is_active": "perhaps"}, 400, id="not-a-bool"),
    pytest.param("post", "/api/v1/users/", {"username": "u", "roles": "Agent"}, 400, id="string-for-a-list"),
    pytest.param("post", "/api/v1/users/", {"username": "u", "password": "123"}, 400, id="weak-password"),
    pytest.param("post", "/api/v1/users/", {"username": "名前"}, 201, id="unicode-username"),
    pytest.param(
        "post",
        "/api/v1/me/tokens/",
        {"name": "far", "expires_at": "9999-12-31T23:59:59-12:00"},
        400,
        id="expiry-past-year-9999",
    ),
    pytest.param(
        "post",
        "/api/v1/support-groups/",
        {"name": "G", "members": [1, "x", None]},
        400,
        id="mixed-member-ids",
    ),
    pytest.param("post", "/api/v1/organisations/", {"name": "x" * 201}, 400, id="name-too-long"),
]


@pytest.mark.parametrize(("method", "url", "data", "status"), NOT_A_500)
def test_no_input_gives_a_500(method, url, data, status, admin_client, support_group):
    response = getattr(admin_client, method)(url, data, format="json")

    if status >= 400:
        assert_error(response, status)
    else:
        assert response.status_code == status, response.content[:500]


def test_deeply_nested_json_answers_400(admin_client):
    response = admin_client.generic("POST", "/api/v1/users/", "[" * 100_000, content_type="application/json")

    assert_error(response, 400, "parse_error")


def test_too_many_query_parameters_answer_json_400(admin_client):
    query = "&".join(f"p{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))

    assert_error(admin_client.get(f"/api/v1/users/?{query}"), 400)


def test_errors_of_a_group_manager_on_an_unmanaged_group_change_nothing(group_manager, agent, api_as):
    group = SupportGroupFactory(members=[agent])

    response = api_as(group_manager).delete(f"/api/v1/support-groups/{group.pk}/members/{agent.pk}/")

    assert_error(response, 403, "permission_denied")
    assert list(group.members.all()) == [agent]


@pytest.mark.django_db
def test_a_date_filter_with_a_large_utc_offset_is_read_in_utc(api_as, administrator):
    response = api_as(administrator).get("/api/v1/audit-events/", {"since": "0655-02-18T15:27:07.429+19:08"})

    assert response.status_code == 200, response.content
