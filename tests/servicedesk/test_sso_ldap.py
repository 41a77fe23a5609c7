"""LDAP sign-in through the ordinary sign-in form, against a real slapd the tests start."""

import pytest

from servicedesk.models import AuditEvent, User
from tests.sso_servers import LDAP_PASSWORD, use_ldap

from ..factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _sign_in(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def _roles(user):
    return sorted(user.groups.values_list("name", flat=True))


@pytest.fixture
def ldap(settings, ldap_server):
    use_ldap(settings, ldap_server)
    return ldap_server


def test_a_directory_user_signs_in_and_is_created_with_the_mapped_roles(client, ldap):
    response = _sign_in(client, "ada", LDAP_PASSWORD)

    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="ada")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session["_auth_user_backend"] == "servicedesk.sso.ldap.DeskLDAPBackend"
    assert (user.email, user.full_name) == ("Ada.Lovelace@example.org", "Ada Lovelace")
    assert not user.has_usable_password()
    assert _roles(user) == ["Agent", "Requester"]
    assert not user.is_staff
    assert not user.is_superuser
    assert AuditEvent.objects.filter(action="user.created_by_sign_in", object_id=str(user.pk)).exists()
    assert client.get("/").status_code == 200


def test_a_wrong_directory_password_is_refused(client, ldap):
    response = _sign_in(client, "ada", "not-the-password")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(username="ada").exists()


def test_an_unknown_directory_user_is_refused(client, ldap):
    assert _sign_in(client, "nobody", LDAP_PASSWORD).status_code == 200
    assert "_auth_user_id" not in client.session


def test_roles_follow_the_directory_groups_at_each_sign_in(client, ldap):
    lin = UserFactory(username="lin", email="lin.wei@example.org", roles=["Requester", "Change manager"])

    _sign_in(client, "lin", LDAP_PASSWORD)

    assert _roles(lin) == ["Administrator", "Agent", "Requester"]
    # Out of desk-admins in the directory: the next sign-in drops the role.
    ldap.modify(
        "dn: cn=desk-admins,ou=groups,dc=example,dc=org\nchangetype: modify\n"
        "delete: member\nmember: uid=lin,ou=people,dc=example,dc=org\n"
    )
    try:
        client.logout()
        _sign_in(client, "lin", LDAP_PASSWORD)
        assert _roles(lin) == ["Agent", "Requester"]
    finally:
        ldap.modify(
            "dn: cn=desk-admins,ou=groups,dc=example,dc=org\nchangetype: modify\n"
            "add: member\nmember: uid=lin,ou=people,dc=example,dc=org\n"
        )


def test_an_existing_user_is_matched_by_address_case_insensitively(client, ldap):
    existing = UserFactory(username="ada.l", email="ada.lovelace@EXAMPLE.org", roles=["Requester"])

    _sign_in(client, "ada", LDAP_PASSWORD)

    assert client.session["_auth_user_id"] == str(existing.pk)
    assert User.objects.filter(email__iexact="ada.lovelace@example.org").count() == 1


def test_a_directory_user_in_no_mapped_group_is_a_requester(client, ldap):
    _sign_in(client, "sam", LDAP_PASSWORD)

    assert _roles(User.objects.get(username="sam")) == ["Requester"]


def test_a_deactivated_user_cannot_sign_in_with_the_directory_password(client, ldap):
    UserFactory(username="ada", email="ada.lovelace@example.org", is_active=False, roles=["Agent"])

    response = _sign_in(client, "ada", LDAP_PASSWORD)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert not User.objects.get(username="ada").is_active


def test_without_creating_users_an_unknown_person_is_refused(client, settings, ldap_server):
    use_ldap(settings, ldap_server, ITSM_LDAP_CREATE_USERS="false")

    assert _sign_in(client, "ada", LDAP_PASSWORD).status_code == 200
    assert not User.objects.filter(username="ada").exists()


def test_local_accounts_keep_working_beside_the_directory(client, ldap, requester):
    assert _sign_in(client, "requester", PASSWORD).status_code == 302
    assert client.session["_auth_user_backend"] == "django.contrib.auth.backends.ModelBackend"


def test_an_unreachable_directory_refuses_without_an_error_page(client, settings, ldap_server, requester):
    use_ldap(settings, ldap_server, ITSM_LDAP_SERVER_URI="ldap://127.0.0.1:1", ITSM_LDAP_TIMEOUT="1")

    assert _sign_in(client, "ada", LDAP_PASSWORD).status_code == 200
    assert _sign_in(client, "requester", PASSWORD).status_code == 302


def test_ldap_is_off_when_not_configured(client, settings, ldap_server):
    assert settings.ITSM_LDAP_ENABLED is False

    assert _sign_in(client, "ada", LDAP_PASSWORD).status_code == 200
    assert not User.objects.filter(username="ada").exists()


def test_deactivating_a_directory_user_ends_their_session(client, ldap):
    _sign_in(client, "ada", LDAP_PASSWORD)
    assert client.get("/").status_code == 200

    User.objects.filter(username="ada").update(is_active=False)

    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")
