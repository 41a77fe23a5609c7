"""The single sign-on service: finding, creating and synchronising desk users."""

import pytest

from servicedesk.models import AuditEvent, User
from servicedesk.services.sso import ExternalIdentity, SignInRefused, sso_user_find_or_create, sso_user_sync

from ..factories import UserFactory

pytestmark = pytest.mark.django_db
MAP = {"desk-agents": "Agent"}


def _identity(**fields):
    return ExternalIdentity(**{"source": "oidc", "username": "ann", "email": "ann@example.org", **fields})


def _roles(user):
    return sorted(user.groups.values_list("name", flat=True))


def test_a_new_user_gets_the_default_roles_and_an_unusable_password():
    user = sso_user_find_or_create(
        identity=_identity(full_name="Ann Lee"), create=True, default_roles=["Requester"]
    )

    assert (user.username, user.email, user.full_name) == ("ann", "ann@example.org", "Ann Lee")
    assert _roles(user) == ["Requester"]
    assert not user.has_usable_password()
    assert list(
        AuditEvent.objects.filter(object_id=str(user.pk)).values_list("action", flat=True).order_by("pk")
    ) == [
        "user.created",
        "user.roles_changed",
        "user.created_by_sign_in",
    ]


def test_an_invalid_or_taken_username_falls_back_to_the_address_then_a_number():
    UserFactory(username="ann@example.org", email="someone@example.org")

    user = sso_user_find_or_create(identity=_identity(username="Ann Lee"), create=True)

    assert user.username == "ann@example.org-2"


def test_without_an_address_nobody_is_created():
    with pytest.raises(SignInRefused):
        sso_user_find_or_create(identity=_identity(email=""), create=True)
    assert sso_user_find_or_create(identity=_identity(), create=False) is None
    assert not User.objects.exists()


def test_ldap_matches_by_username_before_the_address():
    by_name = UserFactory(username="Ann", email="ann.old@example.org")
    UserFactory(email="ann@example.org")

    assert sso_user_find_or_create(identity=_identity(source="ldap"), create=True) == by_name
    # OpenID Connect goes by the address only.
    assert sso_user_find_or_create(identity=_identity(), create=True) != by_name


def test_sync_takes_the_providers_name_and_address_but_never_anothers_address():
    user = UserFactory(email="ann.old@example.org", full_name="A. Lee")
    UserFactory(email="taken@example.org")

    user = sso_user_sync(
        user=user,
        identity=_identity(email="ann@example.org", full_name="Ann Lee"),
        role_map={},
        default_roles=[],
    )
    assert (user.email, user.full_name) == ("ann@example.org", "Ann Lee")

    user = sso_user_sync(
        user=user, identity=_identity(email="TAKEN@example.org"), role_map={}, default_roles=[]
    )
    user.refresh_from_db()
    assert user.email == "ann@example.org"


def test_sync_sets_roles_only_with_a_map_and_groups():
    user = UserFactory(roles=["Change manager"])

    sso_user_sync(
        user=user, identity=_identity(groups=frozenset({"desk-agents"})), role_map={}, default_roles=[]
    )
    assert _roles(user) == ["Change manager"]
    sso_user_sync(user=user, identity=_identity(groups=None), role_map=MAP, default_roles=["Requester"])
    assert _roles(user) == ["Change manager"]

    sso_user_sync(
        user=user,
        identity=_identity(groups=frozenset({"Desk-Agents"})),
        role_map=MAP,
        default_roles=["Requester"],
    )
    assert _roles(user) == ["Agent", "Requester"]
    assert not user.is_staff
