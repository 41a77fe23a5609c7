import pytest

from cmdb.models import Baseline, CIClass
from cmdb.services.items import ci_create, ci_update
from servicedesk.roles import AGENT, CONFIGURATION_MANAGER, REQUESTER

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def server():
    return ci_create(
        actor=None,
        name="srv-1",
        ci_class=CIClass.objects.get(code="server"),
        attributes={"cpu_count": 2},
        version="1",
    )


@pytest.fixture
def manager(client):
    user = UserFactory(roles=[CONFIGURATION_MANAGER])
    client.force_login(user)
    return user


def test_a_manager_takes_a_baseline_changes_a_ci_sees_the_diff_and_restores(client, manager, server):
    hardware = CIClass.objects.get(code="hardware")
    response = client.post("/cmdb/baselines/", {"name": "Before the upgrade", "classes": [hardware.code]})

    baseline = Baseline.objects.get()
    assert response.status_code == 302
    assert response.url == f"/cmdb/baselines/{baseline.pk}/"
    assert 'data-testid="no-changes"' in client.get(response.url).content.decode()

    ci_update(ci=server, actor=manager, attributes={"cpu_count": 16}, version="2")
    page = client.get(response.url).content.decode()
    assert 'data-testid="changed"' in page
    assert "attributes.cpu_count" in page
    assert "16" in page

    restored = client.post(f"/cmdb/baselines/{baseline.pk}/restore/{server.pk}/")
    server.refresh_from_db()
    assert restored.status_code == 302
    assert (server.attributes, server.version) == ({"cpu_count": 2}, "1")
    assert 'data-testid="no-changes"' in client.get(response.url).content.decode()


def test_an_empty_baseline_is_refused_on_the_form(client, manager):
    response = client.post("/cmdb/baselines/", {"name": "Nothing"})

    assert response.status_code == 200
    assert "Choose classes, a service or CIs to include." in response.content.decode()
    assert not Baseline.objects.exists()


def test_an_agent_reads_baselines_but_cannot_take_one(client, server):
    client.force_login(UserFactory(roles=[AGENT]))

    page = client.get("/cmdb/baselines/")

    assert page.status_code == 200
    assert "Take a baseline" not in page.content.decode()
    assert client.post("/cmdb/baselines/", {"name": "x", "classes": ["server"]}).status_code == 403


def test_requesters_do_not_see_baselines(client, server):
    client.force_login(UserFactory(roles=[REQUESTER]))

    assert client.get("/cmdb/baselines/").status_code == 404
    assert client.get("/cmdb/baselines/1/").status_code == 404
