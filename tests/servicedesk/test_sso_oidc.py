"""OpenID Connect sign-in against a real provider the tests serve from a thread (tests/sso_servers.py):
the browser's part (following redirects, posting the provider's login form) is done here with the test
client and `requests`; the desk talks to the provider over HTTP itself."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from servicedesk.models import AuditEvent, User
from tests.sso_servers import CLIENT_ID, OIDC_PASSWORD, use_oidc

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(settings, oidc_provider):
    use_oidc(settings, oidc_provider)
    oidc_provider.add_account(
        "grace",
        email="Grace.Hopper@Example.org",
        email_verified=True,
        name="Grace Hopper",
        groups=["itsm-agents", "staff"],
    )
    return oidc_provider


def _sign_in(client, username="grace", password=OIDC_PASSWORD, next_url=None):
    """Start at the desk, sign in at the provider, come back: the desk's last answer."""
    start = client.get("/oidc/authenticate/", {"next": next_url} if next_url else {})
    assert start.status_code == 302
    authorize = urlsplit(start.url)
    params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    page = requests.get(start.url, timeout=5)
    assert page.status_code == 200
    assert 'name="password"' in page.text
    answer = requests.post(
        f"{authorize.scheme}://{authorize.netloc}/authorize",
        data={**params, "username": username, "password": password},
        allow_redirects=False,
        timeout=5,
    )
    if answer.status_code != 302:
        return answer
    back = urlsplit(answer.headers["Location"])
    return client.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})


def _roles(user):
    return sorted(user.groups.values_list("name", flat=True))


def test_the_login_page_offers_the_provider_only_when_configured(client, settings, oidc_provider):
    assert "Sign in with" not in client.get("/login/").content.decode()
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/", {"code": "x", "state": "y"}).status_code == 404

    use_oidc(settings, oidc_provider)
    content = client.get("/login/", {"next": "/incidents/"}).content.decode()
    assert "Sign in with Example ID" in content
    assert 'href="/oidc/authenticate/?next=/incidents/"' in content


def test_the_request_carries_state_nonce_and_pkce(client, provider):
    start = client.get("/oidc/authenticate/")

    params = parse_qs(urlsplit(start.url).query)
    assert start.url.startswith(f"{provider.issuer}/authorize?")
    assert params["client_id"] == [CLIENT_ID]
    assert params["redirect_uri"] == ["http://testserver/oidc/callback/"]
    assert params["code_challenge_method"] == ["S256"]
    assert {"state", "nonce", "code_challenge"} <= set(params)


def test_a_new_person_is_created_with_the_claimed_roles_and_lands_where_they_were_going(client, provider):
    response = _sign_in(client, next_url="/profile/")

    assert response.status_code == 302
    assert response.url == "/profile/"
    user = User.objects.get(email__iexact="grace.hopper@example.org")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert (user.username, user.full_name) == ("grace", "Grace Hopper")
    assert not user.has_usable_password()
    assert _roles(user) == ["Agent", "Requester"]
    assert AuditEvent.objects.filter(action="user.created_by_sign_in", object_id=str(user.pk)).exists()
    assert client.get("/profile/").status_code == 200


def test_an_existing_user_is_matched_by_address_and_roles_are_applied_at_each_sign_in(client, provider):
    existing = UserFactory(username="ghopper", email="grace.hopper@example.org", roles=["Change manager"])

    _sign_in(client)
    assert client.session["_auth_user_id"] == str(existing.pk)
    assert _roles(existing) == ["Agent", "Requester"]

    provider.accounts["grace"]["groups"] = ["itsm-admins"]
    client.logout()
    _sign_in(client)
    assert _roles(existing) == ["Administrator", "Requester"]
    assert User.objects.count() == 1
    existing.refresh_from_db()
    assert existing.username == "ghopper"
    assert not existing.is_staff


def test_without_the_roles_claim_the_roles_are_left_alone(client, provider):
    existing = UserFactory(email="grace.hopper@example.org", roles=["Problem manager"])
    del provider.accounts["grace"]["groups"]

    _sign_in(client)

    assert client.session["_auth_user_id"] == str(existing.pk)
    assert _roles(existing) == ["Problem manager"]


def test_a_taken_username_falls_back_to_the_address(client, provider):
    UserFactory(username="grace", email="someone.else@example.org")

    _sign_in(client)

    assert User.objects.get(email__iexact="grace.hopper@example.org").username == "Grace.Hopper@Example.org"


def test_a_deactivated_user_is_refused(client, provider):
    UserFactory(email="grace.hopper@example.org", is_active=False, roles=["Requester"])

    response = _sign_in(client)

    assert response.status_code == 302
    assert response.url == "/login/"
    assert "_auth_user_id" not in client.session
    page = client.get("/login/").content.decode()
    assert "Signing in with Example ID did not work" in page


def test_an_unverified_address_is_refused(client, provider):
    provider.accounts["grace"]["email_verified"] = False

    assert _sign_in(client).url == "/login/"
    assert not User.objects.filter(email__iexact="grace.hopper@example.org").exists()


def test_without_creating_users_an_unknown_person_is_refused(client, settings, provider):
    use_oidc(settings, provider, ITSM_OIDC_CREATE_USERS="no")

    assert _sign_in(client).url == "/login/"
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param({"iss": "http://evil.example"}, id="another issuer"),
        pytest.param({"aud": "another-client"}, id="another audience"),
        pytest.param({"key": rsa.generate_private_key(65537, 2048)}, id="another key"),
    ],
)
def test_an_id_token_that_does_not_check_out_is_refused(client, provider, tamper):
    provider.tamper.update(tamper)

    assert _sign_in(client).url == "/login/"
    assert "_auth_user_id" not in client.session
    assert not User.objects.exists()


def test_a_wrong_password_at_the_provider_never_comes_back(client, provider):
    answer = _sign_in(client, password="wrong")

    assert answer.status_code == 200
    assert "Wrong username or password" in answer.text
    assert not User.objects.exists()


def test_a_callback_with_an_unknown_state_is_refused(client, provider):
    client.get("/oidc/authenticate/")

    response = client.get("/oidc/callback/", {"code": "stolen", "state": "forged"})

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_a_provider_that_cannot_be_reached_sends_back_to_the_login_page(client, settings, provider):
    settings.ITSM_OIDC_ISSUER = "http://127.0.0.1:1"

    response = client.get("/oidc/authenticate/")

    assert response.status_code == 302
    assert response.url == "/login/"
    assert "cannot be reached" in client.get("/login/").content.decode()


def test_deactivating_a_user_ends_their_openid_session(client, provider):
    _sign_in(client)
    assert client.session["_auth_user_backend"] == "servicedesk.sso.oidc.DeskOIDCBackend"
    assert client.get("/").status_code == 200

    User.objects.filter(email__iexact="grace.hopper@example.org").update(is_active=False)

    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")
