"""Conditional requests (RFC 9110 §13) on every editable resource: `ETag` on answers, `If-Match` on writes,
`If-None-Match` on reads.

An answer's entity tag is `"<pk>-<version>-<digest>"`: the row's version (records' `version`, the other
resources' `revision`), which every write through a service moves on, and a digest of what the answer shows.
If-Match compares the version part (a write depends on the row), If-None-Match the whole tag (a cached copy
is good only while the answer is the same, time-dependent parts such as SLA clocks included). Tags compare
weakly: a `W/` prefix is ignored.
"""

import hashlib
import json
from contextlib import contextmanager

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from rest_framework import status
from rest_framework.response import Response

from servicedesk.concurrency import lock, version_of
from servicedesk.errors import StaleWrite


def _entity_tags(header: str) -> list[str] | None:
    """The tags of an If-Match / If-None-Match value, without `W/`; None for `*` (any current state)."""
    header = header.strip()
    if header == "*":
        return None
    tags = []
    for part in header.split(","):
        part = part.strip()
        if part[:2].upper() == "W/":
            part = part[2:].strip()
        if part:
            tags.append(part)
    return tags


def _version_part(tag: str) -> str | None:
    """`7-3` of a tag `"7-3-<digest>"` (or of `"7-3"`): the row and version a write depends on; None
    for what is not a quoted tag."""
    if len(tag) < 2 or tag[0] != '"' or tag[-1] != '"':
        return None
    parts = tag[1:-1].split("-")
    return "-".join(parts[:2]) if len(parts) >= 2 else None


def entity_tag(obj, data=None) -> str:
    """`obj`'s ETag for a representation `data`: `"<pk>-<version>-<digest of data>"`.

    The version names the row's state; the digest covers what the answer shows beyond it (an SLA clock's
    time left, which moves with time alone; what this caller may do), so a 304 never hides a change.
    """
    digest = hashlib.sha256(
        json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
    ).hexdigest()[:16]
    return f'"{_version_part(obj.etag)}-{digest}"'


def expected_version(request, obj) -> int | None:
    """The version a write may apply to, from the request's If-Match, for the services' `expected_version`.

    None when the request sent no If-Match (an unconditional write) or `*`. A tag matches when it names the
    object's current version (its digest part is not compared: the write depends on the row, not on how
    it was shown). Raises StaleWrite (412) otherwise; the service, locking the row, raises StaleWrite too
    if the object moves on between this read and its lock.
    """
    header = request.headers.get("If-Match")
    if header is None:
        return None
    tags = _entity_tags(header)
    if tags is None:
        return None
    current = _version_part(obj.etag)
    version = version_of(obj)
    if not any(_version_part(tag) == current for tag in tags):
        raise StaleWrite(extra={"current_version": version})
    return version


@contextmanager
def locked_if_match(request, obj):
    """A write's transaction, with `obj`'s row locked and held to the request's If-Match (StaleWrite):
    for services that do not take an `expected_version` of their own. Yields the locked row."""
    with transaction.atomic():
        yield lock(obj, expected=expected_version(request, obj))


def with_etag(response: Response, obj) -> Response:
    """`response` carrying the ETag of `obj` as the response shows it."""
    response["ETag"] = entity_tag(obj, getattr(response, "data", None))
    return response


def not_modified(request, response: Response) -> Response:
    """304 (with the ETag, without a body) when the request's If-None-Match names the ETag of `response`
    (as `with_etag` set it); `response` itself otherwise."""
    header = request.headers.get("If-None-Match")
    etag = response.get("ETag")
    if header is None or etag is None:
        return response
    tags = _entity_tags(header)
    if tags is not None and etag not in tags:
        return response
    unchanged = Response(status=status.HTTP_304_NOT_MODIFIED)
    unchanged["ETag"] = etag
    return unchanged
