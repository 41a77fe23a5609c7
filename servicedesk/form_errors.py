"""A service's ValidationError shown on the form that called it: written once for every page and admin."""

from collections.abc import Mapping

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.utils.text import capfirst

FORM_WIDE = (NON_FIELD_ERRORS, "non_field_errors")


def apply_service_errors(
    form: forms.Form, error: ValidationError, *, nested: Mapping[str, str] | None = None
) -> None:
    """Each message on the field it names; a key under a prefix of `nested` (`attributes.cpu_count`, with
    `{"attributes": "attributes"}`) on the field collecting that prefix, led by the rest of its key; any
    other key above the form, led by its name (the model field's, in the reader's language, on a model
    form), so that nothing the service said is lost."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    nested = nested or {}
    for key, messages in error.message_dict.items():
        head, _dot, rest = key.partition(".")
        if key in form.fields:
            field, prefix = key, ""
        elif head in nested:
            field, prefix = nested[head], f"{rest}: " if rest else ""
        else:
            field, prefix = None, "" if key in FORM_WIDE else f"{_field_name(form, key)}: "
        for message in messages:
            form.add_error(field, f"{prefix}{message}")


def _field_name(form: forms.Form, key: str) -> str:
    """The model field's verbose name for `key` on a model form, else the key as the service named it."""
    model = getattr(getattr(form, "_meta", None), "model", None)
    if model is not None:
        try:
            return str(capfirst(model._meta.get_field(key).verbose_name))
        except FieldDoesNotExist:
            pass
    return key
