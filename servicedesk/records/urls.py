"""The record kernel's addresses, the same for every kind (names without a namespace)."""

from django.urls import path

from . import link_pages, pages, views

urlpatterns = [
    path("records/<str:number>/", views.record_detail, name="record"),
    path("records/<str:number>/transition/", pages.record_transition_submit, name="record_transition"),
    path("records/<str:number>/comment/", pages.record_comment_submit, name="record_comment"),
    path("records/<str:number>/link/", link_pages.record_link_submit, name="record_link"),
    path("records/<str:number>/unlink/", link_pages.record_unlink_submit, name="record_unlink"),
    path("desk/jump/", views.record_jump, name="record_jump"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
