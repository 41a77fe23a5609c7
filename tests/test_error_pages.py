"""Error pages: one look, the request id to quote, and a 500 page that needs no database."""

import re

import pytest
import structlog
from django.db import OperationalError, connection
from django.utils.functional import SimpleLazyObject

from itsm.views import server_error
from servicedesk import roles
from servicedesk.models import User

from .api.helpers import assert_error
from .factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_failing")]

STYLESHEET = "vendor/bootstrap-5.3.8/css/bootstrap.min.css"


def _shown_request_id(response) -> str:
    match = re.search(r'data-testid="request-id">([^<]+)<', response.content.decode())
    return match.group(1) if match else ""


@pytest.fixture
def failing_client(client):
    client.raise_request_exception = False
    return client


def test_a_failing_page_answers_the_styled_500_page_with_the_request_id(failing_client, requester):
    failing_client.force_login(requester)

    response = failing_client.get("/failing/")

    page = response.content.decode()
    assert response.status_code == 500
    assert STYLESHEET in page
    assert 'data-testid="error-page"' in page
    assert "Server error" in page
    assert 'href="/"' in page  # back to the start page
    assert _shown_request_id(response) == response["X-Request-ID"] != ""


def test_the_500_page_shows_the_request_id_the_client_sent(failing_client, requester):
    failing_client.force_login(requester)

    response = failing_client.get("/failing/", headers={"X-Request-ID": "support-case-4711"})

    assert _shown_request_id(response) == "support-case-4711"


def test_the_500_page_is_in_the_users_language(failing_client):
    failing_client.force_login(UserFactory(roles=[roles.REQUESTER], language="zh-hans"))

    page = failing_client.get("/failing/").content.decode()

    assert '<html lang="zh-hans">' in page
    assert "服务器错误" in page


def test_the_500_page_renders_while_the_database_refuses_every_query(failing_client, requester, caplog):
    failing_client.force_login(requester)
    attempts = []

    def database_down(execute, sql, params, many, context):
        attempts.append(sql)
        raise OperationalError("could not connect to server: Connection refused")

    with connection.execute_wrapper(database_down):
        response = failing_client.get("/")

    assert attempts  # the signed-in user's session was looked up, and failed
    assert response.status_code == 500
    page = response.content.decode()
    assert STYLESHEET in page
    assert 'data-testid="error-page"' in page
    assert _shown_request_id(response) == response["X-Request-ID"] != ""
    # The request log still records the failure, under the same id, though the user could not be loaded.
    events = [record.msg for record in caplog.records if isinstance(record.msg, dict)]
    failed = [event["request_id"] for event in events if event.get("event") == "request_failed"]
    assert failed == [response["X-Request-ID"]]


@pytest.fixture
def request_id():
    structlog.contextvars.bind_contextvars(request_id="req-2026-abc")
    yield "req-2026-abc"
    structlog.contextvars.clear_contextvars()


def test_the_500_handler_makes_no_query_even_with_a_user_to_load(
    rf, requester, request_id, django_assert_num_queries
):
    request = rf.get("/records/INC0000001/")
    request.user = SimpleLazyObject(lambda: User.objects.get(pk=requester.pk))

    with django_assert_num_queries(0):
        response = server_error(request)

    assert response.status_code == 500
    assert f'data-testid="request-id">{request_id}<' in response.content.decode()


def test_the_500_handler_answers_a_plain_page_when_even_its_template_fails(rf, request_id, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("Missing staticfiles manifest entry for 'css/app.css'")

    monkeypatch.setattr("itsm.views.loader.render_to_string", broken)

    response = server_error(rf.get("/"))

    assert response.status_code == 500
    assert f"<code>{request_id}</code>" in response.content.decode()


def test_a_failing_api_endpoint_answers_the_error_shape_with_the_request_id(failing_client, requester):
    failing_client.force_login(requester)

    response = failing_client.get("/api/v1/failing/")

    assert response.status_code == 500
    body = response.json()
    assert set(body) == {"code", "message", "fields", "request_id"}
    assert body["code"] == "server_error"
    assert body["request_id"] == response["X-Request-ID"] != ""


@pytest.mark.parametrize(
    ("roles_", "url", "status", "heading"),
    [
        ([roles.REQUESTER], "/no-such-page/", 404, "Not found"),
        ([roles.AGENT], "/cmdb/import/", 403, "Not allowed"),
        ([roles.REQUESTER], "/cmdb/cis/search/?q=%00", 400, "Bad request"),
    ],
)
def test_4xx_pages_share_the_error_look_and_the_request_id(client, roles_, url, status, heading):
    client.force_login(UserFactory(roles=roles_))

    response = client.get(url)

    page = response.content.decode()
    assert response.status_code == status
    assert 'data-testid="error-page"' in page
    assert heading in page
    assert 'data-testid="nav-' in page  # the full layout, with the user's navigation
    assert _shown_request_id(response) == response["X-Request-ID"] != ""


def test_api_errors_keep_their_shape(client, requester):
    client.force_login(requester)

    assert_error(client.get("/api/v1/no-such-thing/"), 404, "not_found")
