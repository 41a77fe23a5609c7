"""Attachment downloads: only through the checked view, always as a download, 404 for what one may not see."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents import services
from servicedesk import roles
from servicedesk.models import Attachment

from ..factories import UserFactory

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)


def _url(attachment) -> str:
    return reverse("attachment", args=[attachment.pk])


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def record(db, requester, service):
    return services.incident_create(
        actor=requester,
        title="Screen flickers",
        description="See the picture.",
        uploads=[SimpleUploadedFile("screen <1>.png", PNG, content_type="text/html")],
    )


@pytest.fixture
def attachment(record):
    return Attachment.objects.get(entry__object_id=record.pk)


def test_the_requester_downloads_their_file_as_an_attachment_with_safe_headers(client, requester, attachment):
    client.force_login(requester)

    response = client.get(_url(attachment))

    assert response.status_code == 200
    assert _content(response) == PNG
    # The type checked at upload, never what the browser claimed.
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "screen" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert "private" in response["Cache-Control"]


def test_an_agent_downloads_any_records_file(client, agent, attachment):
    client.force_login(agent)

    assert client.get(_url(attachment)).status_code == 200


def test_an_anonymous_visitor_is_sent_to_sign_in(client, attachment):
    response = client.get(_url(attachment))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_another_requester_and_unknown_ids_get_404(client, other_requester, attachment):
    client.force_login(other_requester)

    assert client.get(_url(attachment)).status_code == 404
    assert client.get(reverse("attachment", args=[attachment.pk + 1000])).status_code == 404


@pytest.mark.parametrize("shares", [True, False])
def test_a_colleague_downloads_only_where_the_organisation_shares_records(
    client, organisation, attachment, shares
):
    organisation.shares_records = shares
    organisation.save()
    colleague = UserFactory(roles=[roles.REQUESTER], organisation=organisation)
    client.force_login(colleague)

    assert client.get(_url(attachment)).status_code == (200 if shares else 404)


def test_internal_files_are_for_agents_only(client, requester, agent, record):
    entry = services.incident_attach(
        record=record,
        actor=agent,
        uploads=[SimpleUploadedFile("dump.txt", b"internal trace", content_type="text/plain")],
        is_public=False,
    )
    internal = entry.attachments.get()

    client.force_login(requester)
    assert client.get(_url(internal)).status_code == 404
    client.force_login(agent)
    response = client.get(_url(internal))
    assert response.status_code == 200
    assert _content(response) == b"internal trace"


def test_a_file_missing_from_storage_answers_404_not_500(client, requester, attachment):
    attachment.file.delete(save=False)
    client.force_login(requester)

    assert client.get(_url(attachment)).status_code == 404


def test_only_get_is_allowed(client, requester, attachment):
    client.force_login(requester)

    assert client.post(_url(attachment)).status_code == 405
