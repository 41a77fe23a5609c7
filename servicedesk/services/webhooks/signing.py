"""Signing a body, and the reference check receivers implement."""

import hashlib
import hmac
import time


def webhook_signature(secret: str, timestamp: int, body: str | bytes) -> str:
    """The hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`."""
    if isinstance(body, str):
        body = body.encode()
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def webhook_signature_header(secret: str, body: str | bytes, timestamp: int | None = None) -> str:
    """The value of `X-ITSM-Signature`: `t=<unix time>,v1=<signature>`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={webhook_signature(secret, timestamp, body)}"


def webhook_verify(
    secret: str, header: str | None, body: str | bytes, tolerance: int = 300, now: float | None = None
) -> bool:
    """Whether `header` (`X-ITSM-Signature`) signs `body` (the exact bytes received) under `secret`,
    within `tolerance` seconds of `now`. The way a receiver checks a delivery; never raises."""
    timestamp, signatures = None, []
    for part in (header or "").split(","):
        key, sep, value = part.strip().partition("=")
        if key == "t" and sep:
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif key == "v1" and sep:
            signatures.append(value)
    if timestamp is None or not signatures or not secret:
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = webhook_signature(secret, timestamp, body).encode()
    return any(hmac.compare_digest(expected, signature.encode()) for signature in signatures)


# The transport
