"""Requester portal addresses (names in the `incidents` namespace)."""

from django.urls import path

from . import views_portal, views_portal_follow

urlpatterns = [
    path("portal/", views_portal.portal_home, name="portal"),
    path("portal/search/", views_portal.portal_search, name="portal_search"),
    path("portal/new/incident/", views_portal.new_incident, name="portal_new_incident"),
    path("portal/new/request/", views_portal.catalogue, name="portal_catalogue"),
    path("portal/new/request/<int:request_type>/", views_portal.new_request, name="portal_new_request"),
    path("portal/records/<str:number>/reply/", views_portal.reply, name="portal_reply"),
    path(
        "portal/records/<str:number>/confirm/",
        views_portal.record_transition,
        {"action": "close"},
        name="portal_close",
    ),
    path(
        "portal/records/<str:number>/reopen/",
        views_portal.record_transition,
        {"action": "reopen"},
        name="portal_reopen",
    ),
    path(
        "portal/records/<str:number>/withdraw/",
        views_portal.record_transition,
        {"action": "cancel"},
        name="portal_withdraw",
    ),
    path("portal/records/<str:number>/rate/", views_portal.rate, name="portal_rate"),
    path("portal/records/<str:number>/follow/", views_portal_follow.follow, name="portal_follow"),
    path("portal/records/<str:number>/unfollow/", views_portal_follow.unfollow, name="portal_unfollow"),
]
