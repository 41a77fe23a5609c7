"""`Idempotency-Key` on creating POSTs: a retry replays the first answer and creates nothing twice."""

import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.client import encode_multipart
from django.utils import timezone
from rest_framework.test import APIClient

from incidents import services
from incidents.models import Incident
from servicedesk.models import Attachment, IdempotencyKey, TimelineEntry
from servicedesk.services.idempotency import idempotency_keys_purge
from servicedesk.tasks import idempotency_keys_purge_task

from .helpers import assert_error

INCIDENTS = "/api/v1/incidents/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _attachment_root(settings, tmp_path):
    settings.ITSM_ATTACHMENT_ROOT = tmp_path / "attachments"


def post(client, path, data, key=None, **kwargs):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    kwargs.setdefault("format", "json")
    return client.post(path, data, **headers, **kwargs)


def test_a_retried_create_replays_the_first_answer_and_creates_nothing(requester, api_as):
    client = api_as(requester)

    first = post(client, INCIDENTS, {"title": "Disk full"}, key="create-1")
    second = post(client, INCIDENTS, {"title": "Disk full"}, key="create-1")

    assert first.status_code == second.status_code == 201, first.content
    assert second.json() == first.json()
    assert second["Location"] == first["Location"]
    assert second["ETag"] == first["ETag"]
    assert second["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Incident.objects.count() == 1
    row = IdempotencyKey.objects.get()
    assert (row.user, row.key, row.method, row.path, row.status_code) == (
        requester,
        "create-1",
        "POST",
        INCIDENTS,
        201,
    )


def test_the_same_key_with_another_body_answers_422(requester, api_as):
    client = api_as(requester)
    post(client, INCIDENTS, {"title": "Disk full"}, key="k")

    response = post(client, INCIDENTS, {"title": "Disk almost full"}, key="k")

    assert_error(response, 422, "idempotency_key_reused")
    assert Incident.objects.count() == 1


def test_the_same_key_on_another_path_answers_422(requester, api_as):
    client = api_as(requester)
    record = Incident.objects.get(number=post(client, INCIDENTS, {"title": "x"}, key="k").json()["number"])

    response = post(client, f"{INCIDENTS}{record.number}/comments/", {"title": "x"}, key="k")

    assert_error(response, 422, "idempotency_key_reused")
    assert not TimelineEntry.objects.filter(kind="comment").exists()


def test_without_a_key_every_post_creates(requester, api_as):
    client = api_as(requester)

    post(client, INCIDENTS, {"title": "Disk full"})
    post(client, INCIDENTS, {"title": "Disk full"})

    assert Incident.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


def test_a_failed_first_attempt_does_not_use_up_the_key(requester, api_as):
    client = api_as(requester)

    failed = post(client, INCIDENTS, {"title": ""}, key="retry-me")
    assert_error(failed, 400, "validation_error")
    assert not IdempotencyKey.objects.exists()

    fixed = post(client, INCIDENTS, {"title": "Disk full"}, key="retry-me")
    replayed = post(client, INCIDENTS, {"title": "Disk full"}, key="retry-me")

    assert fixed.status_code == 201
    assert replayed["Idempotent-Replayed"] == "true"
    assert Incident.objects.count() == 1


def test_a_refused_write_rolls_back_with_its_key(requester, api_as):
    client = api_as(requester)
    record = services.incident_create(actor=requester, title="x")
    path = f"{INCIDENTS}{record.number}/transitions/"

    refused = post(
        client, path, {"to": "resolved", "resolution_code": "solved", "resolution_notes": "x"}, key="t"
    )

    assert_error(refused, 403)
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "tab\there", "new\x7fline"])
def test_a_malformed_key_answers_400(key, requester, api_as):
    response = post(api_as(requester), INCIDENTS, {"title": "Disk full"}, key=key)

    assert_error(response, 400, "invalid_idempotency_key")
    assert not Incident.objects.exists()


def test_the_longest_and_oddest_printable_keys_are_accepted(requester, api_as):
    client = api_as(requester)

    assert post(client, INCIDENTS, {"title": "a"}, key="~" * 255).status_code == 201
    assert post(client, INCIDENTS, {"title": "b"}, key=" !\"#$%&'()*+,-./").status_code == 201


