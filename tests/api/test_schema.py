"""The OpenAPI schema, the offline docs page, and a short fuzz of the whole API from the schema."""

import json
import re
from html.parser import HTMLParser

import pytest
import schemathesis
import yaml
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from itsm.wsgi import application

ENDPOINTS = {
    ("get", "/api/v1/webhooks/"),
    ("post", "/api/v1/webhooks/"),
    ("get", "/api/v1/webhooks/events/"),
    ("get", "/api/v1/webhooks/{id}/"),
    ("patch", "/api/v1/webhooks/{id}/"),
    ("delete", "/api/v1/webhooks/{id}/"),
    ("post", "/api/v1/webhooks/{id}/rotate-secret/"),
    ("get", "/api/v1/webhooks/{id}/deliveries/"),
    ("post", "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver/"),
    ("get", "/api/v1/me/"),
    ("patch", "/api/v1/me/"),
    ("get", "/api/v1/me/tokens/"),
    ("post", "/api/v1/me/tokens/"),
    ("delete", "/api/v1/me/tokens/{id}/"),
    ("get", "/api/v1/users/"),
    ("post", "/api/v1/users/"),
    ("get", "/api/v1/users/{id}/"),
    ("patch", "/api/v1/users/{id}/"),
    ("get", "/api/v1/organisations/"),
    ("post", "/api/v1/organisations/"),
    ("get", "/api/v1/organisations/{id}/"),
    ("patch", "/api/v1/organisations/{id}/"),
    ("get", "/api/v1/support-groups/"),
    ("post", "/api/v1/support-groups/"),
    ("get", "/api/v1/support-groups/{id}/"),
    ("patch", "/api/v1/support-groups/{id}/"),
    ("post", "/api/v1/support-groups/{id}/members/"),
    ("delete", "/api/v1/support-groups/{id}/members/{user_id}/"),
    ("get", "/api/v1/audit-events/"),
    ("get", "/api/v1/audit-events/{id}/"),
    ("get", "/api/v1/incidents/"),
    ("post", "/api/v1/incidents/"),
    ("get", "/api/v1/incidents/{number}/"),
    ("patch", "/api/v1/incidents/{number}/"),
    ("get", "/api/v1/incidents/{number}/comments/"),
    ("post", "/api/v1/incidents/{number}/comments/"),
    ("get", "/api/v1/incidents/{number}/timeline/"),
    ("get", "/api/v1/incidents/{number}/attachments/"),
    ("post", "/api/v1/incidents/{number}/attachments/"),
    ("get", "/api/v1/incidents/{number}/attachments/{attachment_id}/"),
    ("get", "/api/v1/incidents/{number}/transitions/"),
    ("post", "/api/v1/incidents/{number}/transitions/"),
    ("post", "/api/v1/incidents/{number}/parent/"),
    ("post", "/api/v1/incidents/{number}/merge/"),
    ("post", "/api/v1/incidents/{number}/major/"),
    ("post", "/api/v1/incidents/{number}/rating/"),
    ("get", "/api/v1/requests/"),
    ("post", "/api/v1/requests/"),
    ("get", "/api/v1/requests/{number}/"),
    ("patch", "/api/v1/requests/{number}/"),
    ("get", "/api/v1/requests/{number}/comments/"),
    ("post", "/api/v1/requests/{number}/comments/"),
    ("get", "/api/v1/requests/{number}/timeline/"),
    ("get", "/api/v1/requests/{number}/attachments/"),
    ("post", "/api/v1/requests/{number}/attachments/"),
    ("get", "/api/v1/requests/{number}/attachments/{attachment_id}/"),
    ("get", "/api/v1/requests/{number}/transitions/"),
    ("post", "/api/v1/requests/{number}/transitions/"),
    ("post", "/api/v1/requests/{number}/parent/"),
    ("post", "/api/v1/requests/{number}/merge/"),
    ("post", "/api/v1/requests/{number}/major/"),
    ("post", "/api/v1/requests/{number}/rating/"),
    ("get", "/api/v1/problems/"),
    ("post", "/api/v1/problems/"),
    ("post", "/api/v1/problems/from-incidents/"),
    ("get", "/api/v1/problems/{number}/"),
    ("patch", "/api/v1/problems/{number}/"),
    ("get", "/api/v1/problems/{number}/comments/"),
    ("post", "/api/v1/problems/{number}/comments/"),
    ("get", "/api/v1/problems/{number}/timeline/"),
    ("get", "/api/v1/problems/{number}/attachments/"),
    ("post", "/api/v1/problems/{number}/attachments/"),
    ("get", "/api/v1/problems/{number}/transitions/"),
    ("post", "/api/v1/problems/{number}/transitions/"),
    ("get", "/api/v1/problems/{number}/links/"),
    ("post", "/api/v1/problems/{number}/links/"),
    ("delete", "/api/v1/problems/{number}/links/{link_type}/{other}/"),
    ("get", "/api/v1/problems/{number}/incidents/"),
    ("post", "/api/v1/problems/{number}/incidents/"),
    ("post", "/api/v1/problems/{number}/known-error/"),
    ("get", "/api/v1/known-errors/"),
    ("get", "/api/v1/known-errors/{id}/"),
    ("patch", "/api/v1/known-errors/{id}/"),
    ("post", "/api/v1/known-errors/{id}/publish/"),
    ("post", "/api/v1/known-errors/{id}/apply/"),
    ("get", "/api/v1/knowledge/articles/"),
    ("post", "/api/v1/knowledge/articles/"),
    ("get", "/api/v1/knowledge/articles/{number}/"),
    ("patch", "/api/v1/knowledge/articles/{number}/"),
    ("post", "/api/v1/knowledge/articles/{number}/transition/"),
    ("get", "/api/v1/changes/"),
    ("post", "/api/v1/changes/"),
    ("get", "/api/v1/changes/{number}/"),
    ("patch", "/api/v1/changes/{number}/"),
    ("get", "/api/v1/changes/{number}/comments/"),
    ("post", "/api/v1/changes/{number}/comments/"),
    ("get", "/api/v1/changes/{number}/timeline/"),
    ("get", "/api/v1/changes/{number}/attachments/"),
    ("post", "/api/v1/changes/{number}/attachments/"),
    ("get", "/api/v1/changes/{number}/transitions/"),
    ("post", "/api/v1/changes/{number}/transitions/"),
    ("get", "/api/v1/changes/{number}/links/"),
    ("post", "/api/v1/changes/{number}/links/"),
    ("get", "/api/v1/changes/{number}/approvals/"),
    ("post", "/api/v1/changes/{number}/review/"),
    ("post", "/api/v1/changes/{number}/complete/"),
    ("get", "/api/v1/standard-changes/"),
    ("post", "/api/v1/standard-changes/"),
    ("get", "/api/v1/standard-changes/{id}/"),
    ("patch", "/api/v1/standard-changes/{id}/"),
    ("get", "/api/v1/services/"),
    ("get", "/api/v1/request-types/"),
    ("get", "/api/v1/categories/"),
    ("get", "/api/v1/priority-matrix/"),
}
HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


