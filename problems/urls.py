"""The problem pages of the agent workspace (names in the `problems` namespace); a problem's own page is
the kernel's `/records/<number>/`, drawn by `views_record.problem_page`."""

from django.urls import path

from . import views, views_kedb, views_record

app_name = "problems"

urlpatterns = [
    path("desk/problems/", views.problem_list, name="list"),
    path("desk/problems/new/", views.problem_new, name="new"),
    path("desk/problems/from-incidents/", views.problem_from_queue, name="from_queue"),
    path("desk/problems/<str:number>/edit/", views_record.problem_edit, name="edit"),
    path("desk/problems/<str:number>/transition/", views_record.problem_transition, name="transition"),
    path("desk/problems/<str:number>/comment/", views_record.problem_comment, name="comment"),
    path(
        "desk/problems/<str:number>/known-error/", views_record.known_error_status, name="known_error_status"
    ),
    path("desk/known-errors/", views_kedb.kedb, name="kedb"),
    path(
        "desk/records/<str:number>/known-errors/",
        views_kedb.incident_known_errors,
        name="incident_known_errors",
    ),
    path(
        "desk/records/<str:number>/apply-workaround/",
        views_kedb.workaround_apply_view,
        name="apply_workaround",
    ),
]
