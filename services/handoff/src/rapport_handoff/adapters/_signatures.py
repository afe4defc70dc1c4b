"""Checking what a vendor's webhook proves about itself: headers read whatever their case, HMAC
digests, constant-time comparison and the freshness of a signed timestamp.

Every check raises :class:`InboundSignatureError` with a message that is safe to show to the
caller (it names the header, never the expected value).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import datetime

from rapport_handoff.adapters.base import InboundSignatureError
from rapport_runtime.signing import parse_unix_timestamp

Clock = Callable[[], float]  # unix seconds now; injected so tests need not sleep


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header, whatever the case of the mapping's keys."""
    value = headers.get(name)
    if value is None:
        lower = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lower), None)
    return value


def hmac_digest(secret: str, message: bytes, algorithm: str) -> bytes:
    return hmac.new(secret.encode(), message, getattr(hashlib, algorithm)).digest()


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def matches(expected: str, given: str | None) -> bool:
    """Constant-time equality of a computed signature and a header value."""
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").strip().encode())


def require_equal(expected: str, given: str | None, what: str) -> None:
    """Constant-time comparison; InboundSignatureError naming the header otherwise."""
    if not given:
        raise InboundSignatureError(f"missing {what} header")
    if not matches(expected, given):
        raise InboundSignatureError(f"{what} does not match the body; check the webhook secret")


def signed_at(timestamp: str, what: str, *, millis: bool = False) -> float:
    """A signed timestamp (unix seconds, milliseconds or ISO-8601) as unix seconds."""
    value = timestamp.strip()
    if value.isdigit():
        # Strict: ASCII digits of a sane length only ("²" and 309 digits pass isdigit()).
        seconds = parse_unix_timestamp(value, millis=millis)
        if seconds is None:
            raise InboundSignatureError(f"{what} is not a timestamp: {value[:40]!r}")
        return seconds
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError):
        raise InboundSignatureError(f"{what} is not a timestamp: {value!r}") from None


def require_fresh(
    timestamp: str | None, what: str, tolerance_s: int, now: float, *, millis: bool = False
) -> str:
    """The signed timestamp header, refused when further than ``tolerance_s`` from ``now``."""
    if not timestamp:
        raise InboundSignatureError(f"missing {what} header")
    skew = abs(now - signed_at(timestamp, what, millis=millis))
    if skew > tolerance_s:
        raise InboundSignatureError(
            f"{what} is {int(skew)} s away from now (limit {tolerance_s} s); a replay, or a "
            "clock problem"
        )
    return timestamp
