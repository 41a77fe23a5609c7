"""Management information addresses (namespace `reports`)."""

from django.urls import path

from . import views, views_saved

app_name = "reports"

urlpatterns = [
    path("reports/", views.dashboard, name="dashboard"),
    path("reports/dashboards/<slug:board>/", views.dashboard, name="board"),
    path("reports/measures/", views.report_index, name="index"),
    path("reports/measures/<slug:key>/", views.report, name="report"),
    path("reports/measures/<slug:key>/export.<slug:format>", views.export, name="export"),
    path("reports/measures/<slug:key>/save/", views_saved.saved_create, name="save"),
    path("reports/saved/", views_saved.saved_list, name="saved"),
    path("reports/saved/<int:pk>/", views_saved.saved_open, name="saved_open"),
    path("reports/saved/<int:pk>/rename/", views_saved.saved_rename, name="saved_rename"),
    path("reports/saved/<int:pk>/delete/", views_saved.saved_delete, name="saved_delete"),
    path("reports/saved/<int:pk>/schedules/new/", views_saved.schedule_edit, name="schedule_new"),
    path("reports/saved/<int:pk>/schedules/<int:schedule_pk>/", views_saved.schedule_edit, name="schedule"),
    path(
        "reports/saved/<int:pk>/schedules/<int:schedule_pk>/delete/",
        views_saved.schedule_remove,
        name="schedule_delete",
    ),
]
