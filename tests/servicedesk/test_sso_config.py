"""Single sign-on settings from the environment (servicedesk/sso/config.py) and the role mapping."""

import pytest
from django.conf import settings
from django_auth_ldap.config import GroupOfNamesType, LDAPSearch, NestedActiveDirectoryGroupType

from servicedesk.services.sso import roles_for
from servicedesk.sso.config import ldap_settings, oidc_settings, role_map


def test_both_are_off_unless_configured():
    assert settings.ITSM_OIDC_ENABLED is False
    assert settings.ITSM_LDAP_ENABLED is False
    assert oidc_settings({})["ITSM_OIDC_ENABLED"] is False
    assert ldap_settings({})["ITSM_LDAP_ENABLED"] is False
    # A client id alone, or a server alone, is not enough.
    assert oidc_settings({"ITSM_OIDC_CLIENT_ID": "desk"})["ITSM_OIDC_ENABLED"] is False
    assert ldap_settings({"ITSM_LDAP_SERVER_URI": "ldap://dir"})["ITSM_LDAP_ENABLED"] is False


def test_oidc_from_an_issuer_or_from_explicit_endpoints():
    by_discovery = oidc_settings({"ITSM_OIDC_CLIENT_ID": "desk", "ITSM_OIDC_ISSUER": "https://id.example/"})
    assert by_discovery["ITSM_OIDC_ENABLED"] is True
    assert by_discovery["ITSM_OIDC_ISSUER"] == "https://id.example"
    assert by_discovery["OIDC_OP_TOKEN_ENDPOINT"] == ""  # from the discovery document
    assert by_discovery["OIDC_USE_PKCE"] is True
    assert by_discovery["OIDC_RP_SIGN_ALGO"] == "RS256"
    assert by_discovery["ITSM_OIDC_DEFAULT_ROLES"] == ["Requester"]

    endpoints = {
        "ITSM_OIDC_CLIENT_ID": "desk",
        "ITSM_OIDC_AUTHORIZATION_ENDPOINT": "https://id.example/auth",
        "ITSM_OIDC_TOKEN_ENDPOINT": "https://id.example/token",
        "ITSM_OIDC_USERINFO_ENDPOINT": "https://id.example/me",
    }
    assert oidc_settings(endpoints)["ITSM_OIDC_ENABLED"] is False  # no JWKS: RS256 cannot be checked
    explicit = oidc_settings({**endpoints, "ITSM_OIDC_JWKS_URI": "https://id.example/keys"})
    assert explicit["ITSM_OIDC_ENABLED"] is True
    assert explicit["OIDC_OP_USER_ENDPOINT"] == "https://id.example/me"


def test_ldap_with_a_user_search_and_active_directory_groups():
    values = ldap_settings(
        {
            "ITSM_LDAP_SERVER_URI": "ldaps://dc1.corp.example",
            "ITSM_LDAP_USER_SEARCH_BASE": "ou=Staff,dc=corp,dc=example",
            "ITSM_LDAP_USER_SEARCH_FILTER": "(sAMAccountName=%(user)s)",
            "ITSM_LDAP_GROUP_SEARCH_BASE": "ou=Groups,dc=corp,dc=example",
            "ITSM_LDAP_GROUP_TYPE": "nestedActiveDirectory",
            "ITSM_LDAP_ROLE_MAP": "IT Service Desk=Agent;Domain Admins=Administrator",
            "ITSM_LDAP_CREATE_USERS": "off",
        }
    )
    assert values["ITSM_LDAP_ENABLED"] is True
    assert isinstance(values["AUTH_LDAP_USER_SEARCH"], LDAPSearch)
    assert values["AUTH_LDAP_USER_SEARCH"].filterstr == "(sAMAccountName=%(user)s)"
    assert isinstance(values["AUTH_LDAP_GROUP_TYPE"], NestedActiveDirectoryGroupType)
    assert values["ITSM_LDAP_GROUPS_ENABLED"] is True
    assert values["ITSM_LDAP_ROLE_MAP"] == {"it service desk": "Agent", "domain admins": "Administrator"}
    assert values["AUTH_LDAP_NO_NEW_USERS"] is True
    assert values["AUTH_LDAP_USER_ATTR_MAP"] == {}


def test_ldap_with_a_dn_template_and_no_groups():
    values = ldap_settings(
        {"ITSM_LDAP_SERVER_URI": "ldap://dir", "ITSM_LDAP_USER_DN_TEMPLATE": "uid=%(user)s,ou=people,dc=x"}
    )
    assert values["AUTH_LDAP_USER_DN_TEMPLATE"] == "uid=%(user)s,ou=people,dc=x"
    assert "AUTH_LDAP_USER_SEARCH" not in values
    assert values["ITSM_LDAP_GROUPS_ENABLED"] is False
    assert "AUTH_LDAP_GROUP_TYPE" not in values
    unknown_type = ldap_settings(
        {
            "ITSM_LDAP_SERVER_URI": "ldap://dir",
            "ITSM_LDAP_USER_DN_TEMPLATE": "uid=%(user)s",
            "ITSM_LDAP_GROUP_SEARCH_BASE": "ou=g",
            "ITSM_LDAP_GROUP_TYPE": "nonsense",
        }
    )
    assert isinstance(unknown_type["AUTH_LDAP_GROUP_TYPE"], GroupOfNamesType)


def test_role_map_parsing():
    assert role_map("") == {}
    assert role_map("a=Agent, B = Administrator ,broken, =Agent, c=") == {"a": "Agent", "b": "Administrator"}
    # Names with ',' and '=' in them: pairs separated by ';', the role after the last '='.
    assert role_map("cn=desk,ou=g=Agent;x=Requester") == {"cn=desk,ou=g": "Agent", "x": "Requester"}


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        ([], {"Requester"}),
        (["IT-Agents"], {"Agent", "Requester"}),
        (["it-agents", "admins", "canteen"], {"Agent", "Administrator", "Requester"}),
        (["typo"], {"Requester"}),
    ],
)
def test_roles_for_groups(groups, expected):
    mapping = {"it-agents": "Agent", "admins": "Administrator", "typo": "Not a role"}
    assert roles_for(groups, mapping, ["Requester"]) == expected
