from django.urls import path

from . import urls_portal, urls_workspace, views

app_name = "incidents"

urlpatterns = [
    path("records/<str:number>/", views.record_detail, name="detail"),
    *urls_portal.urlpatterns,
    *urls_workspace.urlpatterns,
]
