from . import urls_portal, urls_workspace

app_name = "incidents"

urlpatterns = [
    *urls_portal.urlpatterns,
    *urls_workspace.urlpatterns,
]
