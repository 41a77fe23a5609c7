"""The forward schedule's pages and its calendar feed (names in the `change_schedule` namespace)."""

from django.urls import path

from . import views_schedule

app_name = "change_schedule"

urlpatterns = [
    path("desk/changes/schedule/", views_schedule.schedule, name="schedule"),
    path("desk/changes/schedule/feed/", views_schedule.feed_renew, name="feed_renew"),
    path("feeds/changes/<str:key>.ics", views_schedule.feed, name="feed"),
]
