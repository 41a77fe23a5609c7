import pytest
from django.test import override_settings

from servicedesk.roles import AGENT, CONFIGURATION_MANAGER, REQUESTER

from ..api.helpers import assert_error
from ..factories import UserFactory

pytestmark = pytest.mark.django_db

ROWS = [
    {"class": "server", "name": "srv-01", "serial_number": "SN-1", "attributes": {"cpu_count": 4}},
    {"class": "server", "name": "srv-02", "serial_number": "SN-2", "attributes": {"cpu_count": "four"}},
    {"class": "application", "name": "CRM", "external_id": "crm"},
]


@pytest.fixture
def manager_api(api_as):
    return api_as(UserFactory(roles=[CONFIGURATION_MANAGER]))


def test_an_integration_imports_the_same_json_twice_and_the_second_report_is_all_unchanged(manager_api):
    good = [ROWS[0], ROWS[2]]
    first = manager_api.post("/api/v1/cis/import", {"rows": good}, format="json")
    second = manager_api.post("/api/v1/cis/import", {"rows": good}, format="json")

    assert first.status_code == 200, first.content
    assert (first.json()["created"], first.json()["status"]) == (2, "finished")
    assert second.status_code == 200
    assert {k: second.json()[k] for k in ("created", "updated", "unchanged", "rejected")} == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "rejected": 0,
    }


def test_a_bad_row_is_rejected_with_its_reason_while_good_rows_apply(manager_api):
    job = manager_api.post("/api/v1/cis/import", {"kind": "cis", "rows": ROWS}, format="json").json()

    assert (job["created"], job["rejected"]) == (2, 1)
    rejected = manager_api.get(f"/api/v1/imports/{job['id']}/rows", {"outcome": "rejected"}).json()["results"]
    assert rejected == [
        {
            "number": 2,
            "outcome": "rejected",
            "object_id": None,
            "errors": {"attributes.cpu_count": ["Must be of type integer."]},
            "data": ROWS[1],
        }
    ]
    every = manager_api.get(f"/api/v1/imports/{job['id']}/rows").json()["results"]
    assert [row["number"] for row in every] == [1, 2, 3]


@override_settings(ITSM_CMDB_IMPORT_INLINE_ROWS=1)
def test_a_large_import_answers_202_and_its_progress_can_be_followed(
    manager_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post("/api/v1/cis/import", {"rows": ROWS}, format="json")

    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    job = manager_api.get(f"/api/v1/imports/{response.json()['id']}").json()
    assert (job["status"], job["processed"], job["percent"]) == ("finished", 3, 100)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rows": []}, "rows"),
        ({"rows": "x"}, "rows"),
        ({"kind": "printers", "rows": ROWS}, "kind"),
        ({}, "rows"),
    ],
)
def test_bad_imports_answer_400_with_the_field(manager_api, body, field):
    body = assert_error(manager_api.post("/api/v1/cis/import", body, format="json"), 400, "validation_error")

    assert field in body["fields"]


def test_a_bad_outcome_filter_answers_400(manager_api):
    job = manager_api.post("/api/v1/cis/import", {"rows": ROWS[:1]}, format="json").json()

    assert_error(manager_api.get(f"/api/v1/imports/{job['id']}/rows", {"outcome": "maybe"}), 400)


def test_an_agent_may_not_import(api_as):
    assert_error(
        api_as(UserFactory(roles=[AGENT])).post("/api/v1/cis/import", {"rows": ROWS}, format="json"), 403
    )


@pytest.mark.parametrize("url", ["/api/v1/imports/", "/api/v1/imports/1/", "/api/v1/imports/1/rows/"])
def test_imports_are_invisible_to_requesters(api_as, url):
    client = api_as(UserFactory(roles=[REQUESTER]))

    assert_error(client.get(url), 404)
    assert_error(client.post("/api/v1/cis/import", {"rows": ROWS}, format="json"), 404)


def test_anonymous_imports_answer_401(api_client):
    assert_error(api_client.post("/api/v1/cis/import", {"rows": ROWS}, format="json"), 401)
