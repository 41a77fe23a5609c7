"""Input the database or a validator cannot take is a 400 on every page and endpoint, never a 500:
NUL characters (PostgreSQL stores none in text or jsonb) and JSON nested too deeply (stack exhaustion)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cmdb.models import ConfigurationItem, ImportJob
from cmdb.schemas import attribute_errors, fragment_errors
from servicedesk import roles
from servicedesk.inputs import MAX_JSON_DEPTH, has_null_character, json_too_deep

from .api.helpers import assert_error
from .cmdb.factories import ci_class
from .factories import UserFactory

pytestmark = pytest.mark.django_db

NUL_MESSAGE = "Null characters are not allowed."
# Deep enough to exhaust the stack in JSON Schema validation, shallow enough for json.loads.
DEEP = 330
# Deep enough to exhaust the stack in json.loads itself.
DEEPER = 3000


def nested(depth: int):
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


def nested_text(depth: int) -> str:
    return "[" * depth + '"x"' + "]" * depth


@pytest.fixture
def desk_user(client):
    """Someone who sees the workspace, the queue and the CMDB, and may edit the CMDB."""
    user = UserFactory(roles=[roles.AGENT, roles.CONFIGURATION_MANAGER])
    client.force_login(user)
    return user


# NUL characters in pages


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/cmdb/cis/search/?q=%00", "q"),
        ("/cmdb/?q=a%00b&status=", "q"),
        ("/cmdb/?ci_class=%00", "ci_class"),
        ("/desk/queue/?q=%00", "q"),
        ("/desk/queue/?view=open&service=1%00", "service"),
        ("/desk/requesters/?q=%00", "q"),
        ("/desk/jump/?number=INC%00", "number"),
        ("/cmdb/cis/search/?q%00=x", "q\\x00"),
        ("/records/INC%00/", None),
    ],
)
def test_a_nul_character_in_a_page_address_is_a_400_naming_the_field(client, desk_user, url, field):
    response = client.get(url)

    page = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="error-page"' in page
    if field is None:
        assert "The address holds a null character." in page
    else:
        assert f"<code>{field}</code>: {NUL_MESSAGE}" in page


def test_a_nul_character_in_a_posted_form_is_a_400_and_changes_nothing(client, desk_user):
    response = client.post(
        "/cmdb/cis/new/", {"ci_class": ci_class("server").pk, "name": "lon\x00-01", "status": "planned"}
    )

    assert response.status_code == 400
    assert f"<code>name</code>: {NUL_MESSAGE}" in response.content.decode()
    assert not ConfigurationItem.objects.exists()


def test_a_nul_character_in_a_multipart_form_is_a_400(client, desk_user):
    upload = SimpleUploadedFile("estate.csv", b"class,name\nserver,a\n", content_type="text/csv")

    response = client.post("/cmdb/import/", {"kind": "cis\x00", "file": upload})

    assert response.status_code == 400
    assert not ImportJob.objects.exists()


# NUL characters in the API


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/cis/?q=%00", "q"),
        ("/api/v1/incidents/?q=%00", "q"),
        ("/api/v1/incidents/?status=new&assignee=%00", "assignee"),
        ("/api/v1/users/?q%00=1", "q\\x00"),
    ],
)
def test_a_nul_character_in_a_query_parameter_is_an_api_field_error(client, desk_user, url, field):
    body = assert_error(client.get(url), 400, "validation_error")

    assert body["fields"] == {field: [NUL_MESSAGE]}


def test_a_nul_character_in_an_api_path_is_a_400(client, desk_user):
    assert_error(client.get("/api/v1/incidents/INC%00/"), 400, "bad_request")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "srv", "ci_class": "server", "attributes": {"note": "a\x00"}}, "attributes"),
        ({"name": "srv", "ci_class": "server", "attributes": {"a\x00": 1}}, "attributes"),
        ({"name": "srv", "ci_class": "server", "unknown": ["\x00"]}, "unknown"),
    ],
)
def test_a_nul_character_anywhere_in_a_json_body_is_a_field_error(api_as, desk_user, body, field):
    response = api_as(desk_user).post("/api/v1/cis/", body, format="json")

    assert assert_error(response, 400, "validation_error")["fields"] == {field: [NUL_MESSAGE]}
    assert not ConfigurationItem.objects.exists()


# JSON nested too deeply


@pytest.mark.parametrize("depth", [DEEP, DEEPER])
def test_api_json_nested_too_deeply_is_a_400(api_as, desk_user, depth):
    body = '{"name": "srv", "ci_class": "server", "attributes": {"deep": ' + nested_text(depth) + "}}"

    response = api_as(desk_user).post("/api/v1/cis/", body, content_type="application/json")

    error = assert_error(response, 400, "parse_error")
    assert f"more than {MAX_JSON_DEPTH} levels" in error["message"]
    assert not ConfigurationItem.objects.exists()


def test_api_json_as_deep_as_allowed_is_accepted(api_as, desk_user):
    attributes = {"deep": nested(MAX_JSON_DEPTH - 2)}  # the body and attributes are two levels

    response = api_as(desk_user).post(
        "/api/v1/cis/", {"name": "srv", "ci_class": "server", "attributes": attributes}, format="json"
    )

    assert response.status_code == 201, response.content
    assert ConfigurationItem.objects.get().attributes == attributes


@pytest.mark.parametrize("depth", [DEEP, DEEPER])
def test_ci_form_attributes_nested_too_deeply_are_a_field_error(client, desk_user, depth):
    form = {"ci_class": ci_class("server").pk, "name": "srv", "status": "planned", "environment": ""}

    # The raw JSON editor (the form generated from the schema is the default: issue 19).
    response = client.post(
        "/cmdb/cis/new/", {**form, "editor": "json", "attributes": '{"deep": ' + nested_text(depth) + "}"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["attributes"] == [
        f"JSON nested more than {MAX_JSON_DEPTH} levels deep is not accepted."
    ]
    assert not ConfigurationItem.objects.exists()


def test_class_form_schema_nested_too_deeply_is_a_field_error(client, desk_user):
    schema = {"properties": {"deep": {"type": "array", "items": nested(DEEP)}}}

    response = client.post(
        "/cmdb/classes/new/",
        {"code": "deep", "name": "Deep", "parent": "", "attribute_schema": json.dumps(schema)},
    )

    assert response.status_code == 400
    assert "attribute_schema" in response.context["form"].errors


def test_validators_refuse_deep_json_instead_of_running_out_of_stack():
    assert attribute_errors({"type": "object"}, {"deep": nested(DEEP)}) == {
        "attributes": [f"JSON nested more than {MAX_JSON_DEPTH} levels deep is not accepted."]
    }
    assert "attribute_schema" in fragment_errors({"properties": {"x": nested(DEEP)}}, {})


def test_a_csv_import_with_deep_json_cells_reports_the_rows_instead_of_failing(client, desk_user):
    text = f"class,name,attr.deep\nserver,a,{nested_text(DEEP)}\nserver,b,{nested_text(DEEPER)}\n"
    upload = SimpleUploadedFile("deep.csv", text.encode(), content_type="text/csv")

    response = client.post("/cmdb/import/", {"kind": "cis", "file": upload})

    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert (job.created, job.rejected) == (1, 1)
    # Too deep to hold as JSON: refused; too deep even to parse: kept as the text it is.
    assert job.rows.get(number=1).errors == {
        "attributes": [f"JSON nested more than {MAX_JSON_DEPTH} levels deep is not accepted."]
    }
    assert ConfigurationItem.objects.get(name="b").attributes == {"deep": nested_text(DEEPER)}


def test_the_walks_are_iterative_and_exact():
    deep = nested(5000)

    assert json_too_deep(deep)
    assert not json_too_deep(nested(MAX_JSON_DEPTH - 1))  # the string inside is not a level
    assert json_too_deep(nested(MAX_JSON_DEPTH + 1))
    assert not has_null_character(deep)
    assert has_null_character([deep, {"k": ["\x00"]}])
    assert has_null_character({"\x00": 1})
