"""`POST /api/v1/releases/{number}/rollback/`: who may, what it answers, what it refuses."""

import pytest

from cmdb.models import ConfigurationItem
from releases import workflow as wf
from releases.models import Release, Wave

from .test_rollback import deployed_in_waves

pytestmark = pytest.mark.django_db


def url(release) -> str:
    return f"/api/v1/releases/{release.number}/rollback/"


def test_a_release_manager_rolls_back_one_wave(api_as, release, release_manager, app_servers):
    waves = deployed_in_waves(release, app_servers)

    response = api_as(release_manager).post(
        url(release), {"reason": "Wave 3 broke the checkout.", "waves": [waves[2].pk]}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "rolled_back"
    assert body["rollback_extent"] == "partial"
    assert body["rollback_reason"] == "Wave 3 broke the checkout."
    assert ConfigurationItem.objects.get(pk=app_servers[2].pk).version == "1.0"
    assert ConfigurationItem.objects.get(pk=app_servers[0].pk).version == "2.0"


def test_without_waves_every_wave_that_ran_is_rolled_back(api_as, release, release_manager, app_servers):
    deployed_in_waves(release, app_servers)

    response = api_as(release_manager).post(url(release), {"reason": "All of it."}, format="json")

    assert response.status_code == 200
    assert response.json()["rollback_extent"] == "full"
    assert set(Wave.objects.filter(release=release).values_list("status", flat=True)) == {"rolled_back"}


def test_an_agent_who_does_not_manage_releases_is_refused(api_as, release, test_lead, app_servers):
    deployed_in_waves(release, app_servers)

    response = api_as(test_lead).post(url(release), {"reason": "Let me."}, format="json")

    assert response.status_code == 403
    assert Release.objects.get(pk=release.pk).status == wf.FAILED


def test_who_may_not_see_the_release_gets_not_found(api_as, release, requester, app_servers):
    deployed_in_waves(release, app_servers)

    assert api_as(requester).post(url(release), {"reason": "x"}, format="json").status_code == 404


def test_a_release_not_deployed_answers_409(api_as, release, release_manager, app_servers):
    deployed_in_waves(release, app_servers, status=wf.TESTING)

    response = api_as(release_manager).post(url(release), {"reason": "x"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "not_rollbackable"


def test_a_missing_reason_and_a_foreign_wave_are_field_errors(
    api_as, release, release_manager, app_servers, agent
):
    deployed_in_waves(release, app_servers)
    other = Release.objects.create(number="REL9999999", title="Other", release_version="1", requester=agent)
    foreign = Wave.objects.create(release=other, position=1, name="Theirs")
    client = api_as(release_manager)

    missing = client.post(url(release), {"waves": []}, format="json")
    wrong = client.post(url(release), {"reason": "x", "waves": [foreign.pk]}, format="json")

    assert missing.status_code == 400
    assert {"reason", "waves"} <= set(missing.json()["fields"])
    assert wrong.status_code == 400
    assert "waves" in wrong.json()["fields"]


def test_a_stale_if_match_answers_412(api_as, release, release_manager, app_servers):
    deployed_in_waves(release, app_servers)
    client = api_as(release_manager)
    etag = client.get(f"/api/v1/releases/{release.number}/")["ETag"]
    Release.objects.filter(pk=release.pk).update(version=release.version + 5)

    response = client.post(url(release), {"reason": "x"}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 412
    assert Release.objects.get(pk=release.pk).status == wf.FAILED
