"""Settings for single sign-on, read from environment variables (`itsm.settings.base` calls these).

Pure functions of a mapping (the environment), so tests build the same settings from their own values.
Each returns the Django settings to set: `ITSM_OIDC_ENABLED` / `ITSM_LDAP_ENABLED` say whether the
method is on, and the library's own settings (`OIDC_*`, `AUTH_LDAP_*`) follow from the variables.
"""

from collections.abc import Mapping

TRUE = {"1", "true", "yes", "on"}
DEFAULT_ROLES = "Requester"


def _bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    value = environ.get(name, "").strip().lower()
    return value in TRUE if value else default


def _list(environ: Mapping[str, str], name: str, default: str = "") -> list[str]:
    return [item.strip() for item in environ.get(name, default).split(",") if item.strip()]


def role_map(value: str) -> dict[str, str]:
    """`external=Role,external2=Role` → {external: Role}; the external name is matched case-insensitively,
    so it is kept lower-cased. With a `;` in the value, pairs are separated by `;` only (names holding
    commas, such as distinguished names); the role follows the last `=`."""
    mapping = {}
    for pair in value.split(";" if ";" in value else ","):
        external, sep, role = pair.rpartition("=")
        if sep and external.strip() and role.strip():
            mapping[external.strip().lower()] = role.strip()
    return mapping


def oidc_settings(environ: Mapping[str, str]) -> dict:
    """OpenID Connect: on when `ITSM_OIDC_CLIENT_ID` and either `ITSM_OIDC_ISSUER` (discovery) or the
    three endpoints are set."""
    client_id = environ.get("ITSM_OIDC_CLIENT_ID", "").strip()
    issuer = environ.get("ITSM_OIDC_ISSUER", "").strip().rstrip("/")
    endpoints = {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": environ.get("ITSM_OIDC_AUTHORIZATION_ENDPOINT", "").strip(),
        "OIDC_OP_TOKEN_ENDPOINT": environ.get("ITSM_OIDC_TOKEN_ENDPOINT", "").strip(),
        "OIDC_OP_USER_ENDPOINT": environ.get("ITSM_OIDC_USERINFO_ENDPOINT", "").strip(),
        "OIDC_OP_JWKS_ENDPOINT": environ.get("ITSM_OIDC_JWKS_URI", "").strip(),
    }
    enabled = bool(client_id) and bool(issuer or all(endpoints.values()))
    settings = {
        "ITSM_OIDC_ENABLED": enabled,
        "ITSM_OIDC_ISSUER": issuer,
        "ITSM_OIDC_PROVIDER_NAME": environ.get("ITSM_OIDC_PROVIDER_NAME", "").strip() or "OpenID Connect",
        "ITSM_OIDC_ROLES_CLAIM": environ.get("ITSM_OIDC_ROLES_CLAIM", "groups").strip(),
        "ITSM_OIDC_ROLE_MAP": role_map(environ.get("ITSM_OIDC_ROLE_MAP", "")),
        "ITSM_OIDC_DEFAULT_ROLES": _list(environ, "ITSM_OIDC_DEFAULT_ROLES", DEFAULT_ROLES),
        "ITSM_OIDC_CREATE_USERS": _bool(environ, "ITSM_OIDC_CREATE_USERS", True),
        "ITSM_OIDC_REQUIRE_VERIFIED_EMAIL": _bool(environ, "ITSM_OIDC_REQUIRE_VERIFIED_EMAIL", True),
    }
    if not enabled:
        return settings
    return {
        **settings,
        **endpoints,
        "OIDC_RP_CLIENT_ID": client_id,
        "OIDC_RP_CLIENT_SECRET": environ.get("ITSM_OIDC_CLIENT_SECRET", ""),
        "OIDC_RP_SIGN_ALGO": environ.get("ITSM_OIDC_SIGN_ALGO", "RS256").strip(),
        "OIDC_RP_SCOPES": environ.get("ITSM_OIDC_SCOPES", "openid email profile").strip(),
        "OIDC_USE_PKCE": _bool(environ, "ITSM_OIDC_USE_PKCE", True),
        "OIDC_TOKEN_USE_BASIC_AUTH": _bool(environ, "ITSM_OIDC_TOKEN_BASIC_AUTH", False),
        "OIDC_VERIFY_SSL": _bool(environ, "ITSM_OIDC_VERIFY_SSL", True),
        "OIDC_TIMEOUT": float(environ.get("ITSM_OIDC_TIMEOUT", "10")),
    }


GROUP_TYPES = {
    "groupofnames": "GroupOfNamesType",
    "groupofuniquenames": "GroupOfUniqueNamesType",
    "posixgroup": "PosixGroupType",
    "activedirectory": "ActiveDirectoryGroupType",
    "nestedactivedirectory": "NestedActiveDirectoryGroupType",
}


