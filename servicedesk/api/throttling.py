"""DRF's throttles on an atomic fixed-window counter that fails open when the cache is down.

DRF's own throttles keep a list of request times per client and write it back after reading it, so
parallel requests all read the same list and all pass. Here each client has one counter per window,
created with `cache.add` and counted with `cache.incr`: Redis counts with INCR, the locmem cache under its
lock and our database cache (servicedesk.cache) under a row lock, so no two requests get the same number.

A throttle is a safeguard, not a reason to refuse service: when the cache cannot be reached the request
passes, the failure is logged, and the cache is left alone for CACHE_RETRY_SECONDS (one failed call per
process per period rather than one per request) before it is tried again. /healthz still reports it.
"""

import logging
import threading
import time

from rest_framework import throttling
from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)

CACHE_RETRY_SECONDS = 10.0


class _CacheBreaker:
    """Whether the throttles should use the cache now: not for a while after it failed."""

    def __init__(self):
        self._lock = threading.Lock()
        self._retry_at = 0.0

    def closed(self) -> bool:
        return time.monotonic() >= self._retry_at

    def reset(self) -> None:
        self._retry_at = 0.0

    def trip(self, exc: Exception) -> None:
        with self._lock:
            first = self.closed()
            self._retry_at = time.monotonic() + CACHE_RETRY_SECONDS
        if first:
            logger.warning(
                "API throttling is off for %ss: the cache failed (%s: %s)",
                CACHE_RETRY_SECONDS,
                type(exc).__name__,
                exc,
            )


cache_breaker = _CacheBreaker()


def client_ip(request) -> str | None:
    """The client's address as the throttles count it, and as axes locks it out (AXES_CLIENT_IP_CALLABLE).

    REMOTE_ADDR, or behind ITSM_TRUSTED_PROXY_COUNT reverse proxies (DRF's NUM_PROXIES) the address in
    X-Forwarded-For that the outermost trusted proxy saw: a client cannot choose it by sending the header.
    """
    return throttling.BaseThrottle().get_ident(request)


class _FixedWindow:
    """The counting shared by the three throttles below (mixed in before DRF's class)."""

    def get_rate(self):
        # Read when used, so that a settings change applies at once.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None or not cache_breaker.closed():
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.window_ends_at = (window + 1) * self.duration
        key = f"{self.key}:{window}"
        try:
            # Kept for two windows, so the counter cannot expire while its window is still counting.
            self.cache.add(key, 0, timeout=2 * self.duration)
            count = self.cache.incr(key)
        except Exception as exc:  # noqa: BLE001 - any cache failure (Redis, database) lets the request pass
            cache_breaker.trip(exc)
            return True
        return count <= self.num_requests

    def wait(self):
        """Seconds until the window ends and the client may call again (the Retry-After header)."""
        return max(self.window_ends_at - self.timer(), 0)


class AnonRateThrottle(_FixedWindow, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_FixedWindow, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(_FixedWindow, throttling.ScopedRateThrottle):
    def allow_request(self, request, view):
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
