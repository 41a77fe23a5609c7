"""LDAP / Active Directory sign-in on django-auth-ldap, through the ordinary sign-in form.

The directory checks the password; the desk user is found by username, then by address, or created, and
gets the directory's name and address and the roles its groups map to (`ITSM_LDAP_ROLE_MAP`).
"""

import logging

import ldap
from django.conf import settings
from django_auth_ldap.backend import LDAPBackend

from servicedesk.services.sso import ExternalIdentity, SignInRefused, sso_user_find_or_create, sso_user_sync

logger = logging.getLogger(__name__)


def _first(attrs, name: str) -> str:
    values = (attrs or {}).get(name) if name else None
    return str(values[0]).strip() if values else ""


def identity_from(ldap_user, username: str) -> ExternalIdentity:
    """Who the directory entry describes; groups only when a group search is configured."""
    attrs = ldap_user.attrs
    full_name = _first(attrs, settings.ITSM_LDAP_ATTR_FULL_NAME) or " ".join(
        part
        for part in (
            _first(attrs, settings.ITSM_LDAP_ATTR_FIRST_NAME),
            _first(attrs, settings.ITSM_LDAP_ATTR_LAST_NAME),
        )
        if part
    )
    groups = frozenset(ldap_user.group_names) if settings.ITSM_LDAP_GROUPS_ENABLED else None
    return ExternalIdentity(
        source="ldap",
        username=username,
        email=_first(attrs, settings.ITSM_LDAP_ATTR_EMAIL),
        full_name=full_name,
        groups=groups,
    )


class DeskLDAPBackend(LDAPBackend):
    """Does nothing unless `ITSM_LDAP_ENABLED`; a directory that cannot be reached refuses the sign-in
    (the local accounts, checked by ModelBackend before this one, keep working)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.ITSM_LDAP_ENABLED or not username or not password:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        """The session's user while active (as ModelBackend: deactivating a user ends their sessions)."""
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None

    def get_or_build_user(self, username, ldap_user):
        """Called once the directory accepted the password: the matched or new desk user (saved)."""
        identity = identity_from(ldap_user, username)
        try:
            user = sso_user_find_or_create(
                identity=identity,
                create=settings.ITSM_LDAP_CREATE_USERS,
                default_roles=settings.ITSM_LDAP_DEFAULT_ROLES,
            )
        except SignInRefused as error:
            raise ldap_user.AuthenticationFailed(f"refused: {error.code}") from error
        if user is None:
            raise ldap_user.AuthenticationFailed("no desk user and ITSM_LDAP_CREATE_USERS is off")
        return user, False

    def authenticate_ldap_user(self, ldap_user, password):
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is None:
            return None
        if not user.is_active:
            logger.info("LDAP sign-in: user %s is deactivated", user.pk)
            return None
        try:
            identity = identity_from(ldap_user, user.username)
        except ldap.LDAPError as error:  # the group search failed: roles would be guessed
            logger.warning("LDAP sign-in: reading %s's groups failed: %s", user.pk, error)
            return None
        return sso_user_sync(
            user=user,
            identity=identity,
            role_map=settings.ITSM_LDAP_ROLE_MAP,
            default_roles=settings.ITSM_LDAP_DEFAULT_ROLES,
        )
