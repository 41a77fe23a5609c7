"""API throttles: an atomic counter per client and window, and a client address that cannot be forged
(issue 12)."""

import threading
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIRequestFactory

from servicedesk.api.throttling import AnonRateThrottle, UserRateThrottle
from servicedesk.models import AuditEvent

from ..factories import UserFactory

# The middle of a one-minute window: the parallel calls below all fall in the same window.
MID_WINDOW = 1_800_000_030.0


def _rates(settings, num_proxies=None, **rates):
    """Throttle rates for the test, and the number of trusted proxies when given (else the default)."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "10000/min", "user": "10000/min", "tokens": "10000/min", **rates},
        **({"NUM_PROXIES": num_proxies} if num_proxies is not None else {}),
    }


@pytest.fixture(
    params=[
        "locmem",
        # Other threads must see the table and its rows: no test transaction around them. (A marker, not
        # getfixturevalue: pytest-django sets the test database up only for what it sees at collection.)
        pytest.param("database", marks=pytest.mark.django_db(transaction=True)),
        "redis",
    ]
)
def shared_cache(request, settings):
    """The default cache, shared by the threads of this process: each backend the desk runs on."""
    if request.param == "locmem":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    elif request.param == "database":
        settings.CACHES = {
            "default": {"BACKEND": "servicedesk.cache.DatabaseCache", "LOCATION": "itsm_test_cache"}
        }
        call_command("createcachetable")
    else:
        server = request.getfixturevalue("redis_server")
        server.start()
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": server.url()}
        }
    return request.param


def _in_parallel(threads: int, calls: int, call) -> list:
    """`call()` made `calls` times by each of `threads` threads released together; every answer."""
    answers, barrier = [], threading.Barrier(threads)

    def run():
        try:
            barrier.wait()
            answers.extend(call() for _ in range(calls))
        finally:
            connection.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return answers


def test_parallel_requests_never_pass_the_users_rate(shared_cache, settings, monkeypatch):
    _rates(settings, user="50/min")
    monkeypatch.setattr(UserRateThrottle, "timer", staticmethod(lambda: MID_WINDOW))
    request = SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=7), META={})

    answers = _in_parallel(16, 10, lambda: UserRateThrottle().allow_request(request, view=None))

    assert len(answers) == 160
    assert answers.count(True) == 50


def test_the_window_ends_and_the_client_is_told_when(settings, monkeypatch):
    _rates(settings, user="2/min")
    now = [MID_WINDOW]
    monkeypatch.setattr(UserRateThrottle, "timer", staticmethod(lambda: now[0]))
    request = SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=7), META={})
    throttle = UserRateThrottle()

    assert [throttle.allow_request(request, None) for _ in range(3)] == [True, True, False]
    assert throttle.wait() == 30  # the window started 30 s ago

    now[0] += 30
    assert throttle.allow_request(request, None) is True, "a new window counts from zero"


def _anonymous(remote_addr: str, forwarded_for: str | None = None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    request = APIRequestFactory().get("/api/schema/", **extra)
    request.user = AnonymousUser()
    return request


def test_rotating_x_forwarded_for_does_not_reset_the_anonymous_count(settings, client, monkeypatch):
    _rates(settings, anon="3/min")
    # One window for all four requests, however slowly the machine answers them.
    monkeypatch.setattr(AnonRateThrottle, "timer", staticmethod(lambda: MID_WINDOW))

    peer = {"REMOTE_ADDR": "192.0.2.10"}
    statuses = [
        client.get("/api/schema/", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}", **peer).status_code
        for i in range(4)
    ]

    assert statuses == [200, 200, 200, 429]
    assert client.get("/api/schema/", REMOTE_ADDR="192.0.2.11").status_code == 200, "counted per address"


def test_with_no_proxy_the_client_is_the_peer_whatever_it_forwards(settings):
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.ITSM_TRUSTED_PROXY_COUNT == 0, "the default"
    throttle = AnonRateThrottle()

    assert throttle.get_ident(_anonymous("192.0.2.10", "203.0.113.1, 203.0.113.2")) == "192.0.2.10"


def test_with_one_proxy_the_right_most_forwarded_address_is_the_client(settings):
    _rates(settings, num_proxies=1, anon="2/min")
    throttle = AnonRateThrottle()
    proxy = "10.0.0.2"

    # The proxy appends the address it saw; whatever the client wrote before it does not matter.
    assert throttle.get_ident(_anonymous(proxy, "198.51.100.7, 203.0.113.9")) == "203.0.113.9"
    answers = [
        throttle.allow_request(_anonymous(proxy, f"198.51.100.{i}, 203.0.113.9"), None) for i in range(3)
    ]
    assert answers == [True, True, False]
    assert throttle.allow_request(_anonymous(proxy, "203.0.113.10"), None) is True, "another client"


@pytest.mark.django_db
def test_the_sign_in_lock_out_counts_the_same_client_address(settings, client):
    _rates(settings, num_proxies=1)
    UserFactory(username="dora")
    behind_proxy = {"REMOTE_ADDR": "10.0.0.2"}

    for attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/login/",
            {"username": "dora", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}, 203.0.113.9",
            **behind_proxy,
        )

    locked = AuditEvent.objects.get(action="user.locked_out")
    assert locked.data == {"username": "dora", "ip_address": "203.0.113.9"}


@pytest.mark.django_db
@pytest.mark.parametrize(("num_proxies", "logged"), [(None, "192.0.2.10"), (1, "203.0.113.9")])
def test_the_request_log_records_the_client_address_the_throttles_count(
    num_proxies, logged, settings, client, caplog
):
    _rates(settings, num_proxies=num_proxies)
    caplog.set_level("INFO", logger="django_structlog")

    client.get("/healthz", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9")

    events = [
        r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == "request_started"
    ]
    assert events, caplog.records
    assert {event["ip"] for event in events} == {logged}, "never the address the client wrote first"
