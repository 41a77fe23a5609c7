"""OpenID Connect sign-in on mozilla-django-oidc: the authorisation code flow with PKCE, ID tokens
checked for signature, issuer, audience and nonce, users matched by address or created, roles from a claim.

Endpoints come from the provider's discovery document (`ITSM_OIDC_ISSUER`) unless set one by one.
"""

import logging
import threading

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from servicedesk.services.sso import ExternalIdentity, SignInRefused, sso_user_find_or_create, sso_user_sync

logger = logging.getLogger(__name__)

DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
_discovery: dict[str, dict] = {}
_discovery_lock = threading.Lock()


def discovery_document(issuer: str) -> dict:
    """The provider's `/.well-known/openid-configuration`, fetched once per process and issuer."""
    with _discovery_lock:
        if issuer not in _discovery:
            response = requests.get(
                f"{issuer}/.well-known/openid-configuration",
                timeout=import_from_settings("OIDC_TIMEOUT", 10),
                verify=import_from_settings("OIDC_VERIFY_SSL", True),
            )
            response.raise_for_status()
            document = response.json()
            if document.get("issuer", "").rstrip("/") != issuer:
                raise ImproperlyConfigured("The OpenID provider's discovery document names another issuer.")
            _discovery[issuer] = document
        return _discovery[issuer]


def oidc_setting(attr: str, *default):
    """A mozilla-django-oidc setting; an endpoint left unset comes from the discovery document."""
    value = getattr(settings, attr, "")
    if attr in DISCOVERED and not value and settings.ITSM_OIDC_ISSUER:
        try:
            value = discovery_document(settings.ITSM_OIDC_ISSUER).get(DISCOVERED[attr], "")
        except requests.RequestException as error:
            raise ImproperlyConfigured(f"OpenID provider discovery failed: {error}") from error
    if value in ("", None):
        return import_from_settings(attr, *default)
    return value


class DeskOIDCBackend(OIDCAuthenticationBackend):
    """Answers only the OpenID callback, and only when `ITSM_OIDC_ENABLED`; configures itself then (the
    backend is built for every sign-in attempt and every request of its sessions)."""

    def __init__(self, *args, **kwargs):
        self.UserModel = get_user_model()

    get_settings = staticmethod(oidc_setting)

    def get_user(self, user_id):
        """The session's user while active (as ModelBackend: deactivating a user ends their sessions)."""
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None

    def authenticate(self, request, **kwargs):
        if not settings.ITSM_OIDC_ENABLED or request is None or "code" not in request.GET:
            return None
        try:
            super().__init__()
            user = super().authenticate(request, **kwargs)
        except (
            requests.RequestException,
            SuspiciousOperation,
            jwt.PyJWTError,
            ImproperlyConfigured,
        ) as error:
            logger.warning("OpenID Connect sign-in failed: %s", error)
            return None
        if user is None or not user.is_active:
            return None
        return user

    def verify_token(self, token, **kwargs):
        """mozilla-django-oidc checks the signature and the nonce; the issuer and the audience here."""
        payload = super().verify_token(token, **kwargs)
        issuer = settings.ITSM_OIDC_ISSUER
        if issuer and str(payload.get("iss", "")).rstrip("/") != issuer:
            raise SuspiciousOperation("The ID token's issuer is not the configured one.")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token is not for this client.")
        self._id_claims = payload
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        """The claims are the ID token's and the userinfo endpoint's (which wins); see `identity_from`."""
        claims = {**payload, **self.get_userinfo(access_token, id_token, payload)}
        identity = identity_from(claims)
        try:
            user = sso_user_find_or_create(
                identity=identity,
                create=settings.ITSM_OIDC_CREATE_USERS,
                default_roles=settings.ITSM_OIDC_DEFAULT_ROLES,
            )
            if user is None:
                logger.info("OpenID Connect sign-in: no desk user for %s", identity.email)
                return None
            if not user.is_active:
                logger.info("OpenID Connect sign-in: user %s is deactivated", user.pk)
                return None
            return sso_user_sync(
                user=user,
                identity=identity,
                role_map=settings.ITSM_OIDC_ROLE_MAP,
                default_roles=settings.ITSM_OIDC_DEFAULT_ROLES,
            )
        except SignInRefused as error:
            raise SuspiciousOperation(f"OpenID Connect sign-in refused: {error.code}") from error


def identity_from(claims: dict) -> ExternalIdentity:
    """Who the claims describe. Refused (SuspiciousOperation) without an address, or with one the provider
    says is unverified while `ITSM_OIDC_REQUIRE_VERIFIED_EMAIL` is on."""
    email = str(claims.get("email") or "").strip()
    if not email:
        raise SuspiciousOperation("The provider sent no e-mail address.")
    if settings.ITSM_OIDC_REQUIRE_VERIFIED_EMAIL and claims.get("email_verified") in (False, "false"):
        raise SuspiciousOperation("The provider says the e-mail address is not verified.")
    full_name = claims.get("name") or " ".join(
        part for part in (claims.get("given_name"), claims.get("family_name")) if part
    )
    groups = None
    claim = settings.ITSM_OIDC_ROLES_CLAIM
    if claim and claim in claims:
        value = claims[claim]
        groups = frozenset([value] if isinstance(value, str) else (str(item) for item in value or ()))
    return ExternalIdentity(
        source="oidc",
        username=str(claims.get("preferred_username") or ""),
        email=email,
        full_name=str(full_name or ""),
        groups=groups,
    )
