"""Catalogue forms: the fields a request type asks for, as a JSON Schema object (a documented subset).

A request type's `form_schema` is `{"type": "object", "properties": {...}, "required": [...]}`, with an
optional `"x-order"` listing the field names in the order shown (PostgreSQL's jsonb does not keep the
order of keys). Each property is one field; its kind follows from its keywords:

| kind     | property                                             | answer stored                      |
| -------- | ---------------------------------------------------- | ---------------------------------- |
| text     | `"type": "string"` (`"x-widget": "textarea"`: lines)  | the text                           |
| choice   | `"type": "string", "enum": [...]`                    | one of the values                  |
| date     | `"type": "string", "format": "date"`                 | `YYYY-MM-DD`                       |
| number   | `"type": "number"` or `"integer"`                    | the number                         |
| boolean  | `"type": "boolean"`                                  | true or false                      |
| user     | `"type": "integer", "format": "user"`                | an active person's id              |
| ci       | `"type": "integer", "format": "ci"`                  | a CI's id (`"x-ci-class"`: path)  |
| file     | `"type": "string", "format": "file"`                 | `{"id": attachment id, "name": …}` |

Every field may have `title`, `description` (help); text `minLength`/`maxLength`; numbers
`minimum`/`maximum`. Nothing else: no `$ref`, no nesting. The answers are checked by `jsonschema` against
the same schema (with unknown answers refused), plus what a schema cannot say (the person is active, the CI
exists). See docs/catalogue-forms.md.
"""

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from servicedesk.inputs import DEPTH_MESSAGE, MAX_JSON_DEPTH, NUL_MESSAGE, has_null_character, json_too_deep

SCHEMA_FIELD = "form_schema"
ANSWERS_FIELD = "form_data"
MAX_FIELDS = 40
TEXT_MAX = 10_000  # characters of a text answer when the field names no maxLength
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TOP_KEYS = {"type", "properties", "required", "x-order", "additionalProperties"}
COMMON_KEYS = {"type", "title", "description"}
KIND_KEYS = {
    "text": {"minLength", "maxLength", "x-widget"},
    "choice": {"enum"},
    "date": {"format"},
    "number": {"minimum", "maximum"},
    "boolean": set(),
    "user": {"format"},
    "ci": {"format", "x-ci-class"},
    "file": {"format"},
}
KINDS = tuple(KIND_KEYS)


@dataclass(frozen=True)
class FormField:
    """One field of a request type's form, as the portal renders it and the record shows it."""

    name: str
    kind: str
    label: str
    help: str
    required: bool
    spec: dict

    @property
    def multiline(self) -> bool:
        return self.spec.get("x-widget") == "textarea"


def field_kind(spec: dict) -> str | None:
    """The kind of a property (see the module's table); None for what the subset does not have."""
    kind = spec.get("type")
    fmt = spec.get("format")
    if kind == "string":
        if "enum" in spec:
            return "choice"
        return {None: "text", "date": "date", "file": "file"}.get(fmt)
    if kind == "integer" and fmt in ("user", "ci"):
        return fmt
    if kind in ("number", "integer") and fmt is None:
        return "number"
    if kind == "boolean":
        return "boolean"
    return None


def _property_error(name: str, spec) -> str | None:
    if not NAME_PATTERN.match(name):
        return _("“%(name)s”: a field name is lowercase letters, digits and _ (at most 40).") % {"name": name}
    if not isinstance(spec, dict):
        return _("“%(name)s” must be an object.") % {"name": name}
    kind = field_kind(spec)
    if kind is None:
        return _(
            "“%(name)s”: not a supported field (text, choice, date, number, boolean, user, CI or file)."
        ) % {"name": name}
    unknown = set(spec) - COMMON_KEYS - KIND_KEYS[kind]
    if unknown:
        return _("“%(name)s”: unsupported keywords %(keys)s.") % {
            "name": name,
            "keys": ", ".join(sorted(unknown)),
        }
    for key in ("title", "description", "x-ci-class"):
        if key in spec and not isinstance(spec[key], str):
            return _("“%(name)s”: “%(key)s” must be text.") % {"name": name, "key": key}
    if kind == "choice":
        values = spec["enum"]
        if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
            return _("“%(name)s”: “enum” lists the choices, as non-empty texts.") % {"name": name}
        if len(set(values)) != len(values):
            return _("“%(name)s”: the choices repeat.") % {"name": name}
    if kind == "text" and spec.get("x-widget", "textarea") != "textarea":
        return _("“%(name)s”: “x-widget” may only be “textarea”.") % {"name": name}
    return None


