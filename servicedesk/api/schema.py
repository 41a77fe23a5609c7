"""OpenAPI: the token scheme and the error responses every operation can give."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
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


class AutoSchema(BaseAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        method = self.method.upper()
        codes = ["401", "403", "429"]
        if method in ("POST", "PUT", "PATCH"):
            codes.append("400")
        if self._is_detail() or method in ("POST", "PUT", "PATCH", "DELETE"):
            codes.append("404")
        for code in codes:
            if code not in responses:
                response = OpenApiResponse(ErrorSerializer, description=_ERRORS[code])
                responses[code] = self._get_response_for_code(response, code)
        return responses

    def _is_detail(self):
        return "{" in self.path


def error_responses_for(*codes):
    return {code: OpenApiResponse(ErrorSerializer, description=_ERRORS.get(code, "")) for code in codes}
