"""The definitive software library: its services and its panel on the release page (upload, download,
verify, remove), frozen from the go/no-go on."""

import hashlib
import os

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.template.loader import render_to_string
from django.test import Client, RequestFactory, override_settings
from django.test.client import encode_multipart
from django.urls import reverse

from releases import workflow as wf
from releases.models import Artifact, Release
from releases.services.artifacts import (
    artifact_register_uri,
    artifact_remove,
    artifact_upload,
    artifacts_verify,
    manifest_clean,
)
from releases.views_artifacts import artifacts_context
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.models import TimelineEntry
from servicedesk.records.timeline import timeline_renderer

from .conftest import planned_wave, stored_artifact

pytestmark = pytest.mark.django_db

CONTENT = b"\x1f\x8b\x08\x00" + b"release payload " * 1000
CSRF = "c" * 32


def upload_url(release):
    return reverse("release_artifacts:upload", args=[release.number])


def page_url(release):
    return reverse("record", args=[release.number]) + "#artifacts"


def signed_in(user, *, csrf=False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    if csrf:
        client.cookies["csrftoken"] = CSRF
    return client


def post_upload(client, release, content=CONTENT, *, csrf=True, **fields):
    data = {
        "csrfmiddlewaretoken": CSRF,
        "file": SimpleUploadedFile("webshop-2.0.tar.gz", content),
        "artifact_version": "2.0",
        "role": "package",
        **fields,
    }
    if not csrf:
        data.pop("csrfmiddlewaretoken")
    body = encode_multipart("BoUnDaRy", data)
    return client.post(upload_url(release), body, content_type="multipart/form-data; boundary=BoUnDaRy")


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def freeze(release):
    Release.objects.filter(pk=release.pk).update(status=wf.GO_NO_GO)
    release.refresh_from_db()


# Services.


def test_an_upload_moves_the_handlers_temporary_file_into_the_library(release, agent):
    temporary = TemporaryUploadedFile("pkg.tar.gz", "application/octet-stream", len(CONTENT), None)
    temporary.write(CONTENT)
    temporary.seek(0)
    temporary.sha256 = hashlib.sha256(CONTENT).hexdigest()  # as DSLUploadHandler sets it
    path = temporary.temporary_file_path()
    artifact = artifact_upload(
        release=release, actor=agent, upload=temporary, name="", artifact_version="2.0", role="package"
    )
    assert not os.path.exists(path)  # moved, not copied
    assert artifact.name == "pkg.tar.gz"
    assert artifact.size == len(CONTENT)
    assert artifact.media_type == "application/gzip"
    with artifact.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == artifact.sha256
    entry = TimelineEntry.objects.get(object_id=release.pk, data__event="artifact_added")
    assert timeline_renderer(entry, release) == "releases/timeline/artifact_added.html"


def test_a_file_not_from_the_handler_is_checksummed_while_it_is_read(release, agent):
    artifact = artifact_upload(
        release=release,
        actor=agent,
        upload=SimpleUploadedFile("a.bin", b"abc"),
        name="a",
        artifact_version="1",
        role="package",
        declared_sha256=hashlib.sha256(b"abc").hexdigest(),
    )
    assert artifact.sha256 == hashlib.sha256(b"abc").hexdigest()


def test_the_library_is_frozen_for_agents_and_closed_to_others(release, agent, requester):
    artifact = stored_artifact(release)
    common = {"name": "x", "artifact_version": "1", "role": "package"}
    with pytest.raises(PermissionDenied):
        artifact_upload(release=release, actor=requester, upload=SimpleUploadedFile("x", b"x"), **common)
    freeze(release)
    with pytest.raises(Conflict) as refused:
        artifact_upload(release=release, actor=agent, upload=SimpleUploadedFile("x", b"x"), **common)
    assert refused.value.code == "artifacts_frozen"
    with pytest.raises(Conflict):
        artifact_register_uri(
            release=release, actor=agent, uri="https://x.example/x", sha256="a" * 64, **common
        )
    with pytest.raises(Conflict):
        artifact_remove(artifact=artifact, actor=agent)
    assert release.artifacts.count() == 1


def test_an_artifact_a_wave_deploys_is_not_removed(release, agent, app_servers):
    artifact = stored_artifact(release)
    planned_wave(release, 1, app_servers[:1], artifact=artifact)
    with pytest.raises(Conflict) as refused:
        artifact_remove(artifact=artifact, actor=agent)
    assert refused.value.code == "artifact_in_use"


def test_verify_reports_an_external_artifact_as_not_verifiable_here(release, agent):
    artifact_register_uri(
        release=release,
        actor=agent,
        uri="https://packages.example.com/a.tgz",
        sha256="SHA256:" + "AB" * 32,
        name="a",
        artifact_version="1",
        role="package",
    )
    (result,) = artifacts_verify(release=release, actor=agent)
    assert result["check_result"] == Artifact.Check.EXTERNAL
    assert result["sha256"] == "ab" * 32


def test_the_manifest_is_what_the_deployment_reads():
    assert manifest_clean({"version": " 2.0 ", "attributes": {"a": 1}}) == {
        "version": "2.0",
        "attributes": {"a": 1},
    }
    assert manifest_clean(None) == {}


# Pages.


def test_an_upload_from_the_page_is_streamed_and_goes_back_to_the_release(release, agent):
    response = post_upload(signed_in(agent, csrf=True), release, sha256=hashlib.sha256(CONTENT).hexdigest())
    assert response.status_code == 303
    assert response["Location"] == page_url(release)
    artifact = release.artifacts.get()
    assert artifact.name == "webshop-2.0.tar.gz"
    assert artifact.sha256 == hashlib.sha256(CONTENT).hexdigest()
    assert artifact.size == len(CONTENT)


def test_the_page_still_checks_csrf_after_setting_its_upload_handler(release, agent):
    response = post_upload(signed_in(agent, csrf=True), release, csrf=False)
    assert response.status_code == 403
    assert not release.artifacts.exists()


def test_a_mismatch_from_the_page_is_said_and_nothing_is_kept(release, agent):
    response = post_upload(signed_in(agent, csrf=True), release, sha256="1" * 64)
    assert response.status_code == 303
    assert any("SHA-256" in text for text in texts(response))
    assert not release.artifacts.exists()


@override_settings(ITSM_DSL_MAX_BYTES=100)
def test_a_file_over_the_limit_from_the_page_is_refused(release, agent):
    response = post_upload(signed_in(agent, csrf=True), release)
    assert response.status_code == 303
    assert any("larger than" in text for text in texts(response))
    assert not release.artifacts.exists()


def test_the_page_refuses_an_upload_once_frozen(release, agent):
    freeze(release)
    response = post_upload(signed_in(agent, csrf=True), release)
    assert response.status_code == 303
    assert any("frozen" in text for text in texts(response))
    assert not release.artifacts.exists()


def test_downloads_from_the_page_are_for_those_who_may(client, release, agent, requester, other_requester):
    artifact = stored_artifact(release, content=b"bytes")
    url = reverse("release_artifacts:download", args=[release.number, artifact.pk])
    response = signed_in(agent).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"bytes"
    assert signed_in(other_requester).get(url).status_code == 404
    Release.objects.filter(pk=release.pk).update(requester=requester)
    assert signed_in(requester).get(url).status_code == 403


def test_verify_from_the_page_warns_of_drift(release, agent):
    artifact = stored_artifact(release, content=b"original")
    with open(artifact.file.path, "wb") as handle:
        handle.write(b"changed")
    response = signed_in(agent).post(reverse("release_artifacts:verify", args=[release.number]))
    assert response.status_code == 303
    assert any("1 differ" in text for text in texts(response))
    artifact.refresh_from_db()
    assert artifact.check_result == Artifact.Check.DRIFT


def test_remove_from_the_page(release, agent):
    artifact = stored_artifact(release)
    response = signed_in(agent).post(reverse("release_artifacts:remove", args=[release.number, artifact.pk]))
    assert response.status_code == 303
    assert not release.artifacts.exists()


def panel(user, release):
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string(
        "releases/_artifacts.html", {"record": release, **artifacts_context(request, release)}
    )


def test_the_panel_shows_checksums_sizes_and_what_the_person_may_do(release, agent, requester):
    stored_artifact(release, content=b"x" * 2048)
    html = panel(agent, release)
    assert hashlib.sha256(b"x" * 2048).hexdigest() in html
    assert "2.0\xa0KB" in html
    assert 'data-testid="artifact-download"' in html
    assert 'data-testid="artifact-form"' in html
    Release.objects.filter(pk=release.pk).update(requester=requester)
    html = panel(requester, release)
    assert 'data-testid="artifact-download"' not in html
    assert 'data-testid="artifact-form"' not in html
    freeze(release)
    html = panel(agent, release)
    assert 'data-testid="artifacts-frozen"' in html
    assert 'data-testid="artifact-form"' not in html


def test_the_panel_reads_a_constant_number_of_queries(release, agent, django_assert_max_num_queries):
    stored_artifact(release, name="one")
    with django_assert_max_num_queries(10) as one:
        panel(agent, release)
    for n in range(5):
        stored_artifact(release, name=f"more-{n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        panel(agent, release)