def form_schema_errors(schema) -> dict[str, list[str]]:
    """What is wrong with a request type's form schema (field `form_schema`), empty when it is usable."""
    if schema in (None, {}):
        return {}

    def error(message: str) -> dict[str, list[str]]:
        return {SCHEMA_FIELD: [message]}

    if not isinstance(schema, dict):
        return error(_("Must be a JSON object."))
    if json_too_deep(schema):
        return error(DEPTH_MESSAGE % {"depth": MAX_JSON_DEPTH})
    if has_null_character(schema):
        return error(str(NUL_MESSAGE))
    unknown = set(schema) - TOP_KEYS
    if unknown:
        return error(_("Unsupported keys: %(keys)s.") % {"keys": ", ".join(sorted(unknown))})
    if schema.get("type", "object") != "object":
        return error(_("The form is an object: “type” must be “object”."))
    if schema.get("additionalProperties", False) is not False:
        return error(_("A form takes only its own fields: “additionalProperties” may only be false."))
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        return error(_("“properties” must be an object."))
    if len(properties) > MAX_FIELDS:
        return error(_("At most %(count)d fields.") % {"count": MAX_FIELDS})
    for name, spec in properties.items():
        message = _property_error(name, spec)
        if message:
            return error(message)
    for key in ("required", "x-order"):
        names = schema.get(key, [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            return error(_("“%(key)s” must be a list of field names.") % {"key": key})
        undefined = [n for n in names if n not in properties]
        if undefined:
            return error(
                _("“%(key)s” names fields that are not defined: %(names)s.")
                % {"key": key, "names": ", ".join(undefined)}
            )
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return error(_("Not a valid JSON Schema: %(error)s") % {"error": exc.message})
    return {}


def form_fields(schema) -> list[FormField]:
    """The fields of a (valid) form schema, in the order shown."""
    if not schema:
        return []
    properties = schema.get("properties", {})
    order = [name for name in schema.get("x-order", []) if name in properties]
    order += sorted(name for name in properties if name not in order)
    required = set(schema.get("required", []))
    return [
        FormField(
            name=name,
            kind=field_kind(properties[name]) or "text",
            label=properties[name].get("title") or name.replace("_", " ").capitalize(),
            help=properties[name].get("description", ""),
            required=name in required,
            spec=properties[name],
        )
        for name in order
    ]


def _message(error) -> str:
    validator = error.validator
    value = error.validator_value
    messages = {
        "type": _("Must be of type %(value)s."),
        "enum": _("Choose one of: %(value)s."),
        "minimum": _("Must be at least %(value)s."),
        "maximum": _("Must be at most %(value)s."),
        "minLength": _("Must be at least %(value)s characters long."),
        "maxLength": _("Must be at most %(value)s characters long."),
        "format": _("Not a valid %(value)s."),
    }
    if validator == "enum":
        value = ", ".join(map(str, value))
    if validator in messages:
        return messages[validator] % {"value": value}
    return error.message


def _validation_schema(fields: list[FormField]) -> dict:
    """The schema the answers meet: the fields but files (stored as attachments), and a text limit."""
    properties = {}
    for field in fields:
        if field.kind == "file":
            continue
        spec = {key: value for key, value in field.spec.items() if not key.startswith("x-")}
        if field.kind == "text":
            spec.setdefault("maxLength", TEXT_MAX)
        if field.kind in ("user", "ci"):
            spec.pop("format")
        properties[field.name] = spec
    return {
        "type": "object",
        "properties": properties,
        "required": [f.name for f in fields if f.required and f.kind != "file"],
        "additionalProperties": False,
    }


def form_answers_errors(schema, answers) -> dict[str, list[str]]:
    """Field errors of `answers` to `schema`, keyed `form_data.<field>` (or `form_data`); empty when valid.

    File fields are not part of the answers given here: the caller stores the files and records them."""
    if not isinstance(answers, dict):
        return {ANSWERS_FIELD: [_("Must be a JSON object.")]}
    if has_null_character(answers):
        return {ANSWERS_FIELD: [str(NUL_MESSAGE)]}
    if json_too_deep(answers):
        return {ANSWERS_FIELD: [DEPTH_MESSAGE % {"depth": MAX_JSON_DEPTH}]}
    fields = form_fields(schema)
    validation = _validation_schema(fields)
    errors: dict[str, list[str]] = {}
    for error in Draft202012Validator(validation, format_checker=FormatChecker()).iter_errors(answers):
        if error.validator == "required":
            # One error per missing field, each naming every required one: say it once per field.
            for name in error.validator_value:
                if name not in error.instance:
                    errors[f"{ANSWERS_FIELD}.{name}"] = [_("This field is required.")]
        elif error.validator == "additionalProperties":
            for name in sorted(set(error.instance) - set(validation["properties"])):
                errors.setdefault(f"{ANSWERS_FIELD}.{name}", []).append(_("This form has no such field."))
        else:
            key = ".".join([ANSWERS_FIELD, *map(str, list(error.absolute_path)[:1])])
            errors.setdefault(key, []).append(_message(error))
    if not errors:
        errors.update(_reference_errors(fields, answers))
    return errors


def _reference_errors(fields: list[FormField], answers: dict) -> dict[str, list[str]]:
    """What a schema cannot say: a person is active, a CI exists (and is of the field's class)."""
    from cmdb.models import ConfigurationItem
    from servicedesk.models import User

    errors: dict[str, list[str]] = {}
    users = {f.name: answers[f.name] for f in fields if f.kind == "user" and f.name in answers}
    if users:
        active = set(User.objects.filter(pk__in=users.values(), is_active=True).values_list("pk", flat=True))
        for name, pk in users.items():
            if pk not in active:
                errors[f"{ANSWERS_FIELD}.{name}"] = [_("Choose an active person.")]
    cis = {f.name: (f, answers[f.name]) for f in fields if f.kind == "ci" and f.name in answers}
    if cis:
        found = dict(
            ConfigurationItem.objects.filter(pk__in=[pk for _field, pk in cis.values()])
            .exclude(status=ConfigurationItem.Status.RETIRED)
            .values_list("pk", "ci_class__path")
        )
        for name, (field, pk) in cis.items():
            prefix = field.spec.get("x-ci-class", "")
            if pk not in found or not found[pk].startswith(prefix):
                errors[f"{ANSWERS_FIELD}.{name}"] = [_("Choose a configuration item from the list.")]
    return errors


def form_answers_display(schema, answers: dict) -> list[dict[str, Any]]:
    """The answers as a record shows them: label, kind and shown value, in the form's order; answers to
    fields since removed from the form come last under their names. At most two queries (people, CIs)."""
    from cmdb.models import ConfigurationItem
    from servicedesk.models import User

    if not answers:
        return []
    fields = form_fields(schema)
    known = {f.name for f in fields}
    fields += [
        FormField(name=name, kind="text", label=name, help="", required=False, spec={})
        for name in sorted(set(answers) - known)
    ]
    user_ids = [answers[f.name] for f in fields if f.kind == "user" and f.name in answers]
    ci_ids = [answers[f.name] for f in fields if f.kind == "ci" and f.name in answers]
    people = {u.pk: u for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    cis = {ci.pk: ci for ci in ConfigurationItem.objects.filter(pk__in=ci_ids)} if ci_ids else {}
    shown = []
    for field in fields:
        if field.name not in answers:
            continue
        value = answers[field.name]
        item = {"name": field.name, "label": field.label, "kind": field.kind, "value": value}
        if field.kind == "user":
            person = people.get(value)
            item["value"] = (person.get_full_name() or person.username) if person else value
        elif field.kind == "ci":
            item["value"] = cis[value].name if value in cis else value
        elif field.kind == "boolean":
            item["value"] = _("Yes") if value else _("No")
        elif field.kind == "file":
            item["value"] = value.get("name", "") if isinstance(value, dict) else value
            item["attachment"] = value.get("id") if isinstance(value, dict) else None
        shown.append(item)
    return shown
