"""Attribute schemas: a class's own JSON Schema fragment extends its ancestors'.

A fragment may hold `properties`, `required` and `additionalProperties`. The effective schema merges
the fragments from the root class down; a subclass adds properties but never redefines inherited ones.
"""

import json

from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from servicedesk.inputs import DEPTH_MESSAGE, MAX_JSON_DEPTH, NUL_MESSAGE, has_null_character, json_too_deep

from .models import CIClass

ALLOWED_KEYS = {"properties", "required", "additionalProperties"}
REFERENCE_KEYS = {"$ref", "$dynamicRef", "$recursiveRef"}


def lineage(ci_class: CIClass) -> list[CIClass]:
    """The class and its ancestors, root first (one query)."""
    codes = [code for code in ci_class.path.split("/") if code]
    by_code = {c.code: c for c in CIClass.objects.filter(code__in=codes)}
    return [by_code[code] for code in codes if code in by_code]


def merge(fragments: list[dict]) -> dict:
    properties: dict = {}
    required: list[str] = []
    additional = True
    for fragment in fragments:
        properties.update(fragment.get("properties", {}))
        required.extend(name for name in fragment.get("required", []) if name not in required)
        if fragment.get("additionalProperties") is False:
            additional = False
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": additional,
    }


def effective_schema(ci_class: CIClass, chain: list[CIClass] | None = None) -> dict:
    chain = chain if chain is not None else lineage(ci_class)
    return merge([c.attribute_schema or {} for c in chain])


def _message(error) -> str:
    validator = error.validator
    if validator == "type":
        return _("Must be of type %(type)s.") % {"type": error.validator_value}
    if validator == "enum":
        return _("Must be one of: %(values)s.") % {"values": ", ".join(map(str, error.validator_value))}
    if validator == "minimum":
        return _("Must be at least %(value)s.") % {"value": error.validator_value}
    if validator == "maximum":
        return _("Must be at most %(value)s.") % {"value": error.validator_value}
    if validator == "pattern":
        return _("Does not match the pattern %(pattern)s.") % {"pattern": error.validator_value}
    if validator == "format":
        return _("Not a valid %(format)s.") % {"format": error.validator_value}
    value = error.validator_value
    if validator == "exclusiveMinimum":
        return _("Must be more than %(value)s.") % {"value": value}
    if validator == "exclusiveMaximum":
        return _("Must be less than %(value)s.") % {"value": value}
    if validator == "multipleOf":
        return _("Must be a multiple of %(value)s.") % {"value": value}
    if validator == "minLength":
        return _("Must be at least %(count)s characters long.") % {"count": value}
    if validator == "maxLength":
        return _("Must be at most %(count)s characters long.") % {"count": value}
    if validator == "minItems":
        return _("Must have at least %(count)s items.") % {"count": value}
    if validator == "maxItems":
        return _("Must have at most %(count)s items.") % {"count": value}
    if validator == "uniqueItems":
        return _("Must not repeat an item.")
    if validator == "const":
        return _("Must be %(value)s.") % {"value": json.dumps(value, ensure_ascii=False)}
    # jsonschema's own message is English: name the rule the value breaks instead.
    return _("Does not satisfy the schema's “%(rule)s” rule.") % {"rule": validator}


def attribute_errors(schema: dict, attributes) -> dict[str, list[str]]:
    """Field-level errors keyed `attributes.<name>` (or `attributes`), empty when valid."""
    if not isinstance(attributes, dict):
        return {"attributes": [_("Must be a JSON object.")]}
    if has_null_character(attributes):
        return {"attributes": [str(NUL_MESSAGE)]}
    if json_too_deep(attributes):
        # The validator recurses per level: refuse before it runs out of stack.
        return {"attributes": [DEPTH_MESSAGE % {"depth": MAX_JSON_DEPTH}]}
    errors: dict[str, list[str]] = {}
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    for error in validator.iter_errors(attributes):
        if error.validator == "required":
            for name in error.validator_value:
                if name not in error.instance:
                    errors.setdefault(f"attributes.{name}", []).append(_("This attribute is required."))
        elif error.validator == "additionalProperties":
            for name in sorted(set(error.instance) - set(schema.get("properties", {}))):
                errors.setdefault(f"attributes.{name}", []).append(_("Unknown attribute for this class."))
        else:
            key = ".".join(["attributes", *map(str, error.absolute_path)])
            errors.setdefault(key, []).append(_message(error))
    return errors


def _has_reference(value) -> bool:
    if isinstance(value, dict):
        return any(key in REFERENCE_KEYS or _has_reference(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_reference(item) for item in value)
    return False


def fragment_errors(fragment, inherited: dict) -> dict[str, list[str]]:
    """Problems with a class's own schema fragment, given the schema it inherits."""
    if not isinstance(fragment, dict):
        return {"attribute_schema": [_("Must be a JSON object.")]}
    if json_too_deep(fragment):
        return {"attribute_schema": [DEPTH_MESSAGE % {"depth": MAX_JSON_DEPTH}]}
    if has_null_character(fragment):
        return {"attribute_schema": [str(NUL_MESSAGE)]}
    if _has_reference(fragment):
        # References would be resolved (even fetched) at validation time: schemas must be self-contained.
        return {"attribute_schema": [_("References ($ref) are not supported: write the schema out in full.")]}
    unknown = set(fragment) - ALLOWED_KEYS
    if unknown:
        return {"attribute_schema": [_("Unsupported keys: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}]}
    properties = fragment.get("properties", {})
    if not isinstance(properties, dict):
        return {"attribute_schema": [_("“properties” must be an object.")]}
    redefined = sorted(set(properties) & set(inherited.get("properties", {})))
    if redefined:
        return {
            "attribute_schema": [
                _("Inherited attributes cannot be redefined: %(names)s.") % {"names": ", ".join(redefined)}
            ]
        }
    merged = merge([inherited, fragment])
    try:
        Draft202012Validator.check_schema(merged)
    except SchemaError as exc:
        return {"attribute_schema": [_("Not a valid JSON Schema: %(error)s") % {"error": exc.message}]}
    unknown_required = [name for name in merged["required"] if name not in merged["properties"]]
    if unknown_required:
        return {
            "attribute_schema": [
                _("Required attributes are not defined: %(names)s.") % {"names": ", ".join(unknown_required)}
            ]
        }
    return {}
