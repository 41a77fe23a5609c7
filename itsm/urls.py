from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from servicedesk.api.errors import json_not_found

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("servicedesk.urls")),
    path("cmdb/", include("cmdb.urls")),
    path("", include("knowledge.urls")),
    path("", include("incidents.urls")),
    path("problems/candidates/", include("problems.urls_candidates")),
    path("", include("problems.urls")),
    path("", include("problems.urls_portal")),
    path("", include("changes.urls")),
    path("", include("changes.urls_schedule")),
    path("", include("releases.urls")),
    path("", include("releases.urls_artifacts")),
    path("", include("releases.urls_deployments")),
    path("", include("releases.urls_rollback")),
    path("", include("reports.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("itsm.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        views.api_docs(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    # Anything else under /api/ answers a JSON 404, not an HTML page.
    re_path(r"^api/", csrf_exempt(json_not_found)),
]

handler400 = "itsm.views.bad_request"
handler403 = "itsm.views.permission_denied"
handler404 = "itsm.views.page_not_found"
handler500 = "itsm.views.server_error"