@pytest.fixture
def openapi(db) -> dict:
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return json.loads(response.content)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method, path, operation


def test_schema_is_served_as_yaml_and_json_and_is_valid_openapi(openapi, db):
    as_yaml = APIClient().get("/api/schema/")

    assert as_yaml.status_code == 200
    assert as_yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(as_yaml.content) == openapi
    assert openapi["openapi"].startswith("3.")
    assert openapi["info"]["title"] == "ITSM Service Desk API"
    validate_schema(openapi)


def test_schema_documents_every_foundation_endpoint(openapi):
    documented = {(method, path) for method, path, _op in operations(openapi)}

    assert documented >= ENDPOINTS, ENDPOINTS - documented


def test_schema_documents_the_token_scheme_on_every_operation(openapi):
    assert openapi["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token, created on the profile page or at /api/v1/me/tokens/.",
    }
    for method, path, operation in operations(openapi):
        assert {"tokenAuth": []} in operation["security"], (method, path)


def test_schema_defines_the_error_shape(openapi):
    error = openapi["components"]["schemas"]["Error"]

    assert set(error["properties"]) == {"code", "message", "fields"}
    assert set(error["required"]) == {"code", "message", "fields"}


def _expected_error_codes(method, path) -> set[str]:
    codes = {"401", "403", "429"}
    if method in ("post", "patch"):
        codes.add("400")
    if "{" in path or method in ("post", "patch", "delete"):
        codes.add("404")
    return codes


