"""Form fields shared by the portal and the workspace."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from servicedesk.attachments import allowed_extensions
from servicedesk.inputs import DEPTH_MESSAGE, MAX_JSON_DEPTH, NUL_MESSAGE, has_null_character, json_too_deep


def _limits_text() -> str:
    count = settings.ITSM_ATTACHMENTS_PER_ENTRY
    return ngettext(
        "Up to %(count)d file of %(size)s. Allowed: %(types)s.",
        "Up to %(count)d files, %(size)s each. Allowed: %(types)s.",
        count,
    ) % {
        "count": count,
        "size": filesizeformat(settings.ITSM_ATTACHMENT_MAX_BYTES),
        "types": ", ".join(allowed_extensions()),
    }


# Read when shown (settings and language of the request), not when the form class is defined.
attachment_limits_text = lazy(_limits_text, str)


class MultipleFileInput(forms.ClearableFileInput):
    """A file input stating the limits the services enforce (count, size, types) as data attributes,
    with the messages to show, for `static/js/app.js` to check the chosen files before sending."""

    allow_multiple_selected = True

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        limit = settings.ITSM_ATTACHMENT_MAX_BYTES
        allowed = allowed_extensions()
        # The services' own messages, with {name} / {extension} for the script to fill in.
        context["widget"]["attrs"].update(
            {
                "data-max-files": settings.ITSM_ATTACHMENTS_PER_ENTRY,
                "data-max-bytes": limit,
                "data-extensions": ",".join(allowed),
                "data-message-count": gettext("At most %(count)d files at a time.")
                % {"count": settings.ITSM_ATTACHMENTS_PER_ENTRY},
                "data-message-size": gettext("“%(name)s” is larger than %(limit)s.")
                % {"name": "{name}", "limit": filesizeformat(limit)},
                "data-message-empty": gettext("“%(name)s” is empty.") % {"name": "{name}"},
                "data-message-type": gettext(
                    "Files of type “%(extension)s” cannot be attached. Allowed: %(allowed)s."
                )
                % {"extension": "{extension}", "allowed": ", ".join(allowed)},
            }
        )
        return context


class MultipleFileField(forms.FileField):
    """Several files in one input; the services check each (size, type, magic bytes) and their number.
    The limits are shown beside the field and checked in the browser first."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attachments"))
        kwargs.setdefault("help_text", attachment_limits_text())
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
