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
# Unix seconds have 10 digits until the year 2286, milliseconds 13: anything longer is not a
# timestamp, and converting it would only risk an OverflowError.
MAX_SECONDS_DIGITS = 12
MAX_MILLIS_DIGITS = 15


class SignatureError(ValueError):
    """Why a request's signature was refused; safe to show to the caller."""


def parse_digits(value: str | None, *, max_digits: int) -> int | None:
    """``value`` as a non-negative integer when it is 1 to ``max_digits`` ASCII digits
    (surrounding spaces and tabs allowed, as HTTP allows them around header values); None for
    anything else. Never raises: ``"²"`` and ``"٣"`` pass ``str.isdigit()`` but are refused here,
    and so is a 309-digit number."""
    if value is None:
        return None
    text = value.strip(" \t")
    if not 0 < len(text) <= max_digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def parse_unix_timestamp(value: str | None, *, millis: bool = False) -> float | None:
    """A header's unix timestamp (seconds, or milliseconds when ``millis``) as float seconds;
    None when it is not strictly ASCII digits of a sane length. For vendor timestamp headers
    (``X-Chatwoot-Timestamp``, ``X-Front-Request-Timestamp``, ...) as much as for Rapport's."""
    number = parse_digits(value, max_digits=MAX_MILLIS_DIGITS if millis else MAX_SECONDS_DIGITS)
    if number is None:
        return None
    return number / 1000 if millis else float(number)


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
    when = parse_unix_timestamp(timestamp)
    if when is None:
        raise SignatureError(
            f"{TIMESTAMP_HEADER} must be whole unix seconds (ASCII digits, at most "
            f"{MAX_SECONDS_DIGITS}), got {timestamp[:40]!r}"
        )
    skew = abs((time.time() if now is None else now) - when)
    if skew > tolerance_s:
        raise SignatureError(
            f"{TIMESTAMP_HEADER} is {int(skew)} s away from now (limit {tolerance_s} s); "
            "check the sender's clock and sign each request when it is sent"
        )
    if not hmac.compare_digest(signature(secret, timestamp, body).encode(), given.encode()):
        raise SignatureError("signature does not match the body; check the site's secret")
