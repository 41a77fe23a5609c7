"""A page's form that creates something, submitted twice (a double click, a reload after a slow answer,
the back button), creates it once: the form carries a token of its own (`form_token`), and the view
creates through `submit_once`, which records the token with what it made in the same transaction.

The token is stored as the API's `Idempotency-Key` is (`servicedesk.models.IdempotencyKey`, per person,
purged with them): the second submission waits on the unique index until the first commits, then finds
where the first one went and goes there too. A creation that fails rolls the token back with it, so the
corrected form may be sent again under the same token.
"""

import secrets
from collections.abc import Callable

from django.db import IntegrityError, transaction

from servicedesk.models import IdempotencyKey

FIELD = "form_token"
PREFIX = "form:"
MAX_TOKEN_LENGTH = 64


def form_token() -> str:
    """A new token for one rendering of a creating form (its hidden `form_token` field)."""
    return secrets.token_urlsafe(24)


def _valid(token: str) -> bool:
    return 16 <= len(token) <= MAX_TOKEN_LENGTH and all(char.isalnum() or char in "-_" for char in token)


def submit_once(request, token: str, create: Callable[[], str]) -> tuple[str, bool]:
    """Run `create` (which returns the address of what it made) once for `token` and the signed-in person:
    `(address, True)` for a token already used (nothing is created again), `(address, False)` when it
    ran now. Without a valid token `create` simply runs. What `create` raises propagates, and leaves the
    token unused."""
    user = request.user
    if not token or not _valid(token) or not user.is_authenticated:
        return create(), False
    key = PREFIX + token
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    user=user, key=key, method="POST", path=request.path[:500], request_digest=""
                )
        except IntegrityError:
            # The first submission has committed (the insert waited for it): go where it went.
            row = IdempotencyKey.objects.get(user=user, key=key)
            location = (row.response_headers or {}).get("Location")
            if location:
                return location, True
            row.delete()
            row = IdempotencyKey.objects.create(
                user=user, key=key, method="POST", path=request.path[:500], request_digest=""
            )
        location = create()
        row.status_code = 303
        row.response_headers = {"Location": location}
        row.save(update_fields=["status_code", "response_headers"])
        return location, False
