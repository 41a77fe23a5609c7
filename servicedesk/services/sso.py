"""Single sign-on: find or create the desk user a provider vouches for, and keep their name, address and
roles as the provider says (docs/decisions.md, "Single sign-on").

The authentication backends (`servicedesk.sso.oidc`, `servicedesk.sso.ldap`) call `sso_user_find_or_create`
and `sso_user_sync`; everything they write goes through the people services, so it is audited.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from servicedesk.errors import ApplicationError
from servicedesk.models import User
from servicedesk.roles import ROLE_PERMISSIONS

from .audit import audit_record
from .people import user_create, user_set_roles, user_update

logger = logging.getLogger(__name__)


class SignInRefused(ApplicationError):
    """The provider vouched for someone the desk cannot create (no address, no possible username)."""

    status_code = 403
    default_code = "sign_in_refused"


@dataclass(frozen=True)
class ExternalIdentity:
    """Who a provider says signed in. `groups` None: the provider said nothing about groups."""

    source: str  # "oidc" or "ldap"
    username: str
    email: str
    full_name: str = ""
    groups: frozenset[str] | None = None


def roles_for(groups: Iterable[str], role_map: dict[str, str], default_roles: Iterable[str]) -> set[str]:
    """The desk roles for a provider's groups: the mapped ones (names matched case-insensitively) plus the
    default roles; names that are not desk roles are left out."""
    wanted = {role_map[group.lower()] for group in groups if group.lower() in role_map}
    wanted |= set(default_roles)
    unknown = wanted - set(ROLE_PERMISSIONS)
    if unknown:
        logger.warning("single sign-on: ignoring unknown roles %s (check the role map)", sorted(unknown))
    return wanted & set(ROLE_PERMISSIONS)


def _match(identity: ExternalIdentity) -> User | None:
    """LDAP: by username, then by address; OpenID Connect: by address. Case-insensitive; an address
    belongs to one user at most (servicedesk_user_email_unique_ci)."""
    if identity.source == "ldap" and identity.username:
        user = User.objects.filter(username__iexact=identity.username).first()
        if user is not None:
            return user
    if not identity.email:
        return None
    return User.objects.filter(email__iexact=identity.email).first()


def _free_username(identity: ExternalIdentity) -> str:
    """The provider's username when valid and free, else the address, else the address with a number."""
    field = User._meta.get_field("username")
    candidates = [identity.username, identity.email] + [f"{identity.email}-{n}" for n in range(2, 20)]
    for candidate in candidates:
        candidate = (candidate or "").strip()
        if not candidate or len(candidate) > field.max_length:
            continue
        try:
            field.run_validators(candidate)
        except ValidationError:
            continue
        if not User.objects.filter(username__iexact=candidate).exists():
            return candidate
    raise SignInRefused(code="no_username")


@transaction.atomic
def sso_user_find_or_create(
    *, identity: ExternalIdentity, create: bool, default_roles: Iterable[str] = ()
) -> User | None:
    """The desk user the provider vouches for; created (with no usable password and `default_roles`) when
    missing and `create` is on, else None. Raises SignInRefused when a new user would have no address."""
    user = _match(identity)
    if user is not None or not create:
        return user
    if not identity.email:
        raise SignInRefused(code="no_email")
    user = user_create(
        actor=None,
        username=_free_username(identity),
        email=identity.email,
        full_name=identity.full_name[:200],
        roles=roles_for((), {}, default_roles),
    )
    audit_record(actor=None, action="user.created_by_sign_in", target=user, data={"source": identity.source})
    return user


@transaction.atomic
def sso_user_sync(
    *,
    user: User,
    identity: ExternalIdentity,
    role_map: dict[str, str],
    default_roles: Iterable[str],
) -> User:
    """Make the user's name and address the provider's (an address another user has is left alone) and,
    when a role map is configured and the provider named groups, the user's roles exactly the mapped
    ones plus the defaults. Never touches `is_active`, `is_staff` or `is_superuser`."""
    changes = {}
    if identity.full_name and identity.full_name[:200] != user.full_name:
        changes["full_name"] = identity.full_name[:200]
    if identity.email and identity.email.lower() != user.email.lower():
        if User.objects.filter(email__iexact=identity.email).exclude(pk=user.pk).exists():
            logger.warning("single sign-on: %s's new address is another user's; kept the old one", user.pk)
        else:
            changes["email"] = identity.email
    if changes:
        user = user_update(user=user, actor=None, **changes)
    if role_map and identity.groups is not None:
        user = user_set_roles(
            user=user, actor=None, roles=roles_for(identity.groups, role_map, default_roles)
        )
    return user
