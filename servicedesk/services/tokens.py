"""Personal API tokens: created with the key shown once, stored as a SHA-256 digest, revocable."""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.errors import ApplicationError, PermissionDenied
from servicedesk.models import ApiToken, User
from servicedesk.permissions import ApiTokenPolicy

from .audit import audit_record

KEY_PREFIX = "itsm_"
LAST_USED_GRANULARITY = timedelta(minutes=1)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: User, actor: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token for `user` and return it with its key, which is never retrievable again.

    Only the user creates their own tokens. Raises PermissionDenied, or ApplicationError when the
    expiry is in the past or the user already has the maximum number of active tokens.
    """
    if actor is None or actor.pk != user.pk:
        raise PermissionDenied()
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise ApplicationError(
            code="invalid_expiry", fields={"expires_at": [_("The expiry must be in the future.")]}
        )
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True).exclude(expires_at__lte=now).count()
    if active >= settings.ITSM_MAX_API_TOKENS_PER_USER:
        raise ApplicationError(
            _("You have too many active tokens: revoke one first."), code="too_many_tokens"
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:12], digest=_digest(key), expires_at=expires_at
    )
    audit_record(
        actor=actor,
        action="user.token_created",
        target=user,
        data={"token": token.pk, "name": name, "prefix": token.prefix, "expires_at": expires_at},
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke a token at once; revoking a revoked token changes nothing. Raises PermissionDenied."""
    if not ApiTokenPolicy.can_revoke(actor, token):
        raise PermissionDenied()
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="user.token_revoked",
            target=token.user,
            data={"token": token.pk, "name": token.name, "prefix": token.prefix},
        )
    return token


def api_token_authenticate(*, key: str) -> ApiToken | None:
    """The active token with this key and an active user, or None. Notes when it was last used."""
    if not key.startswith(KEY_PREFIX) or len(key) > 128:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=_digest(key)).first()
    if token is None or not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        # Bookkeeping, not a domain write: at most one UPDATE a minute per token, no audit.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
