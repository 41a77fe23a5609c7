"""The admin of approval requests: read-only (their decisions and delegations inline), filtered by status and
by the kind of their record; withdrawing pending ones goes through `approval_cancel`, which audits."""

from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .admin import ReadOnlyAdmin
from .approvals.selectors import may_cancel_approvals
from .approvals.services import approval_cancel
from .errors import ApplicationError
from .kinds import kind_of, record_kinds
from .models import ApprovalDecision, ApprovalDelegation, ApprovalRequest


class RecordKindFilter(admin.SimpleListFilter):
    """The kind of the request's record (incident, request…), from the registered record kinds."""

    title = _("record kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(kind.code, kind.label) for kind in record_kinds()]

    def queryset(self, request, queryset):
        kind = next((k for k in record_kinds() if k.code == self.value()), None)
        if kind is None:
            return queryset
        model = kind.model_class()
        records = model._default_manager.filter(**kind.filters).values("pk")
        return queryset.filter(
            Q(content_type=ContentType.objects.get_for_model(model)) & Q(object_id__in=records)
        )


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ApprovalDecisionInline(ReadOnlyInline):
    model = ApprovalDecision
    fields = ["decided_at", "approver", "on_behalf_of", "group", "decision", "comment"]
    readonly_fields = fields


class ApprovalDelegationInline(ReadOnlyInline):
    model = ApprovalDelegation
    fields = ["created_at", "delegator", "delegate", "created_by"]
    readonly_fields = fields
    verbose_name = _("delegated decision")
    verbose_name_plural = _("delegated decisions")


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ReadOnlyAdmin):
    """Read-only: decisions are given on the approval pages; a pending request may be withdrawn here."""

    list_display = ["title", "record_number", "record_kind", "rule", "status", "created_at", "settled_at"]
    list_filter = ["status", RecordKindFilter, "rule", "after_the_fact"]
    search_fields = ["title", "reason", "=id"]
    date_hierarchy = "created_at"
    list_select_related = ["content_type"]
    inlines = [ApprovalDecisionInline, ApprovalDelegationInline]
    actions = ["cancel"]
    fields = [
        "title",
        "record_number",
        "record_kind",
        "reason",
        "rule",
        "status",
        "after_the_fact",
        "approvers",
        "required_approvers",
        "groups",
        "due_at",
        "reminder_count",
        "reminded_at",
        "outcome_note",
        "created_by",
        "created_at",
        "settled_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("record")

    @admin.display(description=_("record"))
    def record_number(self, obj):
        record = obj.record
        return record.number if record is not None else "—"

    @admin.display(description=_("record kind"))
    def record_kind(self, obj):
        try:
            return kind_of(obj.record).label if obj.record is not None else "—"
        except LookupError:
            return "—"

    def has_cancel_permission(self, request):
        return may_cancel_approvals(request.user)

    @admin.action(description=_("Withdraw the selected pending approval requests"), permissions=["cancel"])
    def cancel(self, request, queryset):
        count, reason = 0, str(_("Withdrawn in the admin."))
        for approval in queryset.filter(status=ApprovalRequest.Status.PENDING):
            try:
                approval_cancel(approval=approval, actor=request.user, reason=reason)
            except ApplicationError as exc:
                self.message_user(request, f"{approval}: {exc.message}", messages.ERROR)
            else:
                count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d approval request was withdrawn.",
                "%(count)d approval requests were withdrawn.",
                count,
            )
            % {"count": count},
        )
