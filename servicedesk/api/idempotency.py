"""`Idempotency-Key` on every POST of the API: a retried request replays the first answer and creates
nothing twice.

Every API view mixes in `IdempotentPostMixin` (through `servicedesk.api.base`; a test walks the URL
configuration to keep it so). When a POST carries the header, the key's row is inserted in the same
transaction as the handler's work:

- the handler fails (an exception, or an answer that is not 2xx): the transaction rolls back, or the row is
  removed, so the key stays unused and a corrected retry runs;
- two requests with one key at once: the second blocks on the unique index until the first commits, then
  finds its row and replays it (or runs, if the first rolled back);
- a retry with the same key and the same request (method, path and body) gets the stored answer with
  `Idempotent-Replayed: true`; a different request under a used key gets 422 `idempotency_key_reused`.

Keys are per user and kept for `ITSM_IDEMPOTENCY_TTL_HOURS`; older ones count as unused and the beat task
`servicedesk.idempotency_keys_purge` deletes them. A secret that an answer shows once (a token, a signing
secret) is never stored: the view names such fields in `idempotency_redacted`, and a replay shows them
empty.
"""

import functools
import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.response import Response

from servicedesk.errors import ApplicationError
from servicedesk.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
STORED_HEADERS = ("Location", "ETag")
MAX_KEY_LENGTH = 255


class InvalidIdempotencyKey(ApplicationError):
    status_code = 400
    default_code = "invalid_idempotency_key"
    default_message = _("The Idempotency-Key header must be 1 to 255 printable ASCII characters.")


class IdempotencyKeyReused(ApplicationError):
    status_code = 422
    default_code = "idempotency_key_reused"
    default_message = _("This Idempotency-Key was already used for a different request.")


class RequestTooLarge(ApplicationError):
    status_code = 400
    default_code = "request_too_large"
    default_message = _("The request body is too large.")


def _valid_key(value: str) -> bool:
    return 1 <= len(value) <= MAX_KEY_LENGTH and all(" " <= char <= "~" for char in value)


def request_digest(request) -> str:
    """SHA-256 over the method, the path and the body.

    A multipart body is digested as its parsed fields and file contents, not its bytes: clients draw a new
    boundary for every attempt, which would make each honest retry look like another request.
    """
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b"\0" + request.path.encode("utf-8", "surrogateescape") + b"\0")
    if (request.content_type or "").startswith("multipart/"):
        data = request.data
        for name in sorted(data.keys()):
            for value in data.getlist(name):
                digest.update(name.encode() + b"\0")
                if hasattr(value, "chunks"):
                    digest.update((value.name or "").encode() + b"\0")
                    for chunk in value.chunks():
                        digest.update(chunk)
                    value.seek(0)
                else:
                    digest.update(str(value).encode("utf-8", "surrogateescape"))
                digest.update(b"\0")
    else:
        try:
            digest.update(request._request.body)
        except RequestDataTooBig as exc:
            raise RequestTooLarge() from exc
    return digest.hexdigest()


def _replay(row: IdempotencyKey) -> Response:
    response = Response(row.response_body, status=row.status_code)
    for name, value in row.response_headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def _cutoff():
    return timezone.now() - timedelta(hours=settings.ITSM_IDEMPOTENCY_TTL_HOURS)


def _stored_body(data, redacted):
    if redacted and isinstance(data, dict):
        return {name: (None if name in redacted else value) for name, value in data.items()}
    return data


def run_idempotent(view, handler, request, *args, **kwargs):
    """Run a POST `handler` honouring the request's Idempotency-Key; see the module docstring.

    Without the header, or for an anonymous caller, the handler runs as usual. Raises
    InvalidIdempotencyKey (400) for a malformed key and IdempotencyKeyReused (422) for a key used with a
    different request.
    """
    key = request.headers.get(HEADER)
    user = getattr(request, "user", None)
    if key is None or request.method != "POST" or user is None or not user.is_authenticated:
        return handler(request, *args, **kwargs)
    if not _valid_key(key):
        raise InvalidIdempotencyKey()
    digest = request_digest(request)
    with transaction.atomic():
        IdempotencyKey.objects.filter(user=user, key=key, created_at__lt=_cutoff()).delete()
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    user=user,
                    key=key,
                    method=request.method[:10],
                    path=request.path[:500],
                    request_digest=digest,
                )
        except IntegrityError:
            # Another request holds the key and has committed (the insert waited for it).
            row = IdempotencyKey.objects.get(user=user, key=key)
            if row.request_digest != digest:
                raise IdempotencyKeyReused() from None
            return _replay(row)
        response = handler(request, *args, **kwargs)
        if not 200 <= response.status_code < 300:
            row.delete()
            return response
        row.status_code = response.status_code
        row.response_body = _stored_body(getattr(response, "data", None), view.idempotency_redacted)
        row.response_headers = {name: response[name] for name in STORED_HEADERS if response.has_header(name)}
        row.save(update_fields=["status_code", "response_body", "response_headers"])
        return response


class IdempotentPostMixin:
    """Every POST of the view honours `Idempotency-Key` (DRF's dispatch authenticates, then calls the
    wrapped handler). `idempotency_redacted`: answer fields never stored for a replay (secrets)."""

    idempotency_redacted: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        handler = getattr(self, "post", None)
        if request.method == "POST" and handler is not None:
            self.post = functools.partial(run_idempotent, self, handler)
        return super().dispatch(request, *args, **kwargs)
