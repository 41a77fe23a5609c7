"""The admin for the catalogue (categories, request types) and a read-only support view of the records.

Records are changed only through `incidents.services`: the record pages here are view-only, and the
actions call the services, so the admin behaves like the portal, the workspace, the API and the tasks.
"""

from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from servicedesk.admin import AuditedAdmin
from servicedesk.kinds import parse_number
from servicedesk.models import TimelineEntry

from .models import Category, Incident, RequestType, TaskTemplate
from .services import incidents_close_resolved


class SubcategoryInline(admin.TabularInline):
    model = Category
    fk_name = "parent"
    fields = ["name", "is_active"]
    extra = 1
    verbose_name = _("subcategory")
    verbose_name_plural = _("subcategories")


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["name", "parent", "is_active"]
    list_filter = ["is_active", ("parent", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["parent"]
    search_fields = ["name", "parent__name"]
    fields = ["name", "name_translations", "parent", "is_active"]

    def get_inlines(self, request, obj):
        # One level only: a subcategory has no subcategories of its own.
        return [] if obj is not None and obj.parent_id is not None else [SubcategoryInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = Category.objects.filter(parent=None)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TaskTemplateInline(admin.TabularInline):
    """The request type's fulfilment checklist, in order of position."""

    model = TaskTemplate
    fields = ["position", "name", "support_group", "parallel", "description"]
    extra = 1
    ordering = ["position", "id"]
    autocomplete_fields = ["support_group"]


@admin.register(RequestType)
class RequestTypeAdmin(AuditedAdmin):
    """A request type: its fields (the form schema, checked on save) and its fulfilment tasks (inline)."""

    list_display = ["name", "service", "support_group", "urgency", "is_active"]
    list_filter = ["is_active", "urgency", ("service", admin.RelatedOnlyFieldListFilter), "support_group"]
    list_select_related = ["service", "support_group"]
    search_fields = ["name", "description", "service__name"]
    fields = [
        "name",
        "name_translations",
        "service",
        "description",
        "support_group",
        "urgency",
        "is_active",
        "approval",
        "approval_group",
        "approval_rule",
        "form_schema",
    ]
    inlines = [TaskTemplateInline]


class TimelineInline(GenericTabularInline):
    """The record's activity stream, as it was written: nothing here can be added, changed or removed."""

    model = TimelineEntry
    ct_field = "content_type"
    ct_fk_field = "object_id"
    fields = ["created_at", "kind", "is_public", "author", "body", "data"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = _("timeline")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """A support view of incidents and requests: find, read, and run housekeeping through the services."""

    list_display = [
        "number",
        "title",
        "kind",
        "status",
        "priority",
        "support_group",
        "assignee",
        "requester",
        "created_at",
    ]
    list_display_links = ["number", "title"]
    list_filter = ["kind", "status", "priority", "support_group", "channel", "is_major"]
    list_select_related = ["support_group", "assignee", "requester"]
    search_fields = ["=number", "title"]
    search_help_text = _("A number (INC42, REQ0000042) or words of the title.")
    ordering = ["-created_at", "-id"]
    # A million records: no full count under every filter, no date drill-down queries.
    show_full_result_count = False
    list_per_page = 50
    inlines = [TimelineInline]
    actions = ["close_resolved_past_delay"]
    fieldsets = [
        (None, {"fields": ["number", "kind", "title", "description", "status", "version"]}),
        (
            _("People and routing"),
            {"fields": ["requester", "created_by", "channel", "support_group", "assignee"]},
        ),
        (
            _("Classification"),
            {
                "fields": [
                    "service",
                    "request_type",
                    "category",
                    "subcategory",
                    "affected_cis",
                    "impact",
                    "urgency",
                    "priority",
                    "is_major",
                ]
            },
        ),
        (_("Links"), {"fields": ["parent", "merged_into"]}),
        (
            _("Resolution"),
            {
                "fields": [
                    "hold_reason",
                    "resolution_code",
                    "resolution_notes",
                    "first_contact_resolution",
                    "reopen_count",
                    "csat_score",
                    "csat_comment",
                ]
            },
        ),
        (
            _("Dates"),
            {"fields": ["created_at", "updated_at", "responded_at", "resolved_at", "closed_at", "rated_at"]},
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [name for _label, options in self.fieldsets for name in options["fields"]]

    def get_search_results(self, request, queryset, search_term):
        parsed = parse_number(search_term)
        if parsed is not None:
            # "inc42" finds INC0000042 through the unique index.
            return queryset.filter(number=parsed[1]), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # The changelist and its actions need the permission; a record's page is view-only, since
        # saving the admin form would write the record without its service.
        return obj is None and super().has_change_permission(request)

    @admin.action(
        description=_("Close every resolved record past the auto-close delay (as the hourly task does)"),
        permissions=["close"],
    )
    def close_resolved_past_delay(self, request, queryset):
        closed = incidents_close_resolved()
        self.message_user(
            request,
            ngettext(
                "%(count)d resolved record was past the auto-close delay and is now closed.",
                "%(count)d resolved records were past the auto-close delay and are now closed.",
                closed,
            )
            % {"count": closed},
            messages.SUCCESS if closed else messages.INFO,
        )

    def has_close_permission(self, request):
        return request.user.has_perm("incidents.close_incident")