def ldap_settings(environ: Mapping[str, str]) -> dict:
    """LDAP / Active Directory: on when `ITSM_LDAP_SERVER_URI` is set, with either a user search base or
    a DN template."""
    uri = environ.get("ITSM_LDAP_SERVER_URI", "").strip()
    search_base = environ.get("ITSM_LDAP_USER_SEARCH_BASE", "").strip()
    dn_template = environ.get("ITSM_LDAP_USER_DN_TEMPLATE", "").strip()
    enabled = bool(uri) and bool(search_base or dn_template)
    settings = {
        "ITSM_LDAP_ENABLED": enabled,
        "ITSM_LDAP_ROLE_MAP": role_map(environ.get("ITSM_LDAP_ROLE_MAP", "")),
        "ITSM_LDAP_DEFAULT_ROLES": _list(environ, "ITSM_LDAP_DEFAULT_ROLES", DEFAULT_ROLES),
        "ITSM_LDAP_CREATE_USERS": _bool(environ, "ITSM_LDAP_CREATE_USERS", True),
        "ITSM_LDAP_ATTR_EMAIL": environ.get("ITSM_LDAP_ATTR_EMAIL", "mail").strip(),
        "ITSM_LDAP_ATTR_FULL_NAME": environ.get("ITSM_LDAP_ATTR_FULL_NAME", "cn").strip(),
        "ITSM_LDAP_ATTR_FIRST_NAME": environ.get("ITSM_LDAP_ATTR_FIRST_NAME", "givenName").strip(),
        "ITSM_LDAP_ATTR_LAST_NAME": environ.get("ITSM_LDAP_ATTR_LAST_NAME", "sn").strip(),
        "ITSM_LDAP_GROUPS_ENABLED": False,
    }
    if not enabled:
        return settings

    import ldap  # python-ldap: imported only when LDAP is configured
    from django_auth_ldap import config as ldap_config

    scope = ldap.SCOPE_SUBTREE
    ldap_settings = {
        "AUTH_LDAP_SERVER_URI": uri,
        "AUTH_LDAP_BIND_DN": environ.get("ITSM_LDAP_BIND_DN", ""),
        "AUTH_LDAP_BIND_PASSWORD": environ.get("ITSM_LDAP_BIND_PASSWORD", ""),
        "AUTH_LDAP_START_TLS": _bool(environ, "ITSM_LDAP_START_TLS", False),
        "AUTH_LDAP_CONNECTION_OPTIONS": {
            ldap.OPT_REFERRALS: 0,  # Active Directory's referrals need a bind of their own
            ldap.OPT_NETWORK_TIMEOUT: int(environ.get("ITSM_LDAP_TIMEOUT", "5")),
            ldap.OPT_TIMEOUT: int(environ.get("ITSM_LDAP_TIMEOUT", "5")),
        },
        # The desk writes names, addresses and roles itself (servicedesk.services.sso).
        "AUTH_LDAP_USER_ATTR_MAP": {},
        "AUTH_LDAP_ALWAYS_UPDATE_USER": False,
        "AUTH_LDAP_NO_NEW_USERS": not settings["ITSM_LDAP_CREATE_USERS"],
    }
    if dn_template:
        ldap_settings["AUTH_LDAP_USER_DN_TEMPLATE"] = dn_template
    else:
        ldap_settings["AUTH_LDAP_USER_SEARCH"] = ldap_config.LDAPSearch(
            search_base, scope, environ.get("ITSM_LDAP_USER_SEARCH_FILTER", "(uid=%(user)s)")
        )
    group_base = environ.get("ITSM_LDAP_GROUP_SEARCH_BASE", "").strip()
    if group_base:
        type_name = environ.get("ITSM_LDAP_GROUP_TYPE", "groupOfNames").strip().lower()
        group_type = getattr(ldap_config, GROUP_TYPES.get(type_name, "GroupOfNamesType"))
        ldap_settings["AUTH_LDAP_GROUP_SEARCH"] = ldap_config.LDAPSearch(
            group_base, scope, environ.get("ITSM_LDAP_GROUP_SEARCH_FILTER", "(objectClass=*)")
        )
        ldap_settings["AUTH_LDAP_GROUP_TYPE"] = group_type(
            name_attr=environ.get("ITSM_LDAP_GROUP_NAME_ATTR", "cn")
        )
        settings["ITSM_LDAP_GROUPS_ENABLED"] = True
        if environ.get("ITSM_LDAP_REQUIRE_GROUP", "").strip():
            ldap_settings["AUTH_LDAP_REQUIRE_GROUP"] = environ["ITSM_LDAP_REQUIRE_GROUP"].strip()
    return {**settings, **ldap_settings}
