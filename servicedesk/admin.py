"""The Django admin for the foundation's configuration data. Every admin write is audited."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .concurrency import bump, lock
from .errors import ApplicationError
from .forms_merge import MergeModelFormMixin
from .models import ApiToken, AuditEvent, Organisation, OutboxMessage, PriorityRule, SupportGroup, User
from .roles import role_label
from .selectors import agent_list, support_group_default
from .services.audit import audit_record
from .services.outbox import outbox_retry
from .services.people import DEFAULT_GROUP_INACTIVE_MESSAGE, support_group_set_default
from .services.tokens import api_token_revoke


class AuditedAdmin(admin.ModelAdmin):
    """Record each admin addition, change and deletion as an audit event, with the admin's message."""

    def _action(self, verb: str) -> str:
        return f"{self.model._meta.model_name}.{verb}_in_admin"

    def log_addition(self, request, obj, message):
        audit_record(
            actor=request.user, action=self._action("created"), target=obj, data={"message": message}
        )
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        audit_record(
            actor=request.user, action=self._action("changed"), target=obj, data={"message": message}
        )
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            audit_record(actor=request.user, action=self._action("deleted"), target=obj)
        return super().log_deletions(request, queryset)


class MergingAdmin(admin.ModelAdmin):
    """The change form of a row people edit concurrently (a `Revisioned` model) writes only what this
    person changed, over what others saved since the form was shown (`servicedesk.forms_merge`); the row
    is locked while the request saves it, and its revision moves on."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "POST":
            # The admin's change view runs in a transaction: hold the row until the save.
            obj = lock(obj)
        return obj

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return form
        return type(form.__name__, (MergeModelFormMixin, form), {})

    def save_model(self, request, obj, form, change):
        if change:
            bump(obj)
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A log to read: nobody adds, changes or deletes its rows in the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class UserCreationForm(auth_forms.UserCreationForm):
    class Meta(auth_forms.UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "full_name")


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User
        fields = "__all__"


class RoleListFilter(admin.RelatedFieldListFilter):
    """The roles (Django groups, named in English) in the reader's language."""

    def field_choices(self, field, request, model_admin):
        return [(pk, role_label(name)) for pk, name in super().field_choices(field, request, model_admin)]


