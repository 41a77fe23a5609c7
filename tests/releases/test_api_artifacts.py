"""The release's definitive software library through the API: uploads streamed with their checksum,
refused on mismatch or size, URIs, the freeze at go/no-go, downloads for who may, verify, retries."""

import hashlib
import json
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.test.client import encode_multipart

from releases import workflow as wf
from releases.models import Artifact, Release
from releases.storage import dsl_storage
from servicedesk.models import AuditEvent

from .conftest import stored_artifact

pytestmark = pytest.mark.django_db

CONTENT = b"PK\x03\x04" + b"webshop-2.0 " * 4096


def url(release, tail=""):
    return f"/api/v1/releases/{release.number}/artifacts/{tail}"


def upload(client, release, content=CONTENT, **fields):
    data = {
        "file": SimpleUploadedFile("webshop-2.0.zip", content),
        "name": "webshop",
        "artifact_version": "2.0",
        "role": "package",
        **fields,
    }
    return client.post(url(release), data, format="multipart")


def stored_files():
    root = dsl_storage().location
    return {os.path.join(d, f) for d, _dirs, files in os.walk(root) for f in files}


def test_an_upload_is_kept_with_the_checksum_and_size_computed_on_the_way(api_as, release, agent):
    manifest = {"version": "2.0.1", "attributes": {"channel": "stable"}}
    response = upload(
        api_as(agent),
        release,
        sha256=hashlib.sha256(CONTENT).hexdigest().upper(),
        manifest=json.dumps(manifest),
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["sha256"] == hashlib.sha256(CONTENT).hexdigest()
    assert body["size"] == len(CONTENT)
    assert body["media_type"] == "application/zip"  # sniffed from its magic bytes
    assert body["manifest"] == manifest
    artifact = Artifact.objects.get(pk=body["id"])
    with artifact.file.open("rb") as handle:
        assert handle.read() == CONTENT
    assert artifact.uploaded_by == agent
    assert AuditEvent.objects.filter(action="release.artifact_added", object_id=str(release.pk)).exists()


def test_a_declared_checksum_that_differs_is_refused_and_nothing_is_kept(api_as, release, agent):
    before = stored_files()
    response = upload(api_as(agent), release, sha256="0" * 64)
    assert response.status_code == 400
    assert "sha256" in response.json()["fields"]
    assert not release.artifacts.exists()
    assert stored_files() == before


@override_settings(ITSM_DSL_MAX_BYTES=1000)
def test_a_file_over_the_limit_is_stopped_while_it_streams(api_as, release, agent):
    before = stored_files()
    response = upload(api_as(agent), release)
    assert response.status_code == 400
    assert response.json()["fields"]["file"]
    assert not release.artifacts.exists()
    assert stored_files() == before


@override_settings(ITSM_DSL_MAX_BYTES=1000)
def test_the_limit_holds_for_a_session_whose_csrf_check_reads_the_form(release, agent):
    """The handler is in place before the session's CSRF check reads the body."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    client.cookies["csrftoken"] = "a" * 32
    body = encode_multipart(
        "XyZ", {"file": SimpleUploadedFile("a.zip", CONTENT), "name": "a", "artifact_version": "1"}
    )
    response = client.post(
        url(release),
        body,
        content_type="multipart/form-data; boundary=XyZ",
        headers={"X-CSRFToken": "a" * 32},
    )
    assert response.status_code == 400
    assert "file" in response.json()["fields"]


def test_a_null_character_in_a_field_of_an_upload_is_refused(api_as, release, agent):
    response = upload(api_as(agent), release, name="web\x00shop")
    assert response.status_code == 400
    assert not release.artifacts.exists()


def test_the_same_name_and_version_twice_is_refused(api_as, release, agent):
    client = api_as(agent)
    assert upload(client, release).status_code == 201
    response = upload(client, release, content=b"other bytes")
    assert response.status_code == 400
    assert "artifact_version" in response.json()["fields"]


def test_a_manifest_must_be_an_object_with_a_version_and_attributes(api_as, release, agent):
    client = api_as(agent)
    for manifest in ("[1]", "{", '{"version": 2}', '{"attributes": []}', '{"versoin": "1"}'):
        response = upload(client, release, manifest=manifest)
        assert response.status_code == 400, manifest
        assert "manifest" in response.json()["fields"]
    assert not release.artifacts.exists()


def test_an_artifact_kept_elsewhere_is_registered_by_uri_and_checksum(api_as, release, agent):
    response = api_as(agent).post(
        url(release),
        {
            "uri": "https://packages.example.com/webshop-2.0.tar.gz",
            "sha256": "ab" * 32,
            "name": "webshop-image",
            "artifact_version": "2.0",
            "size": 1234,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["stored"] is False
    assert response.json()["download"] is None
    response = api_as(agent).post(
        url(release),
        {"uri": "not a uri", "sha256": "xyz", "name": "n", "artifact_version": "1"},
        format="json",
    )
    assert response.status_code == 400
    assert {"uri", "sha256"} <= set(response.json()["fields"])


def freeze(release):
    Release.objects.filter(pk=release.pk).update(status=wf.GO_NO_GO)
    release.refresh_from_db()


def test_the_library_is_frozen_from_the_go_no_go_on(api_as, release, agent):
    artifact = stored_artifact(release)
    freeze(release)
    client = api_as(agent)
    response = upload(client, release, artifact_version="2.1")
    assert response.status_code == 409
    assert response.json()["code"] == "artifacts_frozen"
    assert client.delete(url(release, f"{artifact.pk}/")).status_code == 409
    assert client.post(url(release, f"{artifact.pk}/remove/")).status_code == 409
    assert list(release.artifacts.all()) == [artifact]


def test_removing_an_artifact_before_the_freeze_deletes_its_file(
    api_as, release, agent, django_capture_on_commit_callbacks
):
    artifact = stored_artifact(release)
    path = artifact.file.path
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(agent).delete(url(release, f"{artifact.pk}/"))
    assert response.status_code == 204
    assert not release.artifacts.exists()
    assert not os.path.exists(path)


def test_a_requester_may_not_add_artifacts(api_as, release, requester):
    Release.objects.filter(pk=release.pk).update(requester=requester)
    response = upload(api_as(requester), release)
    assert response.status_code == 403


def test_downloads_are_for_those_who_may(api_as, release, agent, requester, other_requester):
    artifact = stored_artifact(release, content=b"the package")
    response = api_as(agent).get(url(release, f"{artifact.pk}/download/"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"the package"
    assert response["Content-Disposition"].startswith("attachment")
    assert api_as(other_requester).get(url(release, f"{artifact.pk}/download/")).status_code == 404
    Release.objects.filter(pk=release.pk).update(requester=requester)
    assert api_as(requester).get(url(release, f"{artifact.pk}/download/")).status_code == 403


def test_verify_reports_drift_and_missing_files_and_repairs_nothing(api_as, release, agent):
    good = stored_artifact(release, name="good", content=b"good")
    tampered = stored_artifact(release, name="tampered", content=b"original")
    gone = stored_artifact(release, name="gone", content=b"gone")
    with open(tampered.file.path, "wb") as handle:
        handle.write(b"tampered")
    dsl_storage().delete(gone.file.name)
    response = api_as(agent).post(url(release, "verify/"))
    assert response.status_code == 200
    found = {row["name"]: row for row in response.json()}
    assert found["good"]["check_result"] == "ok"
    assert found["tampered"]["check_result"] == "drift"
    assert found["tampered"]["found_sha256"] == hashlib.sha256(b"tampered").hexdigest()
    assert found["gone"]["check_result"] == "missing"
    tampered.refresh_from_db()
    assert tampered.sha256 == hashlib.sha256(b"original").hexdigest()  # reported, not "fixed"
    assert tampered.check_result == "drift"
    good.refresh_from_db()
    assert good.verified_at is not None
    event = AuditEvent.objects.get(action="release.artifacts_verified")
    assert event.data["drift"] == 1
    assert event.data["missing"] == 1


def test_a_retried_upload_with_its_idempotency_key_adds_one_artifact(api_as, release, agent):
    client = api_as(agent)
    answers = []
    for boundary in ("first", "second"):
        body = encode_multipart(
            boundary,
            {"file": SimpleUploadedFile("w.zip", CONTENT), "name": "webshop", "artifact_version": "2.0"},
        )
        answers.append(
            client.post(
                url(release),
                body,
                content_type=f"multipart/form-data; boundary={boundary}",
                headers={"Idempotency-Key": "upload-1"},
            )
        )
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[1]["Idempotent-Replayed"] == "true"
    assert answers[0].json() == answers[1].json()
    assert release.artifacts.count() == 1


def test_the_list_reads_a_constant_number_of_queries(api_as, release, agent, django_assert_max_num_queries):
    client = api_as(agent)
    stored_artifact(release, name="one")
    with django_assert_max_num_queries(20) as one:
        assert len(client.get(url(release)).json()) == 1
    for n in range(5):
        stored_artifact(release, name=f"more-{n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get(url(release)).json()) == 6
