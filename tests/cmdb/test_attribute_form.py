"""A CI's attributes edited with the form generated from its class's JSON Schema (`cmdb.attribute_forms`)."""

import datetime

import pytest
from django import forms
from django.contrib.auth.models import Permission
from django.urls import reverse

from cmdb.attribute_forms import attribute_fields, attributes_from, initial_values
from cmdb.models import CIClass
from cmdb.services.classes import ci_class_create
from cmdb.services.items import ci_create, ci_update

from ..factories import UserFactory
from ..formdata import form_data
from .factories import ci_class

SCHEMA = {
    "properties": {
        "rack": {"type": "string", "title": "Rack", "description": "Row and slot, e.g. B4-12."},
        "cores": {"type": "integer", "minimum": 1, "default": 4},
        "weight_kg": {"type": "number"},
        "tier": {"type": "string", "enum": ["gold", "silver"]},
        "level": {"enum": [1, 2, 3]},
        "virtual": {"type": "boolean"},
        "bought_on": {"type": "string", "format": "date"},
        "audited_at": {"type": "string", "format": "date-time"},
        "tags": {"type": "array"},
    },
    "required": ["rack"],
}


@pytest.fixture
def blade(db):
    return ci_class_create(
        actor=None, code="blade", name="Blade", parent=ci_class("server"), attribute_schema=SCHEMA
    )


@pytest.fixture
def server(db):
    return ci_create(
        actor=None,
        name="lon-app-01",
        ci_class=ci_class("server"),
        via="system",
        attributes={"cpu_count": 8, "legacy_id": "X-9"},
    )


def edit(client, ci, **attributes):
    """Post the CI's edit form as the page renders it, with `attributes` typed into the generated fields."""
    url = reverse("cmdb:ci_edit", args=[ci.pk])
    data = form_data(client.get(url).content, "ci-form")
    data.update({f"attr__{name}": value for name, value in attributes.items()})
    return client.post(url, data)


def test_each_type_gets_its_field_with_label_help_and_required():
    fields = attribute_fields({"type": "object", **SCHEMA, "required": ["rack"]})

    kinds = {name.removeprefix("attr__"): type(field).__name__ for name, field in fields.items()}
    assert kinds == {
        "rack": "TextAttribute",
        "cores": "IntegerAttribute",
        "weight_kg": "NumberAttribute",
        "tier": "ChoiceAttribute",
        "level": "ChoiceAttribute",
        "virtual": "BooleanAttribute",
        "bought_on": "DateAttribute",
        "audited_at": "DateTimeAttribute",
        "tags": "JSONAttribute",
    }
    assert (fields["attr__rack"].label, fields["attr__rack"].help_text) == (
        "Rack",
        "Row and slot, e.g. B4-12.",
    )
    assert fields["attr__weight_kg"].label == "Weight kg"
    assert [name for name, field in fields.items() if field.required] == ["attr__rack"]
    assert list(fields["attr__tier"].choices) == [("", "—"), ("gold", "gold"), ("silver", "silver")]
    assert isinstance(fields["attr__bought_on"].widget, forms.DateInput)
    assert fields["attr__bought_on"].widget.input_type == "date"
    # Numbers are parsed by the server, so a mistyped one comes back with its message.
    assert fields["attr__cores"].widget.input_type == "text"


def test_values_go_to_json_as_the_schema_types_them():
    fields = attribute_fields(SCHEMA)
    form = forms.Form(
        {
            "attr__rack": "B4-12",
            "attr__cores": "16",
            "attr__weight_kg": "64",
            "attr__tier": "gold",
            "attr__level": "2",
            "attr__virtual": "true",
            "attr__bought_on": "2026-03-01",
            "attr__audited_at": "",
            "attr__tags": '["edge"]',
        }
    )
    form.fields.update(fields)
    assert form.is_valid(), form.errors

    attributes = attributes_from(fields, form.cleaned_data, {"legacy": 1, "audited_at": "old"})

    assert attributes == {
        "legacy": 1,
        "rack": "B4-12",
        "cores": 16,
        "weight_kg": 64,
        "tier": "gold",
        "level": 2,
        "virtual": True,
        "bought_on": "2026-03-01",
        "tags": ["edge"],
    }


def test_a_new_ci_starts_from_the_defaults_and_an_existing_one_from_its_values():
    fields = attribute_fields(SCHEMA)
    assert initial_values(fields, None, defaults=True)["attr__cores"] == 4
    current = initial_values(fields, {"bought_on": "2026-03-01", "level": 2}, defaults=False)
    assert (current["attr__cores"], current["attr__bought_on"]) == (None, datetime.date(2026, 3, 1))
    assert fields["attr__level"].has_changed(current["attr__level"], "2") is False


def test_the_edit_page_shows_the_generated_fields_and_the_attributes_kept(
    client, configuration_manager, server
):
    client.force_login(configuration_manager)
    body = client.get(reverse("cmdb:ci_edit", args=[server.pk])).content.decode()

    assert 'name="attr__cpu_count"' in body
    assert 'value="8"' in body
    assert 'name="attributes"' not in body
    assert 'data-testid="extra-attributes"' in body
    assert "legacy_id" in body
    assert 'data-testid="attributes-as-json"' in body


