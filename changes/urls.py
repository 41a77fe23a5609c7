"""The change pages of the agent workspace (names in the `changes` namespace); a change's own page is
the kernel's `/records/<number>/`, drawn by `views_record.change_page`."""

from django.urls import path

from . import views, views_agenda, views_record, views_reports

app_name = "changes"

urlpatterns = [
    path("desk/changes/", views.change_list, name="list"),
    path("desk/changes/new/", views.change_new, name="new"),
    path("desk/changes/standard/", views.standard_catalogue, name="standard"),
    path("desk/changes/success/", views_reports.success_rate, name="success"),
    path("desk/changes/agenda/", views_agenda.cab_agenda_page, name="agenda"),
    path(
        "desk/changes/agenda/<int:approval_id>/decide/", views_agenda.cab_agenda_decide, name="agenda_decide"
    ),
    path("desk/changes/<str:number>/assess/", views_agenda.change_assess_view, name="assess"),
    path("desk/changes/<str:number>/edit/", views_record.change_edit, name="edit"),
    path("desk/changes/<str:number>/transition/", views_record.change_transition, name="transition"),
    path("desk/changes/<str:number>/comment/", views_record.change_comment, name="comment"),
    path("desk/changes/<str:number>/review/", views_record.change_review_submit, name="review"),
]
