"""The one API router: every app's resources under /api/v1/."""

from django.urls import re_path
from rest_framework.routers import DefaultRouter

from servicedesk.api import views as servicedesk_views

router = DefaultRouter()
# Accept paths with or without the trailing slash: integrations often drop it.
router.trailing_slash = "/?"
router.register("users", servicedesk_views.UserViewSet, basename="user")
router.register("organisations", servicedesk_views.OrganisationViewSet, basename="organisation")
router.register("support-groups", servicedesk_views.SupportGroupViewSet, basename="support-group")
router.register("me/tokens", servicedesk_views.ApiTokenViewSet, basename="me-token")
router.register("audit-events", servicedesk_views.AuditEventViewSet, basename="audit-event")

urlpatterns = [
    re_path(r"^me/?$", servicedesk_views.MeView.as_view(), name="me"),
    *router.urls,
]