@admin.register(User)
class UserAdmin(AuditedAdmin, MergingAdmin, BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ["username", "full_name", "email", "organisation", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", ("groups", RoleListFilter), "organisation"]
    list_select_related = ["organisation"]
    search_fields = ["username", "full_name", "email"]
    ordering = ["username"]
    autocomplete_fields = ["organisation", "manager"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (
            _("Person"),
            {
                "fields": [
                    "full_name",
                    "email",
                    "phone",
                    "organisation",
                    "department",
                    "manager",
                    "language",
                    "time_zone",
                ]
            },
        ),
        (
            _("Roles and permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "email", "full_name", "password1", "password2"]}),
    ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups":
            field.label_from_instance = lambda group: role_label(group.name)
        return field


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin, MergingAdmin):
    list_display = ["name", "email_domain", "phone", "shares_records", "is_active"]
    list_filter = ["is_active", "shares_records"]
    fields = ["name", "email_domain", "phone", "shares_records", "is_active"]
    search_fields = ["name", "email_domain"]


class SupportGroupAdminForm(forms.ModelForm):
    """Members and manager are agents (they hear of the group's records); the default group stays active.

    Members offered are the agents and whoever is a member already (someone who lost the agent role
    stays until removed, and hears nothing meanwhile).
    """

    class Meta:
        model = SupportGroup
        fields = [
            "name",
            "email",
            "tier",
            "description",
            "manager",
            "members",
            "escalation_group",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "members" in self.fields:
            current = self.instance.members.all() if self.instance.pk else User.objects.none()
            self.fields["members"].queryset = User.objects.filter(
                Q(pk__in=agent_list().values("pk")) | Q(pk__in=current.values("pk"))
            ).order_by("full_name", "username")

    def clean_members(self):
        members = self.cleaned_data["members"]
        current = set(self.instance.members.values_list("pk", flat=True)) if self.instance.pk else set()
        refused = [user for user in members if user.pk not in current and not user.is_agent]
        if refused:
            raise forms.ValidationError(
                _("Only agents can be members: %(names)s.") % {"names": ", ".join(map(str, refused))},
                code="not_an_agent",
            )
        return members

    def clean_manager(self):
        manager = self.cleaned_data.get("manager")
        if manager is not None and not manager.is_agent:
            raise forms.ValidationError(
                _("%(name)s is not an agent.") % {"name": manager}, code="not_an_agent"
            )
        return manager

    def clean_is_active(self):
        is_active = self.cleaned_data.get("is_active")
        if not is_active and self.instance.pk and self.instance.is_default:
            raise forms.ValidationError(DEFAULT_GROUP_INACTIVE_MESSAGE, code="default_group_inactive")
        return is_active


@admin.register(SupportGroup)
class SupportGroupAdmin(AuditedAdmin, MergingAdmin):
    """Groups and their members. The default group (where records no rule routes go) is set with the
    list's actions, which move the flag from the old default in one audited step."""

    form = SupportGroupAdminForm
    list_display = ["name", "tier", "is_default", "manager", "escalation_group", "email", "is_active"]
    list_filter = ["is_default", "tier", "is_active"]
    list_select_related = ["manager", "escalation_group"]
    search_fields = ["name", "email"]
    autocomplete_fields = ["manager", "escalation_group"]
    filter_horizontal = ["members"]
    readonly_fields = ["is_default"]
    actions = ["make_default", "clear_default"]

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET" and support_group_default() is None:
            self.message_user(
                request,
                _(
                    "There is no default group: records that no service, category or request type routes "
                    "stay without a group, in every agent's unassigned queue. Select an active group and "
                    "choose “Make the selected group the default”."
                ),
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Make the selected group the default"), permissions=["change"])
    def make_default(self, request, queryset):
        groups = list(queryset[:2])
        if len(groups) != 1:
            self.message_user(request, _("Select exactly one group to make it the default."), messages.ERROR)
            return
        try:
            support_group_set_default(group=groups[0], actor=request.user)
        except ApplicationError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return
        self.message_user(
            request, _("%(name)s is now the default group.") % {"name": groups[0]}, messages.SUCCESS
        )

    @admin.action(description=_("Stop using the selected group as the default"), permissions=["change"])
    def clear_default(self, request, queryset):
        if not queryset.filter(is_default=True).exists():
            self.message_user(request, _("None of the selected groups is the default."), messages.WARNING)
            return
        support_group_set_default(group=None, actor=request.user)
        self.message_user(
            request,
            _("There is no default group now: records that no rule routes stay without a group."),
            messages.WARNING,
        )


@admin.register(PriorityRule)
class PriorityRuleAdmin(AuditedAdmin):
    """The nine cells of the impact x urgency matrix: their priority is editable, the cells are fixed."""

    list_display = ["impact", "urgency", "priority"]
    list_display_links = None
    list_editable = ["priority"]
    readonly_fields = ["impact", "urgency"]
    fields = ["impact", "urgency", "priority"]
    ordering = ["impact", "urgency"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created by their owners; administrators see and revoke them."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at"]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = [f.name for f in ApiToken._meta.fields if f.name != "digest"]
    exclude = ["digest"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token, actor=request.user)
        self.message_user(request, _("The tokens were revoked."), messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the audit trail cannot be added to, changed or deleted here."""

    list_display = ["created_at", "action", "actor_label", "object_repr", "correlation_id"]
    list_filter = ["action", "content_type"]
    search_fields = ["action", "actor_label", "object_repr", "object_id", "correlation_id"]
    date_hierarchy = "created_at"
    list_select_related = ["content_type"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in AuditEvent._meta.fields]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """What the desk sent or tries to send: read-only, with a retry for dead messages."""

    list_display = ["created_at", "channel", "event", "recipient", "state", "attempts", "next_attempt_at"]
    list_filter = ["state", "channel", "event"]
    search_fields = ["recipient", "event", "=event_id"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    list_select_related = True

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and obj.event == "user.password_reset":
            return [field for field in fields if field != "payload"]  # it holds a live reset link
        return fields

    @admin.action(description=_("Retry the selected dead messages"), permissions=["view"])
    def retry(self, request, queryset):
        count = outbox_retry(actor=request.user, messages=queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d message will be delivered again.",
                "%(count)d messages will be delivered again.",
                count,
            )
            % {"count": count},
        )


# The admin of notifications, webhooks and mailboxes lives beside this module.
from . import (  # noqa: E402, F401
    admin_approvals,
    admin_calendars,
    admin_mail,
    admin_notifications,
    admin_sla,
    admin_webhooks,
)
