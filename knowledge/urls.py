"""Knowledge addresses (namespace `knowledge`): the agents' knowledge base and the portal's article page."""

from django.urls import path

from . import views, views_portal

app_name = "knowledge"

urlpatterns = [
    path("knowledge/", views.home, name="home"),
    path("knowledge/new/", views.article_new, name="new"),
    path("knowledge/review/", views.review_queue, name="review"),
    path("knowledge/<str:number>/", views.article_page, name="article"),
    path("knowledge/<str:number>/edit/", views.article_edit, name="edit"),
    path("knowledge/<str:number>/transition/", views.article_transition_view, name="transition"),
    path("knowledge/<str:number>/history/", views.article_history, name="history"),
    path("portal/knowledge/<str:number>/", views_portal.portal_article, name="portal_article"),
    path("portal/knowledge/<str:number>/feedback/", views_portal.portal_feedback, name="portal_feedback"),
]
