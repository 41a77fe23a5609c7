"""The record kernel's addresses, the same for every kind (names without a namespace)."""

from django.urls import path

from . import pages, views

urlpatterns = [
    path("records/<str:number>/", views.record_detail, name="record"),
    path("records/<str:number>/transition/", pages.record_transition_submit, name="record_transition"),
    path("records/<str:number>/comment/", pages.record_comment_submit, name="record_comment"),
    path("desk/jump/", views.record_jump, name="record_jump"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
