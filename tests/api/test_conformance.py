"""The API accepts what its schema documents and answers as it documents (issue 12, item 18).

Each test here is a mismatch schemathesis found between the API and its OpenAPI schema; the fuzz in
test_schema.py now fails on any such mismatch, and tests/conformance.py holds every API answer of the
suite to the schema.
"""

import json

import pytest
from django.http import JsonResponse
from django.test import override_settings
from rest_framework.test import APIClient

from tests.cmdb.factories import CIFactory
from tests.conformance import Conformance

from .helpers import assert_error

USERS = "/api/v1/users/"
INCIDENTS = "/api/v1/incidents/"


@pytest.fixture
def openapi(db) -> dict:
    return json.loads(APIClient().get("/api/schema/", {"format": "json"}).content)


def schema_of(openapi: dict, reference: str) -> dict:
    return openapi["components"]["schemas"][reference.rsplit("/", 1)[-1]]


@pytest.mark.parametrize("page_size", ["0", "-1", "abc", "2.5", "true", "", "201", "1" + "0" * 30, "١٠"])
def test_a_page_size_the_schema_does_not_allow_is_a_400(page_size, agent, api_as):
    body = assert_error(api_as(agent).get(USERS, {"page_size": page_size}), 400, "validation_error")

    assert list(body["fields"]) == ["page_size"]


