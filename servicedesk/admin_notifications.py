"""The admin of notification templates and opt-outs."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.template import TemplateSyntaxError
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .admin import AuditedAdmin, ReadOnlyAdmin
from .models import NotificationEvent, NotificationOptOut, NotificationTemplate
from .services.notifications import CONTEXT_VARIABLES, default_template_source, template_check


class NotificationTemplateForm(forms.ModelForm):
    """Refuse a template that does not compile, so a broken one is never saved."""

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

    def clean_subject(self):
        return self._compiled("subject")

    def clean_body_text(self):
        return self._compiled("body_text")

    def clean_body_html(self):
        return self._compiled("body_html")


def _variables_help():
    items = format_html_join(
        "",
        "<li><code>{}</code>: {}</li>",
        ((name, text) for name, text in CONTEXT_VARIABLES.items()),
    )
    return format_html(
        "<p>{}</p><ul>{}</ul><p>{}</p>",
        _(
            "Subject and bodies are Django templates. The subject always starts with the record's number "
            "in brackets, such as [INC0000123], so replies find their record. They may use:"
        ),
        items,
        _(
            "To start from the shipped wording, open the add page with the event and language in its "
            "address, e.g. ?event=resolved&language=zh-hans. Texts inside blocktranslate tags come from the "
            "translation catalogue; write the wording in the template's own language to change them."
        ),
    )


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(AuditedAdmin):
    """An administrator's wording of a notification; a new one starts from the shipped default."""

    form = NotificationTemplateForm
    list_display = ["event", "language", "subject", "updated_at"]
    list_filter = ["event", "language"]
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
        if event not in NotificationEvent.values:
            return initial
        if initial.get("language") not in dict(settings.LANGUAGES):
            initial["language"] = settings.LANGUAGE_CODE
        for part, field in (("subject", "subject"), ("text", "body_text"), ("html", "body_html")):
            initial.setdefault(field, default_template_source(event=event, part=part).strip())
        return initial


@admin.register(NotificationOptOut)
class NotificationOptOutAdmin(ReadOnlyAdmin):
    """Read-only: people turn their notifications off and on from their profile."""

    list_display = ["user", "event", "created_at"]
    list_filter = ["event"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email", "user__full_name"]
    date_hierarchy = "created_at"
