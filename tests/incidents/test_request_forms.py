"""Catalogue forms: a request type's JSON Schema (the documented subset) is checked when saved, and a
request's answers are checked against it by the service (portal and API alike)."""

import pytest
from django.core.exceptions import ValidationError

from cmdb.models import ConfigurationItem
from incidents.models import Incident
from incidents.request_forms import form_answers_display, form_answers_errors, form_fields, form_schema_errors

from ..factories import UserFactory
from .fulfilment import LAPTOP_SCHEMA, answers, file_laptop, laptop_type


def test_the_laptop_schema_is_valid_and_its_fields_keep_their_order():
    assert form_schema_errors(LAPTOP_SCHEMA) == {}
    assert form_schema_errors({}) == {}
    fields = form_fields(LAPTOP_SCHEMA)
    assert [f.name for f in fields] == LAPTOP_SCHEMA["x-order"]
    assert [f.kind for f in fields] == ["choice", "date", "text", "user", "text", "number", "boolean"]
    assert fields[4].multiline
    assert not fields[2].multiline
    assert [f.required for f in fields][:5] == [True, True, True, True, False]


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        ([], "Must be a JSON object"),
        ({"type": "array"}, "must be “object”"),
        ({"properties": {}, "allOf": []}, "Unsupported keys: allOf"),
        ({"properties": {"a": {"$ref": "#/x"}}}, "not a supported field"),
        ({"properties": {"a": {"type": "string", "pattern": "x"}}}, "unsupported keywords pattern"),
        ({"properties": {"a": {"type": "object"}}}, "not a supported field"),
        ({"properties": {"A b": {"type": "string"}}}, "field name"),
        ({"properties": {"a": {"type": "string", "enum": []}}}, "lists the choices"),
        ({"properties": {"a": {"type": "string", "enum": ["x", "x"]}}}, "repeat"),
        ({"properties": {"a": {"type": "string"}}, "required": ["b"]}, "not defined: b"),
        ({"properties": {"a": {"type": "string"}}, "x-order": ["a", "c"]}, "not defined: c"),
        ({"properties": {"a": {"type": "string", "maxLength": -1}}}, "Not a valid JSON Schema"),
        ({"properties": {"a": {"type": "string", "x-widget": "slider"}}}, "x-widget"),
        ({"properties": {}, "additionalProperties": True}, "additionalProperties"),
        ({"properties": {"a": {"type": "string", "title": 3}}}, "must be text"),
        ({"properties": {f"f{n}": {"type": "boolean"} for n in range(41)}}, "At most 40"),
    ],
)
def test_a_schema_outside_the_subset_is_refused_with_a_clear_message(schema, fragment):
    errors = form_schema_errors(schema)
    assert list(errors) == ["form_schema"]
    assert fragment in errors["form_schema"][0]


def test_answers_are_checked_field_by_field(db, requester):
    errors = form_answers_errors(
        LAPTOP_SCHEMA,
        {"model": "Gaming 18", "needed_by": "next week", "cost_centre": "C1", "ram_gb": 4, "colour": "red"},
    )
    assert errors == {
        "form_data.model": ["Choose one of: Standard 14, Developer 16."],
        "form_data.needed_by": ["Not a valid date."],
        "form_data.cost_centre": ["Must be at least 4 characters long."],
        "form_data.ram_gb": ["Must be at least 8."],
        "form_data.for_whom": ["This field is required."],
        "form_data.colour": ["This form has no such field."],
    }
    assert form_answers_errors(LAPTOP_SCHEMA, answers(requester)) == {}
    assert form_answers_errors(LAPTOP_SCHEMA, []) == {"form_data": ["Must be a JSON object."]}


def test_a_person_field_takes_only_an_active_person(db, requester):
    gone = UserFactory(username="gone", is_active=False)
    errors = form_answers_errors(LAPTOP_SCHEMA, answers(requester, for_whom=gone.pk))
    assert errors == {"form_data.for_whom": ["Choose an active person."]}
    errors = form_answers_errors(LAPTOP_SCHEMA, answers(requester, for_whom=10**9))
    assert errors == {"form_data.for_whom": ["Choose an active person."]}


def test_a_ci_field_takes_an_existing_ci_of_its_class(db, service):
    schema = {"properties": {"device": {"type": "integer", "format": "ci", "x-ci-class": "/hardware/"}}}
    assert form_schema_errors(schema) == {}
    assert form_answers_errors(schema, {"device": service.pk}) == {
        "form_data.device": ["Choose a configuration item from the list."]
    }
    any_class = {"properties": {"device": {"type": "integer", "format": "ci"}}}
    assert form_answers_errors(any_class, {"device": service.pk}) == {}
    assert ConfigurationItem.objects.filter(pk=service.pk).exists()


def test_filing_keeps_the_checked_answers_and_refuses_wrong_ones(db, requester, service, support_group):
    laptop = laptop_type(service, groups=[])
    with pytest.raises(ValidationError) as refused:
        file_laptop(requester, laptop, form_data=answers(requester, model="Gaming 18"))
    assert refused.value.message_dict == {"form_data.model": ["Choose one of: Standard 14, Developer 16."]}
    assert not Incident.objects.exists()

    record = file_laptop(requester, laptop)
    assert Incident.objects.get(pk=record.pk).form_data == answers(requester)


def test_a_type_without_a_form_refuses_answers(db, requester, request_type):
    with pytest.raises(ValidationError) as refused:
        file_laptop(requester, request_type, form_data={"model": "x"})
    assert "form_data" in refused.value.message_dict


def test_answers_are_shown_with_labels_and_names(db, requester):
    shown = form_answers_display(LAPTOP_SCHEMA, answers(requester, docking=True, gone_field="old"))
    assert [(a["label"], a["value"]) for a in shown] == [
        ("Model", "Developer 16"),
        ("Needed by", "2027-01-15"),
        ("Cost centre", "CC-1234"),
        ("For whom", requester.get_full_name()),
        ("Docking station", "Yes"),
        ("gone_field", "old"),
    ]


def test_a_request_filed_without_the_form_keeps_no_answers_and_checks_none(db, agent, requester, service):
    """An e-mail, or an agent recording a caller's request, puts no form to anyone."""
    laptop = laptop_type(service, groups=[])
    record = file_laptop(agent, laptop, form_data=None, requester=requester)
    assert record.form_data == {}
    with pytest.raises(ValidationError) as refused:
        file_laptop(requester, laptop, form_data={})
    assert set(refused.value.message_dict) == {f"form_data.{name}" for name in LAPTOP_SCHEMA["required"]}
