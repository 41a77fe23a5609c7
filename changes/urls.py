"""The change pages of the agent workspace (names in the `changes` namespace); a change's own page is the
kernel's `/records/<number>/`."""

from django.urls import path

from . import views_agenda

app_name = "changes"

urlpatterns = [
    path("desk/changes/agenda/", views_agenda.cab_agenda_page, name="agenda"),
    path(
        "desk/changes/agenda/<int:approval_id>/decide/", views_agenda.cab_agenda_decide, name="agenda_decide"
    ),
    path("desk/changes/<str:number>/assess/", views_agenda.change_assess_view, name="assess"),
]
