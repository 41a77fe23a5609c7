"""The admin of notification templates and opt-outs."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.template import TemplateSyntaxError
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .admin import AuditedAdmin, ReadOnlyAdmin
from .kinds import record_kinds
from .models import NotificationOptOut, NotificationTemplate
from .notifications.registry import (
    UnknownNotificationEvent,
    notification_event,
    notification_event_choices,
    notification_event_label,
    notification_events,
)
from .services.notifications import CONTEXT_VARIABLES, default_template_source, template_check


class NotificationTemplateForm(forms.ModelForm):
    """Offer the registered events; refuse a template that does not compile, so a broken one is never
    saved."""

    event = forms.ChoiceField(label=_("event"), choices=notification_event_choices)

    class Meta:
        model = NotificationTemplate
        fields = ["event", "language", "subject", "body_text", "body_html"]
        widgets = {
            "body_text": forms.Textarea(attrs={"rows": 16, "cols": 100, "class": "vLargeTextField"}),
            "body_html": forms.Textarea(attrs={"rows": 16, "cols": 100, "class": "vLargeTextField"}),
        }

    def _compiled(self, name: str) -> str:
        source = self.cleaned_data.get(name, "")
        try:
            template_check(source)
        except TemplateSyntaxError as exc:
            raise ValidationError(
                _("This is not a valid template: %(error)s"), code="invalid_template", params={"error": exc}
            ) from exc
        return source

    def clean_event(self):
        event = self.cleaned_data["event"]
        try:
            notification_event(event)
        except UnknownNotificationEvent as exc:
            raise ValidationError(exc.message, code="unknown_notification_event") from exc
        return event

    def clean_subject(self):
        return self._compiled("subject")

    def clean_body_text(self):
        return self._compiled("body_text")

    def clean_body_html(self):
        return self._compiled("body_html")


AUDIENCE_LABELS = {"requester": _("requesters"), "agent": _("agents")}


def _variables(variables) -> str:
    return format_html_join(
        "", "<li><code>{}</code>: {}</li>", ((name, text) for name, text in variables.items())
    )


def _events_help():
    """Each registered event: its code and label, who may subscribe, the kinds whose rules send it, and
    the variables only it has."""
    senders = {}
    for kind in record_kinds():
        for rule in kind.notifications:
            senders.setdefault(rule.send, {})[str(kind.label)] = None
    rows = format_html_join(
        "",
        "<li><code>{}</code>: {} <small>({})</small>{}</li>",
        (
            (
                event.code,
                event.label,
                "; ".join(
                    part
                    for part in (
                        ", ".join(str(AUDIENCE_LABELS[audience]) for audience in event.audience),
                        ", ".join(senders.get(event.code, {})),
                    )
                    if part
                ),
                format_html("<ul>{}</ul>", _variables(event.variables)) if event.variables else "",
            )
            for event in notification_events()
        ),
    )
    return format_html(
        "<p>{}</p><ul>{}</ul>", _("The events (who may subscribe; the kinds that send them):"), rows
    )


def _variables_help():
    items = _variables(CONTEXT_VARIABLES)
    return format_html(
        "<p>{}</p><ul>{}</ul>{}<p>{}</p>",
        _(
            "Subject and bodies are Django templates. The subject always starts with the record's number "
            "in brackets, such as [INC0000123], so replies find their record. They may use:"
        ),
        items,
        _events_help(),
        _(
            "To start from the shipped wording, open the add page with the event and language in its "
            "address, e.g. ?event=resolved&language=zh-hans. Texts inside blocktranslate tags come from the "
            "translation catalogue; write the wording in the template's own language to change them."
        ),
    )


class EventFilter(admin.SimpleListFilter):
    """The registered events, by label."""

    title = _("event")
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return notification_event_choices()

    def queryset(self, request, queryset):
        return queryset.filter(event=self.value()) if self.value() else queryset


@admin.display(description=_("event"), ordering="event")
def event_label(obj) -> str:
    return notification_event_label(obj.event)


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(AuditedAdmin):
    """An administrator's wording of a notification; a new one starts from the shipped default."""

    form = NotificationTemplateForm
    list_display = [event_label, "language", "subject", "updated_at"]
    list_filter = [EventFilter, "language"]
    search_fields = ["subject", "body_text"]
    readonly_fields = ["updated_at"]

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": ["event", "language"]}),
            (
                _("Wording"),
                {
                    "fields": ["subject", "body_text", "body_html", "updated_at"],
                    "description": _variables_help(),
                },
            ),
        ]

    def get_changeform_initial_data(self, request):
        """Prefill the shipped default of `?event=` in `?language=` (the site's language if not given)."""
        initial = super().get_changeform_initial_data(request)
        event = initial.get("event")
        try:
            notification_event(event)
        except UnknownNotificationEvent:
            return initial
        if initial.get("language") not in dict(settings.LANGUAGES):
            initial["language"] = settings.LANGUAGE_CODE
        for part, field in (("subject", "subject"), ("text", "body_text"), ("html", "body_html")):
            initial.setdefault(field, default_template_source(event=event, part=part).strip())
        return initial


@admin.register(NotificationOptOut)
class NotificationOptOutAdmin(ReadOnlyAdmin):
    """Read-only: people turn their notifications off and on from their profile."""

    list_display = ["user", event_label, "created_at"]
    list_filter = [EventFilter]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email", "user__full_name"]
    date_hierarchy = "created_at"
