"""What the fuzz of the releases API (test_api_fuzz.py) found, each answered as documented now."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from releases import workflow as wf
from releases.models import Artifact, Release, Wave

pytestmark = pytest.mark.django_db

CONTENT = b"webshop 2.0.1 " * 100
SHA256 = "a" * 64


def artifacts_url(release) -> str:
    return f"/api/v1/releases/{release.number}/artifacts/"


def test_an_upload_without_a_name_takes_the_file_s_name(api_as, release, agent):
    data = {"file": SimpleUploadedFile("webshop-2.0.1.zip", CONTENT), "artifact_version": "2.0.1"}

    response = api_as(agent).post(artifacts_url(release), data, format="multipart")

    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "webshop-2.0.1.zip"
    assert Artifact.objects.get(pk=response.json()["id"]).name == "webshop-2.0.1.zip"


@pytest.mark.parametrize("name", [None, ""])
def test_an_artifact_kept_elsewhere_without_a_name_is_a_400(api_as, release, agent, name):
    data = {
        "uri": "https://packages.example.com/webshop-2.0.1.zip",
        "sha256": SHA256,
        "artifact_version": "2",
    }
    if name is not None:
        data["name"] = name

    response = api_as(agent).post(artifacts_url(release), data, format="json")

    assert response.status_code == 400, response.json()
    assert list(response.json()["fields"]) == ["name"]
    assert not release.artifacts.exists()


@pytest.mark.parametrize("body", ["null", "[]", '"uri"'])
def test_a_json_body_that_is_no_object_is_a_400(api_as, release, agent, body):
    response = api_as(agent).post(artifacts_url(release), body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert not release.artifacts.exists()


def test_changing_the_package_of_a_wave_once_the_deployment_started_is_a_409_naming_it(
    api_as, prepared, release_manager
):
    Release.objects.filter(pk=prepared.pk).update(status=wf.APPROVED)
    client = api_as(release_manager)
    started = client.post(
        f"/api/v1/releases/{prepared.number}/transitions/", {"to": "deploying"}, format="json"
    )
    assert started.status_code == 200, started.json()
    pending = Wave.objects.get(release=prepared, position=2)
    wave_url = f"/api/v1/releases/{prepared.number}/deployments/{pending.pk}/"
    etag = client.get(wave_url)["ETag"]

    response = client.patch(wave_url, {"name": "Rest", "artifact": None}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 409, response.content
    body = response.json()
    assert (body["code"], body["fixed"], body["fields"]) == ("wave_fixed", ["artifact"], {})
    pending.refresh_from_db()
    assert pending.name == "Wave 2"
