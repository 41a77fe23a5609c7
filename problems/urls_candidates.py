"""The problem candidates page (included under /problems/candidates/)."""

from django.urls import path

from . import views_candidates as views

app_name = "problem_candidates"

urlpatterns = [
    path("", views.candidate_list, name="list"),
    path("detect/", views.candidates_detect_view, name="detect"),
    path("<int:pk>/accept/", views.candidate_accept_view, name="accept"),
    path("<int:pk>/dismiss/", views.candidate_dismiss_view, name="dismiss"),
]
