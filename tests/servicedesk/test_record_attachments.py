"""Attachment downloads (the kernel's, for every kind): only through the checked view, always as a download,
404 for what one may not see."""

import hashlib
from dataclasses import replace

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from servicedesk import kinds, roles
from servicedesk.errors import NotFound
from servicedesk.models import Attachment, TimelineEntry
from servicedesk.records.selectors import record_attachment_get_for_user
from servicedesk.records.services import record_attach
from tests.kernelkind.models import Chore
from tests.kernelkind.services import chore_create

from ..factories import UserFactory

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)


def _url(attachment) -> str:
    return reverse("attachment", args=[attachment.pk])


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def record(db, requester):
    return chore_create(
        actor=requester,
        title="Screen flickers",
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


def test_an_agent_downloads_any_records_file(client, worker, attachment):
    client.force_login(worker)

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


def test_internal_files_are_for_agents_only(client, requester, worker, record):
    entry = record_attach(
        record=record,
        actor=worker,
        uploads=[SimpleUploadedFile("dump.txt", b"internal trace", content_type="text/plain")],
        is_public=False,
    )
    internal = entry.attachments.get()

    client.force_login(requester)
    assert client.get(_url(internal)).status_code == 404
    client.force_login(worker)
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


def _internal_file(record, worker):
    entry = record_attach(
        record=record,
        actor=worker,
        uploads=[SimpleUploadedFile("dump.txt", b"internal trace", content_type="text/plain")],
        is_public=False,
    )
    return entry.attachments.get()


def test_an_internal_file_follows_the_kinds_rule_on_internal_notes(
    client, monkeypatch, requester, worker, record
):
    internal = _internal_file(record, worker)
    kind = kinds.kind_of(record)
    monkeypatch.setitem(kinds._KINDS, kind.prefix, replace(kind, can_see_internal=lambda user, rec: False))
    client.force_login(worker)

    assert client.get(_url(internal)).status_code == 404


def test_the_kernel_selector_gives_the_record_whose_timeline_shows_the_file(
    requester, worker, record, attachment
):
    internal = _internal_file(record, worker)

    assert record_attachment_get_for_user(user=requester, attachment_id=attachment.pk) == (attachment, record)
    assert record_attachment_get_for_user(user=worker, attachment_id=internal.pk) == (internal, record)
    with pytest.raises(NotFound):
        record_attachment_get_for_user(user=requester, attachment_id=internal.pk)


def test_a_record_the_user_may_not_see_is_reached_through_the_kinds_entry_host(
    monkeypatch, requester, other_requester, record, attachment
):
    """A kind may show a record's entries on another record's timeline (incidents: a merged duplicate's)."""
    host = chore_create(actor=other_requester, title="Where its entries are shown")
    kind = kinds.kind_of(record)
    hosts = []

    def entry_host(*, user, record_id):
        hosts.append((user, record_id))
        return host

    monkeypatch.setitem(kinds._KINDS, kind.prefix, replace(kind, entry_host=entry_host))

    assert record_attachment_get_for_user(user=other_requester, attachment_id=attachment.pk) == (
        attachment,
        host,
    )
    assert hosts == [(other_requester, record.pk)]


def test_a_file_on_a_record_of_no_registered_kind_is_not_found(client, superuser):
    entry = TimelineEntry.objects.create(
        content_type=ContentType.objects.get_for_model(superuser), object_id=superuser.pk, kind="comment"
    )
    stray = Attachment.objects.create(
        entry=entry, file="2026/01/stray.txt", name="stray.txt", media_type="text/plain", size=1,
        sha256=hashlib.sha256(b"x").hexdigest(),
    )  # fmt: skip
    client.force_login(superuser)

    assert client.get(_url(stray)).status_code == 404
    with pytest.raises(NotFound):
        record_attachment_get_for_user(user=superuser, attachment_id=stray.pk)


def test_an_api_of_one_model_finds_only_its_records_files(worker, attachment):
    with pytest.raises(NotFound):
        record_attachment_get_for_user(user=worker, attachment_id=attachment.pk, models=[ContentType])
    assert record_attachment_get_for_user(user=worker, attachment_id=attachment.pk, models=[Chore])
