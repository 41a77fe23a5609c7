"""The admin of SLA policies (targets, escalation rules) and the read-only view of their clocks.

Saving a policy applies it to the open clocks it governs (`sla_policy_changed`); "Preview effect on open
records" runs the very same save in a transaction that is rolled back and lists the records whose due time
or breach state it would move (`sla_preview`). The business calendar admin shares the preview.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .admin import AuditedAdmin, ReadOnlyAdmin
from .kinds import kind_of, record_kinds
from .models import (
    BusinessCalendar,
    EscalationRule,
    Priority,
    SLAClock,
    SLAFiring,
    SLAPolicy,
    SLASegment,
    SLATarget,
)
from .sla.calendars import calendar_schedule
from .sla.clocks import OPEN_STATES
from .sla.edits import sla_policy_changed, sla_preview
from .templatetags.sla import duration, metric_label

PREVIEW_BUTTON = "_preview"


# Preview ----------------------------------------------------------------------------------------------


def format_shift(seconds: float | None) -> str:
    """How far a due time moves, signed ("+2 h 15 min"; earlier with a minus sign); "—" without one."""
    if seconds is None:
        return "—"
    if abs(seconds) < 1:
        return duration(0)
    return ("+" if seconds > 0 else "−") + duration(seconds)


def _record_link(record) -> str:
    try:
        return reverse(kind_of(record).url_name, args=[record.number])
    except (LookupError, NoReverseMatch):
        return ""


def _state_label(state: str) -> str:
    try:
        return str(SLAClock.State(state).label)
    except ValueError:
        return state


def preview_lines(rows) -> list[dict]:
    """The `PreviewRow`s as the preview page shows them."""
    lines = []
    for row in rows:
        record = row.record
        lines.append(
            {
                "number": getattr(record, "number", "") or gettext("(deleted record)"),
                "title": getattr(record, "title", ""),
                "url": _record_link(record) if record is not None else "",
                "metric": metric_label(row.metric),
                "before": row.before,
                "after": row.after,
                "before_state": _state_label(row.before.state),
                "after_state": _state_label(row.after.state),
                "state_changed": row.before.state != row.after.state,
                "policy_changed": row.before.policy != row.after.policy,
                "shift": format_shift(row.shift_seconds),
                "later": (row.shift_seconds or 0) > 0,
                "breach_changed": row.breach_changed,
            }
        )
    return lines


class SLAPreviewMixin:
    """A "Preview effect on open records" button on the change form: the save runs in a transaction that
    `sla_preview` rolls back, and the page lists the open records it would move. Nothing is saved."""

    preview_template = "admin/servicedesk/sla_preview.html"

    def preview_clocks(self, object_id):
        """The clocks the edit of this object may move (an add moves none)."""
        raise NotImplementedError

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST" or PREVIEW_BUTTON not in request.POST:
            return super().changeform_view(request, object_id, form_url, extra_context)
        save = super().changeform_view
        clocks = self.preview_clocks(unquote(object_id)) if object_id else SLAClock.objects.none()
        response, rows = sla_preview(lambda: save(request, object_id, form_url, extra_context), clocks)
        if not isinstance(response, HttpResponseRedirect):
            return response  # the form with its errors
        # The rolled-back save said "was changed successfully": it was not.
        for _message in messages.get_messages(request):
            pass
        original = self.get_object(request, unquote(object_id)) if object_id else None
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "original": original,
            "title": gettext("Effect of the changes to %(object)s on open records")
            % {"object": original if original is not None else opts.verbose_name},
            "lines": preview_lines(rows),
            "now": timezone.now(),
        }
        return TemplateResponse(request, self.preview_template, context)


# Policies ---------------------------------------------------------------------------------------------


def _kind_choices():
    return [(kind.code, kind.label) for kind in record_kinds()]


def _pause_choices():
    """Every record kind's pause states, each code once."""
    choices = {}
    for kind in record_kinds():
        for code, label in getattr(kind.sla, "pause_choices", None) or []:
            choices.setdefault(code, label)
    return list(choices.items())


