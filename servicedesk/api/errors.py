"""One error shape for every 4xx answer: `{"code", "message", "fields"}`."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from servicedesk.errors import ApplicationError


def _first_message(detail) -> str:
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else ""
    if isinstance(detail, dict):
        return _first_message(next(iter(detail.values()))) if detail else ""
    return str(detail)


def _plain(detail):
    if isinstance(detail, list):
        return [_plain(item) for item in detail]
    if isinstance(detail, dict):
        return {key: _plain(value) for key, value in detail.items()}
    return str(detail)


def error_body(code: str, message: str, fields: dict | None = None, **extra) -> dict:
    return {"code": code, "message": str(message), "fields": fields or {}, **extra}


def exception_handler(exc, context):
    """Answer DRF's and the domain's errors in the one shape; leave the rest to a 500."""
    if isinstance(exc, ApplicationError):
        body = error_body(exc.code, exc.message, _plain(exc.fields), **exc.extra)
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        detail = serializers.as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
    if isinstance(exc, exceptions.ValidationError):
        fields = _plain(detail) if isinstance(detail, dict) else {"non_field_errors": _plain(detail)}
        non_field = fields.get("non_field_errors")
        message = _first_message(non_field) if non_field else _("Some fields are not valid.")
        response.data = error_body("validation_error", message, fields)
    else:
        code = detail.code if hasattr(detail, "code") else exc.default_code
        response.data = error_body(str(code), _first_message(detail))
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            response.data["retry_after"] = int(exc.wait)
    return response


def json_error(code: str, message: str, status_code: int) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status_code)


def json_not_found(request, exception=None):
    return JsonResponse(error_body("not_found", _("Not found.")), status=status.HTTP_404_NOT_FOUND)


def json_server_error(request, request_id: str = ""):
    """An unexpected failure: the standard shape, and the request id to quote (the logs carry it)."""
    body = error_body("server_error", _("A server error occurred."), request_id=request_id)
    return JsonResponse(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
