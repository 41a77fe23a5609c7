"""The release pages' deployments actions (names in the `release_deployments` namespace)."""

from django.urls import path

from . import views_deployments as views

app_name = "release_deployments"

urlpatterns = [
    path("desk/releases/<str:number>/deployment/", views.deployment_page, name="page"),
    path("desk/releases/<str:number>/deployment/waves/", views.wave_add, name="add"),
    path(
        "desk/releases/<str:number>/deployment/waves/<int:wave_id>/start/",
        views.wave_start_submit,
        name="start",
    ),
    path(
        "desk/releases/<str:number>/deployment/waves/<int:wave_id>/retry/",
        views.wave_retry_submit,
        name="retry",
    ),
    path(
        "desk/releases/<str:number>/deployment/waves/<int:wave_id>/remove/", views.wave_remove, name="remove"
    ),
    path(
        "desk/releases/<str:number>/deployment/waves/<int:wave_id>/tasks/",
        views.wave_tasks_page,
        name="tasks",
    ),
]
