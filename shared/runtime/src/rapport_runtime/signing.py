"""Rapport's webhook signature, used both ways: helpdesks and bots sign what they send to
Rapport, and Rapport signs what its ``webhook`` adapter sends out.

``X-Rapport-Timestamp: <unix seconds>`` and
``X-Rapport-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>``.
Signing the timestamp with the body stops an old request from being replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Rapport-Timestamp"
SIGNATURE_HEADER = "X-Rapport-Signature"
SCHEME = "sha256="


class SignatureError(ValueError):
    """Why a request's signature was refused; safe to show to the caller."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SCHEME + mac.hexdigest()


def sign(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The headers that sign ``body``."""
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}


def verify(
    secret: str,
    timestamp: str | None,
    given: str | None,
    body: bytes,
    *,
    tolerance_s: int = 300,
    now: float | None = None,
) -> None:
    """Raise :class:`SignatureError` unless the headers sign ``body`` with ``secret``."""
    if not timestamp or not given:
        raise SignatureError(
            f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header; sign the raw body as "
            f'HMAC-SHA256(secret, "<timestamp>." + body) and send "sha256=<hex>"'
        )
    if not timestamp.isdigit():
        raise SignatureError(f"{TIMESTAMP_HEADER} must be whole unix seconds, got {timestamp!r}")
    skew = abs((time.time() if now is None else now) - int(timestamp))
    if skew > tolerance_s:
        raise SignatureError(
            f"{TIMESTAMP_HEADER} is {int(skew)} s away from now (limit {tolerance_s} s); "
            "check the sender's clock and sign each request when it is sent"
        )
    if not hmac.compare_digest(signature(secret, timestamp, body).encode(), given.encode()):
        raise SignatureError("signature does not match the body; check the site's secret")
