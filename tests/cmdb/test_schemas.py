"""Attribute schemas: inheritance, field errors, and class changes that must not break existing CIs."""

import pytest
from django.core.exceptions import ValidationError

from cmdb import schemas
from cmdb.models import CIClass
from cmdb.services.classes import ci_class_create, ci_class_update
from cmdb.services.items import ci_create, ci_update

from .factories import CIFactory, ci_class

pytestmark = pytest.mark.django_db


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


@pytest.fixture
def blade(configuration_manager):
    """A subclass of server (itself under hardware) that adds a required `slot`."""
    return ci_class_create(
        actor=configuration_manager,
        code="blade",
        name="Blade",
        parent=ci_class("server"),
        attribute_schema={"properties": {"slot": {"type": "integer", "minimum": 1}}, "required": ["slot"]},
    )


def test_effective_schema_merges_the_lineage_root_first(blade):
    effective = schemas.effective_schema(blade)

    assert {"manufacturer", "cpu_count", "slot"} <= set(effective["properties"])
    assert effective["required"] == ["slot"]


@pytest.mark.parametrize(
    ("attributes", "field"),
    [
        ({"slot": 2, "manufacturer": 42}, "attributes.manufacturer"),  # from hardware
        ({"slot": 2, "cpu_count": 0}, "attributes.cpu_count"),  # from server
        ({"slot": 0}, "attributes.slot"),  # its own
        ({}, "attributes.slot"),  # its own, required
    ],
)
def test_a_subclass_ci_must_satisfy_its_ancestors_and_its_own_properties(attributes, field, blade):
    with pytest.raises(ValidationError) as exc_info:
        ci_create(actor=None, name="blade-1", ci_class=blade, attributes=attributes)

    assert set(errors_of(exc_info)) == {field}


def test_a_subclass_ci_with_valid_attributes_is_accepted(blade):
    ci = ci_create(
        actor=None,
        name="blade-1",
        ci_class=blade,
        attributes={"slot": 3, "cpu_count": 2, "manufacturer": "HPE"},
    )

    assert ci.attributes["slot"] == 3


@pytest.mark.parametrize(
    ("code", "attributes", "field", "message"),
    [
        ("server", {"cpu_count": "four"}, "attributes.cpu_count", "Must be of type integer."),
        ("server", {"cpu_count": 0}, "attributes.cpu_count", "Must be at least 1."),
        ("server", {"ip_address": "10.0.0.300"}, "attributes.ip_address", "Not a valid ipv4."),
        ("server", {"purchase_date": "31/12/2024"}, "attributes.purchase_date", "Not a valid date."),
        ("network_device", {"device_type": "modem"}, "attributes.device_type", "Must be one of:"),
        ("database", {"port": 70000}, "attributes.port", "Must be at most 65535."),
        ("location", {"country": "France"}, "attributes.country", "Does not match the pattern"),
        ("application", {"url": "ftp://x"}, "attributes.url", "Does not match the pattern"),
    ],
)
def test_attribute_errors_are_keyed_by_attribute(code, attributes, field, message):
    errors = schemas.attribute_errors(schemas.effective_schema(ci_class(code)), attributes)

    assert list(errors) == [field]
    assert errors[field][0].startswith(message)


@pytest.mark.parametrize("attributes", [[], "text", 3, None])
def test_attributes_must_be_an_object(attributes):
    assert schemas.attribute_errors(schemas.effective_schema(ci_class("server")), attributes) == {
        "attributes": ["Must be a JSON object."]
    }


def test_closed_schema_refuses_unknown_attributes(configuration_manager):
    closed = ci_class_create(
        actor=configuration_manager,
        code="closed",
        name="Closed",
        attribute_schema={"properties": {"a": {"type": "string"}}, "additionalProperties": False},
    )

    errors = schemas.attribute_errors(schemas.effective_schema(closed), {"a": "x", "b": 1})

    assert errors == {"attributes.b": ["Unknown attribute for this class."]}


@pytest.mark.parametrize("inherited", ["manufacturer", "cpu_count"])
def test_redefining_an_inherited_property_is_refused(inherited, blade, configuration_manager):
    with pytest.raises(ValidationError) as exc_info:
        ci_class_create(
            actor=configuration_manager,
            code="micro",
            name="Micro",
            parent=blade,
            attribute_schema={"properties": {inherited: {"type": "integer"}}},
        )

    assert inherited in errors_of(exc_info)["attribute_schema"][0]
    assert not CIClass.objects.filter(code="micro").exists()


@pytest.mark.parametrize(
    "fragment",
    [
        {"properties": {"x": {"type": "nonsense"}}},
        {"required": ["undefined_attribute"]},
        {"anyOf": [{"type": "object"}]},
        {"properties": []},
        ["not", "an", "object"],
    ],
)
def test_invalid_schema_fragments_are_refused(fragment, configuration_manager):
    with pytest.raises(ValidationError) as exc_info:
        ci_class_create(actor=configuration_manager, code="odd", name="Odd", attribute_schema=fragment)

    assert "attribute_schema" in errors_of(exc_info)


