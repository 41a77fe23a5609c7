"""Form fields shared by the portal and the workspace."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from servicedesk.attachments import allowed_extensions
from servicedesk.inputs import DEPTH_MESSAGE, MAX_JSON_DEPTH, NUL_MESSAGE, has_null_character, json_too_deep


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the services check each (size, type, magic bytes)."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attachments"))
        kwargs.setdefault(
            "help_text",
            _("Allowed: %(types)s.") % {"types": ", ".join(allowed_extensions())},
        )
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("accept", ",".join(f".{ext}" for ext in allowed_extensions()))

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class JSONInputField(forms.JSONField):
    """JSON typed by a person, refused (as the field's error) when the database or a validator could not
    take it: NUL characters, or nesting deeper than MAX_JSON_DEPTH (which would exhaust the stack)."""

    default_error_messages = {"too_deep": DEPTH_MESSAGE, "null_character": NUL_MESSAGE}

    def _too_deep(self):
        return ValidationError(
            self.error_messages["too_deep"], code="too_deep", params={"depth": MAX_JSON_DEPTH}
        )

    def to_python(self, value):
        try:
            converted = super().to_python(value)
        except RecursionError:
            raise self._too_deep() from None
        if json_too_deep(converted):
            raise self._too_deep()
        if has_null_character(converted):
            raise ValidationError(self.error_messages["null_character"], code="null_character")
        return converted

    def bound_data(self, data, initial):
        # Shown again after an error: text too deep to parse or to indent goes back as it was typed.
        try:
            value = super().bound_data(data, initial)
        except RecursionError:
            return forms.fields.InvalidJSONInput(data)
        return forms.fields.InvalidJSONInput(data) if json_too_deep(value) else value
