"""OpenAPI: the token scheme, the error responses every operation can give, and the headers of the
mechanisms every view shares (Idempotency-Key on POSTs; ETag, If-Match and If-None-Match on editable
resources), documented once here for every operation they apply to."""

import re

from django.core import validators
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "servicedesk.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token, created on the profile page or at /api/v1/me/tokens/.",
        }


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "fields": serializers.DictField(child=serializers.JSONField()),
    },
)

_ERRORS = {
    "400": "The input is not valid; `fields` says which and why.",
    "401": "Not authenticated.",
    "403": "Authenticated, but not allowed.",
    "404": "Not found, or not visible to you.",
    "429": "Too many requests; retry later.",
}
_QUERY_ERRORS = {
    "400": "A query parameter is not valid; `fields` says which and why.",
    "404": "Not found or not visible to you; for a list, the cursor points to no page of it.",
}


IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name="Idempotency-Key",
    # What `servicedesk.api.idempotency` accepts; anything else answers 400.
    type={"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "A unique value per intended operation (1-255 printable ASCII characters), such as a UUID. A retry "
        "with the same key and body replays the first successful answer (with `Idempotent-Replayed: true`) "
        "and does nothing again; the same key with another body answers 422. A secret shown once (a token, "
        "a signing secret) is empty in a replay."
    ),
)
IF_MATCH_PARAMETER = OpenApiParameter(
    name="If-Match",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "The ETag as last read (`W/` form, `*` and comma-separated lists accepted). When the resource has "
        "changed since, the write is refused with 412 and nothing changes. Without it the write applies "
        "to the fields sent only."
    ),
)
IF_NONE_MATCH_PARAMETER = OpenApiParameter(
    name="If-None-Match",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="An ETag the client holds: when the answer would be the same, it is 304 without a body.",
)
ETAG_HEADER = OpenApiParameter(
    name="ETag",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=["200", "201"],
    description=(
        '`"<id>-<version>-<digest>"`: the version moves on with every write; the digest changes with '
        "anything the answer shows (an SLA clock's time left included). Send it as If-Match to write."
    ),
)
_SHARED_RESPONSES = {
    "304": OpenApiResponse(description="Not modified: the ETag in If-None-Match is current."),
    "412": OpenApiResponse(
        ErrorSerializer, description="`stale_write`: it changed since the ETag sent in If-Match."
    ),
    "422": OpenApiResponse(
        ErrorSerializer,
        description="`idempotency_key_reused`: this Idempotency-Key was used for a different request.",
    ),
}


_UNICODE_CLASS = re.compile(r"\\[wWdDsSb]")


# Stand-ins a kernel view names in its schema for what each kind's view declares: the record in full
# (`detail_serializer_class`) and the inputs of its transitions (`transition_input_serializer_class`).
RECORD_DETAIL = "record-detail"
TRANSITION_INPUT = "transition-input"


class AutoSchema(BaseAutoSchema):
    """Adds to each operation what the shared mechanisms give it (`servicedesk.api.base`): the view's
    `conditional_reads` answer an ETag (and 304), its `conditional_writes` check If-Match (412); both
    name actions (or, for a plain APIView, methods)."""

    def _conditional(self) -> str | None:
        """ "read" or "write" when this operation takes part in conditional requests."""
        method = self.method.upper()
        action = getattr(self.view, "action", None) or method.lower()
        if method == "GET" and action in getattr(self.view, "conditional_reads", ()):
            return "read"
        if method != "GET" and action in getattr(self.view, "conditional_writes", ()):
            return "write"
        return None

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method.upper() == "POST":
            parameters.append(IDEMPOTENCY_KEY_PARAMETER)
        conditional = self._conditional()
        if conditional:
            parameters.append(IF_NONE_MATCH_PARAMETER if conditional == "read" else IF_MATCH_PARAMETER)
            parameters.append(ETAG_HEADER)
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        method = self.method.upper()
        codes = ["401", "403", "429"]
        listing = method == "GET" and self._is_list_view()
        queried = method == "GET" and any(p.get("in") == "query" for p in self._get_parameters())
        if method in ("POST", "PUT", "PATCH") or queried:
            codes.append("400")  # for a GET: a query parameter it cannot read
        if self._is_detail() or listing or method in ("POST", "PUT", "PATCH", "DELETE"):
            codes.append("404")  # for a list: a cursor that points nowhere
        if method == "POST":
            codes.append("422")
        conditional = self._conditional()
        if conditional:
            codes.append("304" if conditional == "read" else "412")
        for code in codes:
            if code not in responses:
                description = (queried and _QUERY_ERRORS.get(code)) or _ERRORS.get(code)
                response = _SHARED_RESPONSES.get(code) or OpenApiResponse(
                    ErrorSerializer, description=description
                )
                responses[code] = self._get_response_for_code(response, code)
        return responses

    def _kind_serializer(self, serializer):
        if isinstance(serializer, OpenApiResponse) and serializer.response == RECORD_DETAIL:
            return OpenApiResponse(self.view.detail_serializer_class, description=serializer.description)
        if isinstance(serializer, str) and serializer == RECORD_DETAIL:
            return self.view.detail_serializer_class
        if isinstance(serializer, str) and serializer == TRANSITION_INPUT:
            return self.view.transition_input_serializer_class
        return serializer

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        serializer = self._kind_serializer(serializer)
        return super()._get_response_for_code(serializer, status_code, media_types, direction)

    def _get_request_for_media_type(self, serializer, direction="request"):
        return super()._get_request_for_media_type(self._kind_serializer(serializer), direction)

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        # A Python pattern with Unicode classes (`\w` in a username takes "名前") has no ECMA equivalent,
        # and an inverted one says what must not match: documented, either would refuse valid values.
        for validator in field.validators:
            if not isinstance(validator, validators.RegexValidator):
                continue
            unicode_classes = _UNICODE_CLASS.search(validator.regex.pattern) and not (
                validator.regex.flags & re.ASCII
            )
            if validator.inverse_match or unicode_classes:
                schema.pop("pattern", None)

    def _get_filter_parameters(self):
        # A single-valued filter sent empty is no filter (as a page's form sends the ones left blank),
        # whatever its type; a list filter (`status=new&status=assigned`) refuses an empty item.
        parameters = super()._get_filter_parameters()
        for parameter in parameters:
            if parameter.get("in") == "query" and parameter.get("schema", {}).get("type") != "array":
                parameter["allowEmptyValue"] = True
        return parameters

    def _get_paginator(self):
        # Only a GET pages its answer: a POST on a paginated action (attaching files) answers a plain list.
        return super()._get_paginator() if self.method.upper() == "GET" else None

    def _is_detail(self):
        return "{" in self.path


def error_responses_for(*codes):
    return {code: OpenApiResponse(ErrorSerializer, description=_ERRORS.get(code, "")) for code in codes}
