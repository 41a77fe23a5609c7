"""Form fields shared by the portal and the workspace."""

from django import forms
from django.utils.translation import gettext_lazy as _

from servicedesk.attachments import allowed_extensions


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


class TextareaField(forms.CharField):
    """Text typed in a textarea, stored with the line endings it was typed with, not the browser's CRLF.

    Comparing what a form showed with what it sends back (a merge of concurrent edits) then sees no change
    where there was none.
    """

    widget = forms.Textarea

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if isinstance(value, str) else value