def test_the_schema_bounds_page_size_and_documents_the_400_and_404_of_every_list(openapi):
    lists = [
        (path, item["get"])
        for path, item in openapi["paths"].items()
        if "get" in item and any(p["name"] == "cursor" for p in item["get"].get("parameters", []))
    ]

    assert len(lists) >= 20
    for path, operation in lists:
        page_size = next(p for p in operation["parameters"] if p["name"] == "page_size")
        assert page_size["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}, path
        assert {"400", "404"} <= set(operation["responses"]), path


@pytest.mark.parametrize(
    "value", ["2026-01-01", "2026-01-01T10:00", "2026-01-01T10:00:00Z", "2026-01-01T10:00+02:00"]
)
def test_a_date_filter_takes_a_date_or_a_date_time(value, agent, api_as):
    assert api_as(agent).get(INCIDENTS, {"created_after": value}).status_code == 200


@pytest.mark.parametrize("value", ["20260101", "2026-01-01T10", "yesterday", "2026-01-01T10:00:00+02:00junk"])
def test_a_date_filter_refuses_what_its_pattern_does_not_match(value, agent, api_as):
    body = assert_error(api_as(agent).get(INCIDENTS, {"created_after": value}), 400, "validation_error")

    assert list(body["fields"]) == ["created_after"]


def test_the_schema_documents_the_date_filters_pattern(openapi):
    parameters = openapi["paths"]["/api/v1/incidents/"]["get"]["parameters"]
    created_after = next(p for p in parameters if p["name"] == "created_after")

    assert created_after["schema"]["pattern"].startswith("^[0-9]{4}-[0-9]{2}-[0-9]{2}")
    assert "format" not in created_after["schema"]


def test_an_empty_filter_is_no_filter_and_documented_so(openapi, agent, api_as):
    parameters = openapi["paths"]["/api/v1/incidents/"]["get"]["parameters"]
    single = [p for p in parameters if p["name"] in ("category", "created_after", "q", "sla_breached")]
    listed = next(p for p in parameters if p["name"] == "status")

    assert len(single) == 4
    assert all(p.get("allowEmptyValue") is True for p in single), single
    assert "allowEmptyValue" not in listed
    for parameter in single:
        assert api_as(agent).get(INCIDENTS, {parameter["name"]: ""}).status_code == 200, parameter
    assert assert_error(api_as(agent).get(INCIDENTS, {"status": ""}), 400)["fields"].keys() == {"status"}


def test_an_empty_import_outcome_is_refused(administrator, api_as):
    job = api_as(administrator).post("/api/v1/cis/import/", {"rows": [{"name": "x"}]}).json()

    response = api_as(administrator).get(f"/api/v1/imports/{job['id']}/rows/", {"outcome": ""})

    assert assert_error(response, 400)["fields"] == {"outcome": ["Not a known outcome."]}


@pytest.mark.parametrize("value", [123, 4.5])
def test_a_json_number_is_not_a_string(value, requester, api_as):
    body = assert_error(api_as(requester).patch("/api/v1/me/", {"full_name": value}), 400, "validation_error")

    assert body["fields"] == {"full_name": ["Not a valid string."]}
    requester.refresh_from_db()
    assert requester.full_name != str(value)


def test_a_form_encoded_body_is_refused_with_415(requester, api_as):
    response = api_as(requester).post(
        INCIDENTS, "title=Printer&description=Jammed", content_type="application/x-www-form-urlencoded"
    )

    assert_error(response, 415)


def test_the_schema_offers_json_for_writes_and_multipart_only_where_files_go(openapi):
    create = openapi["paths"]["/api/v1/incidents/"]["post"]["requestBody"]["content"]
    attach = openapi["paths"]["/api/v1/incidents/{number}/attachments/"]["post"]["requestBody"]["content"]

    assert set(create) == {"application/json"}
    assert set(attach) == {"multipart/form-data"}
    assert set(openapi["paths"]["/api/v1/me/"]["patch"]["requestBody"]["content"]) == {"application/json"}


def test_an_empty_relation_is_refused_rather_than_read_as_null(administrator, api_as):
    response = api_as(administrator).post(
        "/api/v1/ci-classes/", {"code": "rack", "name": "Rack", "parent": ""}
    )

    body = assert_error(response, 400, "validation_error")
    assert body["fields"] == {"parent": ["This field may not be blank."]}


def test_an_empty_impact_direction_is_refused(agent, api_as):
    ci = CIFactory()

    body = assert_error(api_as(agent).get(f"/api/v1/cis/{ci.pk}/impact/", {"direction": ""}), 400)

    assert list(body["fields"]) == ["direction"]


@override_settings(DEBUG=True)
def test_a_nul_in_a_query_answers_json_even_under_debug(agent, api_as):
    body = assert_error(api_as(agent).get(USERS, {"q": "a\x00b"}), 400, "validation_error")

    assert list(body["fields"]) == ["q"]


def test_uploading_files_answers_a_plain_list_in_the_schema(openapi):
    operation = openapi["paths"]["/api/v1/incidents/{number}/attachments/"]["post"]
    schema = operation["responses"]["201"]["content"]["application/json"]["schema"]

    assert schema["type"] == "array"
    assert not any(p["name"] in ("cursor", "page_size") for p in operation.get("parameters", []))


def test_a_download_is_documented_with_any_media_type(openapi):
    operation = openapi["paths"]["/api/v1/incidents/{number}/attachments/{attachment_id}/"]["get"]

    assert list(operation["responses"]["200"]["content"]) == ["*/*"]


def test_the_idempotency_key_header_documents_what_is_accepted(openapi):
    operation = openapi["paths"]["/api/v1/incidents/"]["post"]
    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")

    assert header["schema"] == {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"}


def test_the_schema_takes_unicode_usernames_and_blank_addresses(openapi):
    user = schema_of(openapi, "User")
    summary = schema_of(openapi, "UserSummary")

    assert "pattern" not in user["properties"]["username"]  # Python's \w is not ECMA's
    assert summary["properties"]["email"]["oneOf"][1] == {"type": "string", "maxLength": 0}  # "" if none


def test_a_replayed_token_creation_documents_its_null_key(openapi):
    key = schema_of(openapi, "ApiTokenCreated")["properties"]["key"]

    assert key["nullable"] is True


@pytest.mark.parametrize(
    ("path", "response", "says"),
    [
        (USERS, JsonResponse({"code": "teapot", "message": "", "fields": {}}, status=418), "not documented"),
        ("/api/v1/me/", JsonResponse({"id": "not a number"}), "required property"),
        ("/api/v1/me/", JsonResponse([], safe=False), "is not of type"),
        ("/api/v1/no-such-thing/", JsonResponse({}), "no documented operation"),
    ],
)
def test_the_conformance_check_reports_what_the_schema_does_not_document(
    path, response, says, openapi_schema
):
    conformance = Conformance(schema=openapi_schema)

    conformance.check("GET", path, response)

    assert conformance.mismatches
    assert says in conformance.mismatches[0], conformance.mismatches


def test_the_conformance_check_passes_a_documented_answer(openapi_schema):
    conformance = Conformance(schema=openapi_schema)

    conformance.check(
        "GET", USERS, JsonResponse({"code": "invalid", "message": "m", "fields": {}}, status=400)
    )

    assert conformance.mismatches == []


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        (INCIDENTS, "q=printer&q=scanner", "q"),
        (INCIDENTS, "category=1&category=2", "category"),
        (USERS, "page_size=5&page_size=10", "page_size"),
        (USERS, "cursor=a&cursor=b", "cursor"),
    ],
)
def test_a_single_valued_parameter_sent_twice_is_refused(path, params, field, agent, api_as):
    body = assert_error(api_as(agent).get(f"{path}?{params}"), 400, "validation_error")

    assert list(body["fields"]) == [field]


def test_a_list_filter_takes_its_values_repeated(agent, api_as):
    assert api_as(agent).get(f"{INCIDENTS}?status=new&status=assigned").status_code == 200
