"""The release pages' artifacts actions (names in the `release_artifacts` namespace)."""

from django.urls import path

from . import views_artifacts as views

app_name = "release_artifacts"

urlpatterns = [
    path("desk/releases/<str:number>/artifacts/", views.artifact_upload_view, name="upload"),
    path("desk/releases/<str:number>/artifacts/verify/", views.artifacts_verify_view, name="verify"),
    path(
        "desk/releases/<str:number>/artifacts/<int:pk>/download/",
        views.artifact_download_view,
        name="download",
    ),
    path("desk/releases/<str:number>/artifacts/<int:pk>/remove/", views.artifact_remove_view, name="remove"),
]
