"""A CI's attributes as form fields, generated from its class's JSON Schema (`cmdb.schemas`).

Each property of the effective schema becomes a field named `attr__<name>`: a string a text box (a date or
date-time format a date or date-time picker), an integer or number a text box the server parses (so a
mistyped value comes back with the field's own message rather than being blanked by the browser), a
boolean a Yes / No / Unknown menu, an enum a menu of its values, anything else (objects, arrays, no type)
a small JSON box. The schema's `title` is the label, its `description` the help, `required` makes the
field required and `default` fills a new CI's form. The fields only convert what was typed: the service
validates the attributes against the very same schema (`schemas.attribute_errors`), and its messages come
back on these fields (`ATTRIBUTE_PREFIX`).
"""

import datetime
import json

from django import forms
from django.utils import timezone

from servicedesk.fields import JSONInputField

from .defaults import ATTRIBUTE_LABELS

PREFIX = "attr__"
MAX_TEXT = 10_000


def field_name(attribute: str) -> str:
    return f"{PREFIX}{attribute}"


def attribute_of(name: str) -> str | None:
    """The attribute a generated field's name stands for, or None for another field."""
    return name[len(PREFIX) :] if name.startswith(PREFIX) else None


class AttributeField:
    """What a generated field adds: its value from the JSON stored (`from_json`), and back (`to_json`)."""

    def from_json(self, value):
        return value

    def to_json(self, value):
        return value


class TextAttribute(AttributeField, forms.CharField):
    pass


class IntegerAttribute(AttributeField, forms.IntegerField):
    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})


class NumberAttribute(AttributeField, forms.FloatField):
    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_json(self, value):
        # 16 rather than 16.0, as it was typed.
        return int(value) if isinstance(value, float) and value.is_integer() else value


class BooleanAttribute(AttributeField, forms.NullBooleanField):
    widget = forms.NullBooleanSelect

    def validate(self, value):
        if value is None and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")


class DateAttribute(AttributeField, forms.DateField):
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def from_json(self, value):
        try:
            return datetime.date.fromisoformat(value) if isinstance(value, str) else value
        except ValueError:
            return value

    def to_json(self, value):
        return value.isoformat() if value else value


class DateTimeAttribute(AttributeField, forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def from_json(self, value):
        try:
            moment = datetime.datetime.fromisoformat(value) if isinstance(value, str) else value
        except ValueError:
            return value
        if isinstance(moment, datetime.datetime) and timezone.is_aware(moment):
            return timezone.localtime(moment).replace(second=0, microsecond=0)
        return moment

    def to_json(self, value):
        return value.isoformat() if value else value


class ChoiceAttribute(AttributeField, forms.TypedChoiceField):
    """An enum: its values by their text, given back as the schema wrote them (a number stays a number)."""

    def __init__(self, *, values: list, **kwargs):
        by_text = {json.dumps(value) if not isinstance(value, str) else value: value for value in values}
        super().__init__(
            choices=[("", "—"), *((text, text) for text in by_text)],
            coerce=lambda text: by_text[text],
            empty_value=None,
            **kwargs,
        )
        self.by_text = by_text

    def from_json(self, value):
        return value if isinstance(value, str) else json.dumps(value)

    def has_changed(self, initial, data):
        return super().has_changed(self.from_json(initial) if initial is not None else None, data)


class JSONAttribute(AttributeField, JSONInputField):
    widget = forms.Textarea(attrs={"rows": 2, "class": "font-monospace", "spellcheck": "false"})


def _field(spec: dict, *, required: bool) -> forms.Field:
    kwargs = {
        "required": required,
        "label": spec.get("title") or None,
        "help_text": spec.get("description") or "",
    }
    kind = spec.get("type")
    if "enum" in spec and isinstance(spec["enum"], list):
        return ChoiceAttribute(values=spec["enum"], **kwargs)
    if kind == "boolean":
        return BooleanAttribute(**kwargs)
    if kind == "integer":
        return IntegerAttribute(**kwargs)
    if kind == "number":
        return NumberAttribute(**kwargs)
    if kind == "string" and spec.get("format") == "date":
        return DateAttribute(**kwargs)
    if kind == "string" and spec.get("format") == "date-time":
        return DateTimeAttribute(**kwargs)
    if kind == "string":
        max_length = spec.get("maxLength")
        limit = max_length if isinstance(max_length, int) and 0 < max_length <= MAX_TEXT else MAX_TEXT
        return TextAttribute(max_length=limit, strip=False, empty_value=None, **kwargs)
    return JSONAttribute(**kwargs)


def attribute_fields(schema: dict) -> dict[str, forms.Field]:
    """A field for each property of `schema`, in its order, named `attr__<property>`."""
    required = set(schema.get("required", []))
    fields = {}
    for name, spec in schema.get("properties", {}).items():
        spec = spec if isinstance(spec, dict) else {}
        field = _field(spec, required=name in required)
        if field.label is None:
            field.label = ATTRIBUTE_LABELS.get(name) or name.replace("_", " ").capitalize()
        field.attribute = name
        field.default = spec.get("default")
        fields[field_name(name)] = field
    return fields


def initial_values(fields: dict[str, forms.Field], attributes: dict | None, *, defaults: bool) -> dict:
    """The fields' values for `attributes` (a CI's), or for a new CI the schema's defaults."""
    values = {}
    for name, field in fields.items():
        if attributes is not None and field.attribute in attributes:
            values[name] = field.from_json(attributes[field.attribute])
        elif defaults and field.default is not None:
            values[name] = field.from_json(field.default)
        else:
            values[name] = None
    return values


def attributes_from(fields: dict[str, forms.Field], cleaned: dict, kept: dict | None) -> dict:
    """The attributes a CI gets: `kept` (its current attributes, those the schema does not define
    included) with each field's value set, or removed when the field was left empty."""
    attributes = dict(kept or {})
    for name, field in fields.items():
        if name not in cleaned:
            continue
        value = cleaned[name]
        if value is None or value == "":
            attributes.pop(field.attribute, None)
        else:
            attributes[field.attribute] = field.to_json(value)
    return attributes
