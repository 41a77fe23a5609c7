"""The release pages of the agent workspace (names in the `releases` namespace); a release's own page is
the kernel's `/records/<number>/`, drawn by `views_record.release_page`, and each of its actions posts to
its own address here."""

from django.urls import path

from . import views, views_record

app_name = "releases"

urlpatterns = [
    path("desk/releases/", views.release_list, name="list"),
    path("desk/releases/new/", views.release_new, name="new"),
    path("desk/releases/<str:number>/edit/", views_record.release_edit, name="edit"),
    path("desk/releases/<str:number>/transition/", views_record.release_transition, name="transition"),
    path("desk/releases/<str:number>/comment/", views_record.release_comment, name="comment"),
    path("desk/releases/<str:number>/checklist/", views_record.release_checklist, name="checklist"),
    path("desk/releases/<str:number>/changes/", views_record.release_changes_add, name="changes_add"),
    path(
        "desk/releases/<str:number>/changes/remove/",
        views_record.release_changes_remove,
        name="changes_remove",
    ),
]
