import pytest

from cmdb.models import CIClass
from cmdb.services.items import ci_create
from servicedesk.roles import AGENT, CONFIGURATION_MANAGER, REQUESTER

from ..api.helpers import assert_error
from ..factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def servers():
    server_class = CIClass.objects.get(code="server")
    return [
        ci_create(
            actor=None, name=f"srv-{n}", ci_class=server_class, attributes={"cpu_count": n}, version="1"
        )
        for n in (1, 2)
    ]


@pytest.fixture
def manager_api(api_as):
    return api_as(UserFactory(roles=[CONFIGURATION_MANAGER]))


def test_a_manager_takes_a_baseline_changes_a_ci_sees_the_diff_and_restores_it(manager_api, servers):
    created = manager_api.post(
        "/api/v1/baselines/", {"name": "Before patching", "classes": ["hardware"]}, format="json"
    )
    assert created.status_code == 201, created.content
    baseline = created.json()
    assert (baseline["ci_count"], baseline["scope"]) == (2, {"classes": ["hardware"]})

    changed = manager_api.patch(f"/api/v1/cis/{servers[0].pk}/", {"version": "2"}, format="json")
    assert changed.status_code == 200, changed.content
    diff = manager_api.get(f"/api/v1/baselines/{baseline['id']}/diff").json()

    assert diff["added"] == diff["removed"] == []
    assert [(c["name"], c["fields"]) for c in diff["changed"]] == [
        ("srv-1", {"version": {"from": "1", "to": "2"}})
    ]

    restored = manager_api.post(
        f"/api/v1/baselines/{baseline['id']}/restore", {"ci": servers[0].pk}, format="json"
    )
    assert restored.status_code == 200
    assert restored.json()["changed"] == []


def test_a_baseline_of_listed_cis(manager_api, servers):
    baseline = manager_api.post(
        "/api/v1/baselines/", {"name": "One", "cis": [servers[1].pk]}, format="json"
    ).json()

    assert baseline["ci_count"] == 1
    assert [b["name"] for b in manager_api.get("/api/v1/baselines/").json()["results"]] == ["One"]


def test_an_empty_scope_or_a_taken_name_answers_400(manager_api, servers):
    assert_error(manager_api.post("/api/v1/baselines/", {"name": "Nothing"}, format="json"), 400)
    manager_api.post("/api/v1/baselines/", {"name": "Twice", "classes": ["server"]}, format="json")
    body = assert_error(
        manager_api.post("/api/v1/baselines/", {"name": "Twice", "classes": ["server"]}, format="json"), 400
    )
    assert "name" in body["fields"]


def test_an_agent_reads_baselines_but_cannot_take_one(api_as, manager_api, servers):
    baseline = manager_api.post(
        "/api/v1/baselines/", {"name": "B", "classes": ["server"]}, format="json"
    ).json()
    agent = api_as(UserFactory(roles=[AGENT]))

    assert agent.get(f"/api/v1/baselines/{baseline['id']}/diff").status_code == 200
    assert_error(
        agent.post("/api/v1/baselines/", {"name": "Mine", "classes": ["server"]}, format="json"), 403
    )
    assert_error(
        agent.post(f"/api/v1/baselines/{baseline['id']}/restore", {"ci": servers[0].pk}, format="json"), 403
    )


@pytest.mark.parametrize("url", ["/api/v1/baselines/", "/api/v1/baselines/1/", "/api/v1/baselines/1/diff"])
def test_requesters_get_404(api_as, url):
    assert_error(api_as(UserFactory(roles=[REQUESTER])).get(url), 404)
