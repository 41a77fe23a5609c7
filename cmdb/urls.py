from django.urls import path

from . import views, views_baselines, views_ci_form, views_classes, views_impact, views_import

app_name = "cmdb"

urlpatterns = [
    path("", views.ci_list, name="ci_list"),
    path("cis/new/", views_ci_form.ci_create_view, name="ci_create"),
    path("cis/search/", views.ci_search, name="ci_search"),
    path("cis/<int:pk>/", views.ci_detail, name="ci_detail"),
    path("cis/<int:pk>/edit/", views_ci_form.ci_edit, name="ci_edit"),
    path("cis/<int:pk>/status/", views.ci_transition_view, name="ci_transition"),
    path("cis/<int:pk>/impact/", views_impact.ci_impact_view, name="ci_impact"),
    path("relationships/", views.relationship_create_view, name="relationship_create"),
    path("relationships/<int:pk>/delete/", views.relationship_delete_view, name="relationship_delete"),
    path("classes/", views_classes.class_list, name="class_list"),
    path("classes/new/", views_classes.class_create, name="class_create"),
    path("classes/schema/", views_ci_form.class_schema, name="class_schema"),
    path("classes/attributes/", views_ci_form.class_attributes, name="class_attributes"),
    path("classes/<int:pk>/edit/", views_classes.class_edit, name="class_edit"),
    path("baselines/", views_baselines.baseline_list, name="baseline_list"),
    path("baselines/<int:pk>/", views_baselines.baseline_detail, name="baseline_detail"),
    path(
        "baselines/<int:pk>/restore/<int:ci_pk>/", views_baselines.baseline_restore, name="baseline_restore"
    ),
    path("import/", views_import.import_page, name="import"),
    path("imports/<int:pk>/", views_import.import_detail, name="import_detail"),
]
