"""A cache outage never takes the API down (issue 12).

The cache is a private redis-server, as in production, which the test stops: the API keeps answering
(throttling is off, once logged), sign-in and pages work, /healthz reports the cache as failing, and the
throttles count again once Redis is back.
"""

import logging

import pytest
import redis

from servicedesk.api import throttling

from ..factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_cache(settings, redis_server):
    """The default cache on a running private redis-server, configured as itsm/settings/base.py does."""
    redis_server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url(),
            "KEY_PREFIX": "itsm",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    return redis_server


def _throttle_keys(server) -> list[bytes]:
    return redis.Redis.from_url(server.url()).keys("*throttle*")


def test_the_api_keeps_answering_while_the_cache_is_down(
    redis_cache, requester, agent, bearer_client, client, api_client, caplog, monkeypatch
):
    # However slow this machine, the calls below fall within one retry period of the breaker.
    monkeypatch.setattr(throttling, "CACHE_RETRY_SECONDS", 3600)
    integration = bearer_client(agent)
    assert integration.get("/api/v1/me/").status_code == 200
    assert _throttle_keys(redis_cache), "the throttles count in Redis while it is up"

    redis_cache.stop()
    caplog.set_level(logging.WARNING, logger="servicedesk.api.throttling")

    # Token authentication (and its last-used bookkeeping), reads, and a write with an idempotency key.
    assert integration.get("/api/v1/me/").status_code == 200
    assert integration.get("/api/v1/incidents/").status_code == 200
    created = integration.post(
        "/api/v1/incidents/",
        {"title": "Printer jams", "requester": requester.pk, "urgency": 2},
        format="json",
        HTTP_IDEMPOTENCY_KEY="printer-1",
    )
    assert created.status_code == 201, created.content
    # The token endpoints' own scoped throttle, a session-authenticated caller, an anonymous caller.
    assert integration.post("/api/v1/me/tokens/", {"name": "ci"}, format="json").status_code == 201
    api_client.force_authenticate(requester)
    assert api_client.get(f"/api/v1/incidents/{created.json()['number']}/").status_code == 200
    assert client.get("/api/schema/").status_code == 200
    # The web portal: sign-in (axes) and a page.
    assert client.post("/login/", {"username": "requester", "password": PASSWORD}).status_code == 302
    assert client.get("/").status_code == 200

    warnings = [r.getMessage() for r in caplog.records if r.name == "servicedesk.api.throttling"]
    assert len(warnings) == 1, "logged once while the cache stays down, not on every request"
    assert "API throttling is off" in warnings[0]

    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["checks"]["cache"]["ok"] is False
    assert health.json()["checks"]["database"]["ok"] is True


def test_throttling_resumes_when_the_cache_is_back(redis_cache, agent, bearer_client, settings, monkeypatch):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "10000/min", "user": "3/min", "tokens": "10000/min"},
    }
    monkeypatch.setattr(throttling, "CACHE_RETRY_SECONDS", 0)
    # The middle of a one-minute window, so that the four calls below count in one window.
    monkeypatch.setattr(throttling.UserRateThrottle, "timer", staticmethod(lambda: 1_800_000_030.0))
    integration = bearer_client(agent)
    redis_cache.stop()
    assert [integration.get("/api/v1/me/").status_code for _ in range(5)] == [200] * 5

    redis_cache.start()

    assert [integration.get("/api/v1/me/").status_code for _ in range(4)] == [200, 200, 200, 429]
