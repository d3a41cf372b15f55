"""X-POS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>  (Stripe's scheme)."""
from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-POS-Signature"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str | None, body: bytes, tolerance_seconds: int = 300,
           now: int | None = None) -> bool:
    """For receivers: the signature matches and is recent (an old replayed delivery is refused).

    Whatever arrives in the header — nothing, non-ASCII, garbage, a timestamp of a thousand digits — the
    answer is False, never an exception: a receiver must not crash on what an attacker sends."""
    if not isinstance(header, str) or not header.isascii() or len(header) > 1000:
        return False
    if isinstance(body, str):
        body = body.encode()
    if not isinstance(body, (bytes, bytearray)) or not isinstance(secret, str) or not secret:
        return False
    pairs = [item.strip().partition("=") for item in header.split(",")]
    stamps = [value for key, sep, value in pairs if key == "t" and sep]
    signatures = [value for key, sep, value in pairs if key == "v1" and sep]
    if len(stamps) != 1 or not stamps[0].isdigit() or len(stamps[0]) > 12 or not signatures:
        return False
    timestamp = int(stamps[0])
    now = int(time.time()) if now is None else now
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, bytes(body), timestamp).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)
