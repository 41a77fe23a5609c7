"""The admin for what change management is configured with: the catalogue of standard changes, the risk
questionnaire, the approval rules, and the freeze and maintenance windows. Changes themselves are worked
through the pages and the API (their services), never edited here."""

from django import forms
from django.contrib import admin
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from servicedesk.admin import AuditedAdmin

from .models import ApprovalRule, BlackoutWindow, MaintenanceWindow, RiskQuestion, StandardChange

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


@admin.register(StandardChange)
class StandardChangeAdmin(AuditedAdmin):
    list_display = ["name", "risk_level", "support_group", "duration_minutes", "is_active"]
    list_filter = ["is_active", "risk_level", "support_group"]
    list_select_related = ["support_group"]
    search_fields = ["name", "description"]
    filter_horizontal = ["services"]
    fields = [
        "name",
        "description",
        "services",
        "support_group",
        "risk_level",
        "duration_minutes",
        "implementation_plan",
        "test_plan",
        "backout_plan",
        "is_active",
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:  # the API's ETag moves on with an edit made here too
            StandardChange.objects.filter(pk=obj.pk).update(version=F("version") + 1)


@admin.register(RiskQuestion)
class RiskQuestionAdmin(AuditedAdmin):
    list_display = ["text", "weight", "order", "is_active"]
    list_editable = ["weight", "order", "is_active"]
    list_filter = ["is_active"]
    fields = ["text", "help_text", "weight", "order", "is_active"]


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(AuditedAdmin):
    list_display = [
        "change_type",
        "risk_level",
        "board",
        "rule",
        "include_service_owners",
        "include_change_manager",
        "required",
        "due_hours",
    ]
    list_filter = ["change_type", "risk_level", "rule"]
    list_select_related = ["board"]


@admin.register(BlackoutWindow)
class BlackoutWindowAdmin(AuditedAdmin):
    list_display = ["name", "starts_at", "ends_at", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "reason"]
    filter_horizontal = ["services"]
    fields = ["name", "reason", "starts_at", "ends_at", "services", "is_active"]


class MaintenanceWindowForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("weekdays"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = MaintenanceWindow
        fields = ["service", "name", "weekdays", "start_time", "duration_minutes", "time_zone", "is_active"]


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(AuditedAdmin):
    form = MaintenanceWindowForm
    list_display = ["name", "service", "start_time", "duration_minutes", "time_zone", "is_active"]
    list_filter = ["is_active", ("service", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["service"]
    search_fields = ["name", "service__name"]
