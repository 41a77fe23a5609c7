"""The portal's deflection addresses (namespace `problems_portal`)."""

from django.urls import path

from . import views_portal

app_name = "problems_portal"

urlpatterns = [
    path("portal/suggestions/", views_portal.suggestions, name="suggestions"),
    path("portal/suggestions/solved/", views_portal.solved, name="solved"),
]
