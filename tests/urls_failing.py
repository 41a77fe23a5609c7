"""The site's URLs plus a page and an API endpoint that fail, for the error-page tests."""

from django.urls import path
from rest_framework.views import APIView

from itsm.urls import handler400, handler403, handler404, handler500
from itsm.urls import urlpatterns as site_urlpatterns


def failing_page(request):
    raise RuntimeError("a bug in a page")


class FailingEndpoint(APIView):
    def get(self, request):
        raise RuntimeError("a bug in an endpoint")


urlpatterns = [
    path("failing/", failing_page),
    path("api/v1/failing/", FailingEndpoint.as_view()),
    *site_urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
