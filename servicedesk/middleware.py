import contextlib
import zoneinfo

import structlog
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError
from django.http import Http404
from django.urls import get_resolver, get_urlconf
from django.utils import timezone, translation
from django_structlog.middlewares import RequestMiddleware

from . import errors
from .api.throttling import client_ip
from .correlation import current_correlation_id
from .inputs import NUL_IN_ADDRESS_MESSAGE, NUL_MESSAGE, BadInput, request_null_character_fields

CORRELATION_HEADER = "X-Request-ID"


class RequestLogMiddleware(RequestMiddleware):
    """django-structlog's request log (and request id), still logging a failure when the user cannot be
    loaded: with the database down, binding the user id would raise inside the failure's own logging.

    The logged `ip` is the client address as the throttles and axes count it (`client_ip`: REMOTE_ADDR, or
    the address the outermost of ITSM_TRUSTED_PROXY_COUNT proxies saw), not the left-most X-Forwarded-For
    entry django-structlog would log, which any client can write."""

    @staticmethod
    def bind_user_id(request) -> None:
        with contextlib.suppress(DatabaseError):
            RequestMiddleware.bind_user_id(request)

    @classmethod
    def bind_ip(cls, request) -> None:
        structlog.contextvars.bind_contextvars(ip=client_ip(request))


class CorrelationIdMiddleware:
    """Echo the request id on every response, so a client can quote it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        correlation_id = current_correlation_id()
        if correlation_id:
            response.headers.setdefault(CORRELATION_HEADER, correlation_id)
        return response


def apply_user_preferences(request, user, *, language: bool = True) -> None:
    """Make `user`'s language (unless `language` is false) and time zone the request's (the API's token
    authentication calls it too: a token's user is known only once the view runs). The middleware below
    ends the time zone after the response."""
    if language and user.language:
        translation.activate(user.language)
        request.LANGUAGE_CODE = translation.get_language()
    if user.time_zone:
        try:
            timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()


class UserPreferencesMiddleware:
    """Apply the signed-in user's language and time zone to everything they see."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            apply_user_preferences(request, user)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class NullCharacterMiddleware:
    """Refuse a NUL character in the path, a query parameter or a form field: 400, naming the fields.

    PostgreSQL stores no U+0000 in text, so such input would otherwise end as a server error in whichever
    filter, form or look-up met it first; refusing it here covers every page and API endpoint. (JSON bodies
    are checked by the API's parser.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        fields = request_null_character_fields(request, form=False)
        if fields is not None:
            return self.refuse(request, fields)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The form is read once the view is known: a view that reads its own uploads sets its upload
        # handlers before anything reads the body, then checks the form itself (`form_null_check`).
        if getattr(view_func, "reads_own_uploads", False):
            return None
        fields = request_null_character_fields(request, address=False)
        return None if fields is None else self.refuse(request, fields)

    @staticmethod
    def refuse(request, fields):
        # The site's 400 handler answers, as it does for a raised BadInput; called here, it answers the
        # same under DEBUG too (where a raised one shows Django's HTML debug page to API clients).
        exception = BadInput(NUL_MESSAGE if fields else NUL_IN_ADDRESS_MESSAGE, fields)
        return get_resolver(get_urlconf()).resolve_error_handler(400)(request, exception)


class ApplicationErrorMiddleware:
    """Pages answer a domain NotFound with the 404 page and PermissionDenied with the 403 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, errors.NotFound):
            raise Http404(str(exception.message)) from exception
        if isinstance(exception, errors.PermissionDenied):
            raise DjangoPermissionDenied(str(exception.message)) from exception
        return None
