import zoneinfo

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils import timezone, translation

from . import errors
from .correlation import current_correlation_id

CORRELATION_HEADER = "X-Request-ID"


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


class UserPreferencesMiddleware:
    """Apply the signed-in user's language and time zone to everything they see."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
            if user.time_zone:
                try:
                    timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


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