@pytest.mark.parametrize(("method", "path"), sorted(ENDPOINTS))
def test_schema_documents_the_error_responses_of_each_operation(method, path, openapi):
    responses = openapi["paths"][path][method]["responses"]

    for code in _expected_error_codes(method, path):
        assert code in responses, code
        assert responses[code]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
        assert responses[code]["description"]


def test_spectacular_command_validates_the_schema(tmp_path, db):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--file", str(target))

    assert yaml.safe_load(target.read_text())["paths"]


def test_schema_generates_without_warnings(tmp_path, db):
    GENERATOR_STATS.reset()

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_schema_documents_the_answer_of_removing_a_member(openapi):
    responses = openapi["paths"]["/api/v1/support-groups/{id}/members/{user_id}/"]["delete"]["responses"]

    assert "200" in responses
    assert responses["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SupportGroup"
    }


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        self.links += [value for name, value in attrs if name in ("src", "href") and value]


EXTERNAL = re.compile(r"""(?:https?:)?//[^/"'\s]""", re.IGNORECASE)


@pytest.mark.django_db
def test_docs_page_loads_everything_from_our_own_host():
    client = APIClient()
    page = client.get("/api/docs/")

    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    parser = _Links()
    parser.feed(html)
    assert len(parser.links) >= 4, parser.links
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    for link in parser.links:
        assert link.startswith("/"), link
        asset = client.get(link)
        assert asset.status_code == 200, link
    assert "'unsafe-inline'" not in page["Content-Security-Policy"].split("script-src")[1].split(";")[0]


@pytest.mark.django_db
def test_docs_script_reads_our_schema():
    script = APIClient().get("/api/docs/", {"script": ""})

    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert '"/api/schema/"' in script.content.decode()
    assert not re.search(r"https?://", script.content.decode())


@pytest.mark.django_db
def test_docs_turn_off_the_online_validator_badge():
    script = APIClient().get("/api/docs/", {"script": ""}).content.decode()
    settings_json = re.search(r"const swaggerSettings = (\{.*?\});", script, re.DOTALL).group(1)

    assert json.loads(settings_json).get("validatorUrl", "unset") is None


# A short fuzz of every operation, as an administrator with a real token: every answer must be one the
# schema documents (status code, media type, headers and body), nothing may answer a 5xx, and what the
# schema calls invalid must be refused. The success paths are held to the schema in every other API test
# too (tests/conformance.py).
with GENERATOR_STATS.silence():
    fuzzed_api = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

CONFORMANCE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def administrator_key(administrator, token_for):
    return token_for(administrator, name="fuzz")


@pytest.mark.undocumented_answers  # checked here by schemathesis itself
@pytest.mark.django_db(transaction=True)
@fuzzed_api.include(method=["GET", "POST", "PATCH", "DELETE"]).parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_answers_as_its_schema_documents(case, administrator, administrator_key):
    # An earlier example may have deactivated the administrator through PATCH /users/{id}/.
    type(administrator).objects.filter(pk=administrator.pk).update(is_active=True)
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {administrator_key}"}, checks=CONFORMANCE_CHECKS
    )

    assert response.status_code != 401, "the fuzz must run authenticated"