def test_saving_the_generated_form_writes_the_attributes_and_keeps_the_others(
    client, configuration_manager, server
):
    client.force_login(configuration_manager)

    response = edit(client, server, cpu_count="16", memory_gb="31.5", operating_system="Debian 13")

    assert response.status_code == 302
    server.refresh_from_db()
    assert server.attributes == {
        "cpu_count": 16,
        "legacy_id": "X-9",
        "memory_gb": 31.5,
        "operating_system": "Debian 13",
    }


def test_emptying_a_field_removes_the_attribute(client, configuration_manager, server):
    client.force_login(configuration_manager)
    assert edit(client, server, cpu_count="").status_code == 302
    server.refresh_from_db()
    assert server.attributes == {"legacy_id": "X-9"}


def test_a_mistyped_integer_is_refused_with_the_fields_message(client, configuration_manager, server):
    client.force_login(configuration_manager)

    response = edit(client, server, cpu_count="twelve")

    assert response.status_code == 400
    assert response.context["form"].errors["attr__cpu_count"] == ["Enter a whole number."]
    server.refresh_from_db()
    assert server.attributes["cpu_count"] == 8


def test_the_schema_check_of_the_service_shows_on_the_field(client, configuration_manager, server):
    client.force_login(configuration_manager)

    response = edit(client, server, cpu_count="0", ip_address="not-an-ip")

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["attr__cpu_count"] == ["Must be at least 1."]
    assert errors["attr__ip_address"] == ["Not a valid ipv4."]
    server.refresh_from_db()
    assert server.attributes == {"cpu_count": 8, "legacy_id": "X-9"}


def test_a_required_attribute_left_empty_is_refused(client, configuration_manager, blade):
    client.force_login(configuration_manager)
    url = reverse("cmdb:ci_create")
    data = form_data(client.get(url, {"ci_class": blade.pk}).content, "ci-form")
    data.update({"name": "blade-01", "attr__rack": ""})

    response = client.post(url, data)

    assert response.status_code == 400
    assert response.context["form"].errors["attr__rack"] == ["This field is required."]
    data["attr__rack"] = "B4-12"
    accepted = client.post(url, data)
    assert accepted.status_code == 302, accepted.context["form"].errors
    created = CIClass.objects.get(code="blade").items.get()
    assert created.attributes == {"rack": "B4-12", "cores": 4}


def test_choosing_a_class_swaps_in_its_fields(client, configuration_manager, blade):
    client.force_login(configuration_manager)
    response = client.get(reverse("cmdb:class_attributes"), {"ci_class": blade.pk}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert "<html" not in body
    assert 'name="attr__rack"' in body
    assert 'name="attr__cpu_count"' in body  # inherited from Server
    assert '<option value="gold">' in body


def test_two_people_editing_different_attributes_both_keep_theirs(client, configuration_manager, server):
    client.force_login(configuration_manager)
    url = reverse("cmdb:ci_edit", args=[server.pk])
    mine = form_data(client.get(url).content, "ci-form")
    ci_update(ci=server, actor=configuration_manager, attributes={**server.attributes, "model": "DL380"})
    mine["attr__cpu_count"] = "12"

    assert client.post(url, mine).status_code == 302
    server.refresh_from_db()
    assert server.attributes == {"cpu_count": 12, "legacy_id": "X-9", "model": "DL380"}


def test_two_people_editing_one_attribute_is_a_412(client, configuration_manager, server):
    client.force_login(configuration_manager)
    url = reverse("cmdb:ci_edit", args=[server.pk])
    mine = form_data(client.get(url).content, "ci-form")
    ci_update(ci=server, actor=configuration_manager, attributes={**server.attributes, "cpu_count": 16})
    mine["attr__cpu_count"] = "32"

    response = client.post(url, mine)

    assert response.status_code == 412
    assert 'data-testid="conflict-attr__cpu_count"' in response.content.decode()
    server.refresh_from_db()
    assert server.attributes["cpu_count"] == 16


def test_the_json_editor_is_only_for_those_who_write_schemas(client, organisation, server):
    editor = UserFactory(username="ci-editor", roles=["Agent"], organisation=organisation)
    editor.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_configurationitem", "view_configurationitem"])
    )
    client.force_login(editor)
    url = reverse("cmdb:ci_edit", args=[server.pk])

    body = client.get(url, {"editor": "json"}).content.decode()

    assert 'name="attributes"' not in body
    assert 'name="attr__cpu_count"' in body
    assert 'data-testid="attributes-as-json"' not in body


def test_a_schema_writer_gets_the_json_editor(client, configuration_manager, server):
    client.force_login(configuration_manager)
    body = client.get(reverse("cmdb:ci_edit", args=[server.pk]), {"editor": "json"}).content.decode()
    assert 'name="attributes"' in body
    assert 'name="editor" value="json"' in body
    assert 'name="attr__cpu_count"' not in body


def test_the_default_classes_attributes_have_translatable_labels():
    from cmdb.defaults import ATTRIBUTE_LABELS, CLASSES

    shipped = {name for _c, _n, _p, schema in CLASSES for name in (schema or {}).get("properties", {})}
    assert shipped <= set(ATTRIBUTE_LABELS)
    fields = attribute_fields(
        {"properties": {"cpu_count": {"type": "integer"}, "rack_unit": {"type": "string"}}}
    )
    assert fields["attr__cpu_count"].label == ATTRIBUTE_LABELS["cpu_count"]
    assert str(fields["attr__cpu_count"].label) == "CPU count"
    assert fields["attr__rack_unit"].label == "Rack unit"