def test_a_schema_change_that_would_invalidate_existing_cis_is_refused(configuration_manager):
    CIFactory(name="srv-without-rack")
    server = ci_class("server")
    new_fragment = {**server.attribute_schema, "required": ["operating_system"]}

    with pytest.raises(ValidationError) as exc_info:
        ci_class_update(ci_class=server, actor=configuration_manager, attribute_schema=new_fragment)

    assert "srv-without-rack" in errors_of(exc_info)["attribute_schema"][0]
    server.refresh_from_db()
    assert "required" not in server.attribute_schema


def test_a_parent_schema_change_is_checked_against_subclass_cis(blade, configuration_manager):
    CIFactory(name="blade-1", ci_class=blade, attributes={"slot": 1, "model": "BL460c"})
    hardware = ci_class("hardware")
    properties = {**hardware.attribute_schema["properties"], "model": {"type": "integer"}}

    with pytest.raises(ValidationError) as exc_info:
        ci_class_update(
            ci_class=hardware, actor=configuration_manager, attribute_schema={"properties": properties}
        )

    assert "blade-1" in errors_of(exc_info)["attribute_schema"][0]


def test_a_parent_cannot_add_a_property_a_subclass_already_defines(blade, configuration_manager):
    hardware = ci_class("hardware")
    properties = {**hardware.attribute_schema["properties"], "slot": {"type": "string"}}

    with pytest.raises(ValidationError) as exc_info:
        ci_class_update(
            ci_class=hardware, actor=configuration_manager, attribute_schema={"properties": properties}
        )

    assert "blade" in errors_of(exc_info)["attribute_schema"][0]


def test_a_compatible_schema_change_is_applied_and_then_enforced(configuration_manager):
    ci = CIFactory(name="srv-01", attributes={"cpu_count": 2})
    server = ci_class("server")
    properties = {**server.attribute_schema["properties"], "rack": {"type": "string"}}

    ci_class_update(ci_class=server, actor=configuration_manager, attribute_schema={"properties": properties})

    with pytest.raises(ValidationError) as exc_info:
        ci_update(ci=ci, actor=configuration_manager, attributes={"cpu_count": 2, "rack": 7})
    assert set(errors_of(exc_info)) == {"attributes.rack"}


def test_moving_a_class_moves_its_subtree(blade, configuration_manager):
    micro = ci_class_create(actor=configuration_manager, code="micro", name="Micro", parent=blade)

    ci_class_update(ci_class=ci_class("server"), actor=configuration_manager, parent=ci_class("software"))

    paths = dict(CIClass.objects.filter(code__in=["server", "blade", "micro"]).values_list("code", "path"))
    assert paths == {
        "server": "/software/server/",
        "blade": "/software/server/blade/",
        "micro": "/software/server/blade/micro/",
    }
    assert "vendor" in schemas.effective_schema(CIClass.objects.get(pk=micro.pk))["properties"]


@pytest.mark.parametrize("new_parent", ["server", "blade"])
def test_a_class_cannot_move_under_itself_or_its_subclasses(new_parent, blade, configuration_manager):
    target = blade if new_parent == "blade" else ci_class("server")

    with pytest.raises(ValidationError) as exc_info:
        ci_class_update(ci_class=ci_class("server"), actor=configuration_manager, parent=target)

    assert "parent" in errors_of(exc_info)


def test_a_move_that_would_invalidate_cis_is_refused(configuration_manager):
    # `manufacturer` comes from hardware; under a closed class without it, it becomes unknown.
    CIFactory(name="srv-01", attributes={"cpu_count": 2, "manufacturer": "Dell"})
    closed = ci_class_create(
        actor=configuration_manager,
        code="closed",
        name="Closed",
        attribute_schema={"additionalProperties": False},
    )

    with pytest.raises(ValidationError):
        ci_class_update(ci_class=ci_class("server"), actor=configuration_manager, parent=closed)

    assert ci_class("server").path == "/hardware/server/"


def test_a_class_code_cannot_change(configuration_manager):
    with pytest.raises(ValidationError) as exc_info:
        ci_class_update(ci_class=ci_class("server"), actor=configuration_manager, code="host")

    assert "code" in errors_of(exc_info)


@pytest.mark.parametrize("reference", ["#/nowhere", "http://127.0.0.1:9/schema.json"])
def test_references_in_a_schema_fragment_are_refused(reference, configuration_manager):
    with pytest.raises(ValidationError) as exc_info:
        ci_class_create(
            actor=configuration_manager,
            code="linked",
            name="Linked",
            attribute_schema={"properties": {"x": {"$ref": reference}}},
        )

    assert "attribute_schema" in errors_of(exc_info)
