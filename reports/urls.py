"""Management information addresses (namespace `reports`)."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.dashboard, name="dashboard"),
    path("reports/dashboards/<slug:board>/", views.dashboard, name="board"),
    path("reports/measures/", views.report_index, name="index"),
    path("reports/measures/<slug:key>/", views.report, name="report"),
]
