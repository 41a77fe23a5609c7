"""The release pages of the agent workspace (names in the `releases` namespace); a release's own page is
the kernel's `/records/<number>/`, drawn by `views_record.release_page`."""

from django.urls import path

from . import views

app_name = "releases"

urlpatterns = [
    path("desk/releases/", views.release_list, name="list"),
]
