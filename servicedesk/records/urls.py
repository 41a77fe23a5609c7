"""The record kernel's addresses, the same for every kind (names without a namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("records/<str:number>/", views.record_detail, name="record"),
    path("desk/jump/", views.record_jump, name="record_jump"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
