"""Conditional requests on records (RFC 9110 §13): `ETag` on answers, `If-Match` on writes, `If-None-Match`
on reads.

A record's entity tag is `record.etag` (`"<pk>-<version>"`); every write through a service moves the version
on. Tags compare weakly (a `W/` prefix is ignored): the version names the record's state, not its bytes.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import status
from rest_framework.response import Response

from servicedesk.errors import StaleWrite

from .schema import ErrorSerializer

IF_MATCH_PARAMETER = OpenApiParameter(
    name="If-Match",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "The record's ETag as last read (`W/` form, `*` and comma-separated lists accepted). "
        "When it no longer matches, the write is refused with 412 and nothing changes."
    ),
)
IF_NONE_MATCH_PARAMETER = OpenApiParameter(
    name="If-None-Match",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="An ETag the client holds: when it is still current, the answer is 304 without a body.",
)
STALE_WRITE_RESPONSE = OpenApiResponse(
    ErrorSerializer, description="`stale_write`: the record changed since the ETag sent in If-Match."
)
NOT_MODIFIED_RESPONSE = OpenApiResponse(description="Not modified: the ETag in If-None-Match is current.")


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


def _matches(header: str, etag: str) -> bool:
    tags = _entity_tags(header)
    return tags is None or etag in tags


def expected_version(request, record) -> int | None:
    """The version a write may apply to, from the request's If-Match, for the services' `expected_version`.

    None when the request sent no If-Match (an unconditional write) or `*`. Raises StaleWrite (412) when no
    tag in If-Match is the record's current ETag; the service, locking the row, raises StaleWrite too if the
    record moves on between this read and its lock.
    """
    header = request.headers.get("If-Match")
    if header is None:
        return None
    if _entity_tags(header) is None:
        return None
    if not _matches(header, record.etag):
        raise StaleWrite(extra={"current_version": record.version})
    return record.version


def not_modified(request, record) -> Response | None:
    """A 304 answer (with the ETag) when the request's If-None-Match names the record's current state."""
    header = request.headers.get("If-None-Match")
    if header is None or not _matches(header, record.etag):
        return None
    return with_etag(Response(status=status.HTTP_304_NOT_MODIFIED), record)


def with_etag(response: Response, record) -> Response:
    """`response` carrying the record's current ETag."""
    response["ETag"] = record.etag
    return response