def test_keys_belong_to_their_user(requester, other_requester, api_as):
    post(api_as(requester), INCIDENTS, {"title": "Disk full"}, key="shared")

    response = post(APIClient(), INCIDENTS, {"title": "Disk full"}, key="shared")
    assert response.status_code == 401
    client = APIClient()
    client.force_authenticate(other_requester)
    theirs = post(client, INCIDENTS, {"title": "Disk full"}, key="shared")

    assert theirs.status_code == 201
    assert not theirs.has_header("Idempotent-Replayed")
    assert Incident.objects.count() == 2


def test_a_key_older_than_the_ttl_counts_as_unused(requester, api_as, settings):
    settings.ITSM_IDEMPOTENCY_TTL_HOURS = 24
    client = api_as(requester)
    post(client, INCIDENTS, {"title": "Disk full"}, key="old")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))

    again = post(client, INCIDENTS, {"title": "Another body"}, key="old")

    assert again.status_code == 201
    assert not again.has_header("Idempotent-Replayed")
    assert Incident.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1


def test_comments_and_transitions_replay_too(requester, agent, api_as):
    record = services.incident_create(actor=requester, title="x")
    as_requester, as_agent = api_as(requester), None
    comments = f"{INCIDENTS}{record.number}/comments/"

    first = post(as_requester, comments, {"body": "Hello"}, key="c1")
    second = post(as_requester, comments, {"body": "Hello"}, key="c1")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert TimelineEntry.objects.filter(kind="comment").count() == 1
    as_agent = api_as(agent)
    transitions = f"{INCIDENTS}{record.number}/transitions/"
    started = post(as_agent, transitions, {"to": "in_progress"}, key="t1")
    retried = post(as_agent, transitions, {"to": "in_progress"}, key="t1")
    assert started.status_code == retried.status_code == 200
    assert retried.json()["status"] == "in_progress"
    assert retried["Idempotent-Replayed"] == "true"


def test_a_multipart_retry_with_a_new_boundary_replays(requester, api_as):
    record = services.incident_create(actor=requester, title="x")
    client = api_as(requester)
    path = f"{INCIDENTS}{record.number}/attachments/"

    answers = []
    for boundary in ("boundary-one", "boundary-two"):
        body = encode_multipart(boundary, {"files": SimpleUploadedFile("a.png", PNG), "is_public": "true"})
        answers.append(
            client.post(
                path,
                body,
                content_type=f"multipart/form-data; boundary={boundary}",
                HTTP_IDEMPOTENCY_KEY="upload-1",
            )
        )

    assert answers[0].status_code == answers[1].status_code == 201, answers[0].content
    assert answers[1]["Idempotent-Replayed"] == "true"
    assert Attachment.objects.count() == 1
    other = encode_multipart("b", {"files": SimpleUploadedFile("a.png", PNG + b"x")})
    changed = client.post(
        path, other, content_type="multipart/form-data; boundary=b", HTTP_IDEMPOTENCY_KEY="upload-1"
    )
    assert_error(changed, 422, "idempotency_key_reused")


def test_purge_deletes_expired_keys_in_batches(requester, settings):
    settings.ITSM_IDEMPOTENCY_TTL_HOURS = 24
    for n in range(7):
        IdempotencyKey.objects.create(
            user=requester, key=f"k{n}", method="POST", path="/", request_digest="0"
        )
    IdempotencyKey.objects.filter(key__in=[f"k{n}" for n in range(5)]).update(
        created_at=timezone.now() - timedelta(hours=30)
    )

    assert idempotency_keys_purge(batch_size=2) == 5
    assert sorted(IdempotencyKey.objects.values_list("key", flat=True)) == ["k5", "k6"]
    assert idempotency_keys_purge() == 0


def test_the_purge_task_is_named_for_the_beat_schedule(requester, settings):
    IdempotencyKey.objects.create(user=requester, key="k", method="POST", path="/", request_digest="0")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(days=3))

    assert idempotency_keys_purge_task.name == "servicedesk.idempotency_keys_purge"
    assert idempotency_keys_purge_task.delay().get() == 1
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("postgresql" not in connection.settings_dict["ENGINE"], reason="row locks: PostgreSQL")
def test_concurrent_duplicates_create_one_record(requester):
    barrier = threading.Barrier(4)
    answers = []

    def send():
        client = APIClient()
        client.force_authenticate(requester)
        barrier.wait()
        try:
            answers.append(post(client, INCIDENTS, {"title": "Disk full"}, key="race"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [answer.status_code for answer in answers] == [201] * 4
    assert len({answer.json()["number"] for answer in answers}) == 1
    assert sum(answer.has_header("Idempotent-Replayed") for answer in answers) == 3
    assert Incident.objects.count() == 1