class PercentListField(forms.Field):
    """Whole percentages from 1 to 99 as "50, 75, 90", held as a sorted list of distinct integers."""

    default_error_messages = {
        "invalid": _("Enter whole numbers from 1 to 99 separated by commas, e.g. 50, 75, 90."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "50, 75, 90"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return []
        if isinstance(value, list | tuple):
            items = value
        else:
            items = [item.strip() for item in str(value).split(",")]
            items = [item for item in items if item]
        numbers = set()
        for item in items:
            try:
                number = int(item)
            except (TypeError, ValueError):
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
            if not 1 <= number <= 99:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            numbers.add(number)
        return sorted(numbers)


class SLAPolicyForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(
        label=_("record kinds"),
        choices=_kind_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every kind of record."),
    )
    priorities = forms.TypedMultipleChoiceField(
        label=_("priorities"),
        choices=Priority.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every priority."),
    )
    pause_on = forms.MultipleChoiceField(
        label=_("paused while"),
        choices=_pause_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The record states that stop the clock."),
    )
    warning_percents = PercentListField(
        label=_("warn at (%)"),
        required=False,
        help_text=_("Percentages of the target, separated by commas, e.g. 50, 75, 90."),
    )

    class Meta:
        model = SLAPolicy
        fields = [
            "name",
            "description",
            "order",
            "is_active",
            "kinds",
            "priorities",
            "organisations",
            "services_only",
            "calendar",
            "time_zone_source",
            "pause_on",
            "warning_percents",
            "warning_minutes",
            "reopen_new_cycle",
        ]
        help_texts = {
            "is_active": _(
                "Untick to retire the policy: it starts no clocks, and its running clocks move to the next "
                "matching policy. A policy that clocks have used cannot be deleted: retire it instead."
            ),
        }

    def clean_priorities(self):
        return sorted(set(self.cleaned_data["priorities"]))

    def clean_kinds(self):
        chosen = set(self.cleaned_data["kinds"])
        return [code for code, _label in _kind_choices() if code in chosen]

    def clean_pause_on(self):
        chosen = set(self.cleaned_data["pause_on"])
        return [code for code, _label in _pause_choices() if code in chosen]


class SLATargetForm(forms.ModelForm):
    class Meta:
        model = SLATarget
        fields = ["metric", "priority", "target"]
        widgets = {"target": forms.TextInput(attrs={"size": 12, "placeholder": "4:00:00"})}
        help_texts = {
            "target": _("Business time as [days] hours:minutes:seconds, e.g. 4:00:00 or 2 0:00:00.")
        }


class SLATargetInline(admin.TabularInline):
    model = SLATarget
    form = SLATargetForm
    extra = 0


class EscalationRuleInline(admin.TabularInline):
    model = EscalationRule
    extra = 0
    fields = [
        "metric",
        "percent",
        "notify_assignee",
        "notify_group_manager",
        "notify_service_owner",
        "reassign_to_escalation_group",
        "raise_priority",
    ]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(SLAPreviewMixin, AuditedAdmin):
    form = SLAPolicyForm
    inlines = [SLATargetInline, EscalationRuleInline]
    list_display = ["name", "order", "is_active", "calendar", "time_zone_source", "open_clocks", "retired_at"]
    list_filter = ["is_active", "calendar", "time_zone_source"]
    list_select_related = ["calendar"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["organisations"]
    readonly_fields = ["retired_at", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "description", "order", "is_active", "retired_at"]}),
        (_("Records it covers"), {"fields": ["kinds", "priorities", "organisations", "services_only"]}),
        (_("Business time"), {"fields": ["calendar", "time_zone_source", "pause_on", "reopen_new_cycle"]}),
        (_("Warnings"), {"fields": ["warning_percents", "warning_minutes"]}),
        (_("Dates"), {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(open_clock_count=Count("clocks", filter=Q(clocks__state__in=OPEN_STATES)))
        )

    @admin.display(description=_("open clocks"), ordering="open_clock_count")
    def open_clocks(self, policy):
        return policy.open_clock_count

    def preview_clocks(self, object_id):
        return SLAClock.objects.filter(policy_id=object_id)

    def get_object(self, request, object_id, from_field=None):
        policy = super().get_object(request, object_id, from_field)
        if policy is not None:
            # The form changes this very instance: remember the calendar its clocks ran under.
            policy._calendar_id_before = policy.calendar_id
        return policy

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:
            return  # a new policy has no clocks yet: criteria apply as records are filed
        policy = form.instance
        before = None
        previous = getattr(policy, "_calendar_id_before", policy.calendar_id)
        if previous != policy.calendar_id:
            before = calendar_schedule(BusinessCalendar.objects.get(pk=previous))
        sla_policy_changed(policy=policy, before=before)


# Clocks -----------------------------------------------------------------------------------------------


class SLASegmentInline(admin.TabularInline):
    model = SLASegment
    fields = ["cycle", "kind", "started_at", "ended_at", "business_seconds", "reason", "data"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SLAFiringInline(SLASegmentInline):
    model = SLAFiring
    fields = ["cycle", "threshold", "rule", "fired_at", "data"]
    readonly_fields = fields


@admin.register(SLAClock)
class SLAClockAdmin(ReadOnlyAdmin):
    """Clocks are written only by the SLA engine: read them, with their ledger and what they fired."""

    list_display = [
        "id",
        "content_type",
        "object_id",
        "metric",
        "cycle",
        "state",
        "policy",
        "priority",
        "due_at",
        "next_check_at",
    ]
    list_filter = ["state", "metric", "policy", "content_type"]
    list_select_related = ["content_type", "policy"]
    search_fields = ["=object_id"]
    inlines = [SLASegmentInline, SLAFiringInline]

    def get_fields(self, request, obj=None):
        return ["record_link", *(f.name for f in SLAClock._meta.fields if f.name != "id")]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description=_("record"))
    def record_link(self, clock):
        record = clock.record
        if record is None:
            return "—"
        url = _record_link(record)
        label = getattr(record, "number", None) or str(record)
        return format_html('<a href="{}">{}</a>', url, label) if url else label
