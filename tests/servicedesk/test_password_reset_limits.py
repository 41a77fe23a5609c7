"""Password reset requests: the same work for known and unknown addresses, and limits per address and
per client address that answer the same page but send nothing."""

from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from servicedesk.models import OutboxMessage

from ..factories import UserFactory

RESET = "/password/reset/"


@pytest.fixture
def known(db):
    return UserFactory(username="dora", email="dora@example.com")


def _post(client, email, address="192.0.2.10"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=address)


def _reset(client, capture, email, address="192.0.2.10"):
    """Request a reset and run what the request queued (the worker's lookup, the outbox's delivery)."""
    with capture(execute=True):
        return _post(client, email, address)


def test_a_known_and_an_unknown_address_take_the_same_queries_and_queue_the_same_task(
    client, known, django_capture_on_commit_callbacks
):
    client.get(RESET)  # sessions, CSRF and caches warmed alike for both requests
    answers, queries, queued = [], [], []
    for email in ("dora@example.com", "nobody@example.com"):
        with (
            mock.patch("servicedesk.tasks.password_reset_send_task.delay") as delay,
            django_capture_on_commit_callbacks(execute=True),
            CaptureQueriesContext(connection) as captured,
        ):
            response = _post(client, email)
        answers.append((response.status_code, response.url))
        queries.append([query["sql"] for query in captured.captured_queries])
        queued.append(delay.call_args_list)

    assert answers[0] == answers[1] == (302, "/password/reset/sent/")
    assert len(queries[0]) == len(queries[1])
    assert queries[0] == queries[1]
    assert queued == [
        [mock.call("dora@example.com", "testserver", False)],
        [mock.call("nobody@example.com", "testserver", False)],
    ]
    assert OutboxMessage.objects.count() == 0  # the lookup is the worker's


def test_the_worker_writes_the_mail_for_a_known_address_only(
    client, known, django_capture_on_commit_callbacks
):
    _reset(client, django_capture_on_commit_callbacks, "nobody@example.com")
    assert mail.outbox == []

    _reset(client, django_capture_on_commit_callbacks, "DORA@example.com")
    assert [message.to for message in mail.outbox] == [["dora@example.com"]]


def test_the_fourth_reset_for_one_address_within_the_window_sends_no_mail(
    client, known, django_capture_on_commit_callbacks
):
    answers = [
        _reset(client, django_capture_on_commit_callbacks, "dora@example.com", f"192.0.2.{n}")
        for n in range(4)
    ]

    assert [(a.status_code, a.url) for a in answers] == [(302, "/password/reset/sent/")] * 4
    assert len(mail.outbox) == 3


def test_the_address_limit_counts_unknown_addresses_too(client, django_capture_on_commit_callbacks, db):
    with mock.patch("servicedesk.tasks.password_reset_send_task.delay") as delay:
        for n in range(4):
            _reset(client, django_capture_on_commit_callbacks, "nobody@example.com", f"192.0.2.{n}")

    assert delay.call_count == 3


def test_the_limit_per_address_is_a_setting(client, known, settings, django_capture_on_commit_callbacks):
    settings.ITSM_PASSWORD_RESET_PER_ADDRESS = 1

    for n in range(2):
        _reset(client, django_capture_on_commit_callbacks, "dora@example.com", f"192.0.2.{n}")

    assert len(mail.outbox) == 1


def test_one_client_address_is_limited_across_addresses(
    client, settings, django_capture_on_commit_callbacks, db
):
    settings.ITSM_PASSWORD_RESET_PER_CLIENT = 5
    people = [UserFactory(email=f"person{n}@example.com") for n in range(7)]

    answers = [_reset(client, django_capture_on_commit_callbacks, person.email) for person in people]

    assert [a.url for a in answers] == ["/password/reset/sent/"] * 7
    assert sorted(message.to[0] for message in mail.outbox) == sorted(p.email for p in people[:5])
    # Another client address is not held back by the first one's limit.
    _reset(client, django_capture_on_commit_callbacks, people[6].email, "198.51.100.7")
    assert len(mail.outbox) == 6


def test_the_window_starts_again_after_it_ends(client, known, settings, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    for n in range(4):
        _reset(client, django_capture_on_commit_callbacks, "dora@example.com", f"192.0.2.{n}")
    cache.clear()  # what the counters' expiry does at the end of the window

    _reset(client, django_capture_on_commit_callbacks, "dora@example.com")

    assert len(mail.outbox) == 4


def test_with_the_broker_down_the_request_does_the_lookup_itself(
    client, known, django_capture_on_commit_callbacks
):
    with mock.patch("servicedesk.tasks.password_reset_send_task.delay", side_effect=OSError("broker down")):
        response = _reset(client, django_capture_on_commit_callbacks, "dora@example.com")

    assert response.url == "/password/reset/sent/"
    assert [message.to for message in mail.outbox] == [["dora@example.com"]]
