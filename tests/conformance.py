"""Every answer the API gives in the tests is held to the OpenAPI schema.

The fuzz in tests/api/test_schema.py reaches mostly error paths (random ids are rarely real ones); the
API tests reach the success paths with real records. So every response an `APIClient` receives for a
`/api/v1/` path, in any test, is checked here against what the schema documents for its operation: the
status code must be documented, a body's media type must be one the operation names, and a JSON body must
validate against the documented schema for that status. A mismatch fails the test that made the call.

A test that sends what the schema cannot describe on purpose (a bad method, an unsupported media type)
marks itself `@pytest.mark.undocumented_answers`.
"""

import json
from dataclasses import dataclass, field

import pytest
import requests
import schemathesis
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.test import APIClient
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.transport import Response as CheckedResponse

API_PREFIX = "/api/v1/"
# Answers the framework gives before any view runs, for a request no operation describes.
FRAMEWORK_STATUSES = {405, 406, 415}


@dataclass
class Conformance:
    schema: object
    mismatches: list[str] = field(default_factory=list)

    def check(self, method: str, path: str, response) -> None:
        operation = self.schema.find_operation_by_path(method, path)
        if operation is None and not path.endswith("/"):  # a route that takes both spellings
            operation = self.schema.find_operation_by_path(method, path + "/")
        where = f"{method} {path} -> {response.status_code}"
        if operation is None:
            if response.status_code not in (404, *FRAMEWORK_STATUSES):
                self.mismatches.append(f"{where}: no documented operation")
            return
        if response.status_code in FRAMEWORK_STATUSES:
            return
        definition = operation.responses.find_by_status_code(response.status_code)
        if definition is None:
            self.mismatches.append(f"{where}: status code not documented")
            return
        # A file download streams: reading it here would leave nothing for the test.
        content = b"" if response.streaming else response.content
        media_type = (response.get("Content-Type") or "").split(";")[0].strip()
        documented = self.schema.get_content_types(operation, _checked(response, content))
        if (
            (content or response.streaming)
            and documented
            and not any(_media_matches(media_type, d) for d in documented)
        ):
            self.mismatches.append(f"{where}: media type {media_type!r} not in {documented}")
            return
        if not content or media_type != "application/json":
            return
        try:
            operation.validate_response(_checked(response, content))
        except (Failure, FailureGroup) as exc:
            failures = getattr(exc, "exceptions", None) or [exc]
            for failure in failures:
                message = getattr(failure, "message", None) or str(failure)
                self.mismatches.append(f"{where}: {message.strip()[:1500]}")


def _media_matches(actual: str, documented: str) -> bool:
    main, _sep, sub = documented.split(";")[0].strip().partition("/")
    actual_main, _sep, actual_sub = actual.partition("/")
    return main in ("*", actual_main) and sub in ("*", actual_sub)


def _checked(response, content: bytes) -> CheckedResponse:
    headers = {name.lower(): [value] for name, value in response.items()}
    return CheckedResponse(
        status_code=response.status_code,
        headers=headers,
        content=content,
        request=requests.PreparedRequest(),
        elapsed=0.0,
        verify=False,
    )


@pytest.fixture(scope="session")
def openapi_schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), GENERATOR_STATS.silence():
        document = SchemaGenerator().get_schema(request=None, public=True)
        raw = json.loads(OpenApiJsonRenderer().render(document, renderer_context={}))
    return schemathesis.openapi.from_dict(raw)


@pytest.fixture(autouse=True)
def _api_answers_conform(request, monkeypatch):
    """Checks every API answer of the test against the schema (see the module docstring)."""
    uses_database = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if request.node.get_closest_marker("undocumented_answers") or not uses_database:
        yield
        return
    conformance = Conformance(schema=request.getfixturevalue("openapi_schema"))
    send = APIClient.request

    def request_and_check(client, **kwargs):
        response = send(client, **kwargs)
        path = kwargs.get("PATH_INFO", "")
        if path.startswith(API_PREFIX):
            conformance.check(kwargs.get("REQUEST_METHOD", "GET"), path, response)
        return response

    monkeypatch.setattr(APIClient, "request", request_and_check)
    yield
    if conformance.mismatches:
        pytest.fail("API answers the schema does not document:\n" + "\n".join(conformance.mismatches))
