"""The release pages' rollback actions (names in the `release_rollback` namespace)."""

from django.urls import path

from . import views_rollback

app_name = "release_rollback"

urlpatterns = [
    path("desk/releases/<str:number>/rollback/", views_rollback.rollback_submit, name="submit"),
]
