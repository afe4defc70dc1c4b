from __future__ import annotations

import hashlib
import hmac

import pytest

from rapport_runtime.signing import SignatureError, sign, signature, verify

BODY = b'{"conversation_id":"c1"}'


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(b"s3cret", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert signature("s3cret", "1700000000", BODY) == f"sha256={expected}"


def test_signed_request_verifies() -> None:
    headers = sign("s3cret", BODY, now=1_700_000_000)
    verify(
        "s3cret",
        headers["X-Rapport-Timestamp"],
        headers["X-Rapport-Signature"],
        BODY,
        now=1_700_000_100,
    )


@pytest.mark.parametrize(
    ("secret", "body", "now", "match"),
    [
        ("wrong", BODY, 1_700_000_000, "does not match"),
        ("s3cret", BODY + b" ", 1_700_000_000, "does not match"),
        ("s3cret", BODY, 1_700_000_301, "300 s"),
        ("s3cret", BODY, 1_699_999_699, "300 s"),
    ],
    ids=["wrong-secret", "tampered-body", "too-old", "from-the-future"],
)
def test_refusals(secret: str, body: bytes, now: int, match: str) -> None:
    headers = sign("s3cret", BODY, now=1_700_000_000)
    with pytest.raises(SignatureError, match=match):
        verify(
            secret, headers["X-Rapport-Timestamp"], headers["X-Rapport-Signature"], body, now=now
        )


@pytest.mark.parametrize(
    ("timestamp", "given", "match"),
    [
        (None, "sha256=00", "missing"),
        ("1700000000", None, "missing"),
        ("soon", "x", "unix seconds"),
    ],
)
def test_malformed_headers(timestamp: str | None, given: str | None, match: str) -> None:
    with pytest.raises(SignatureError, match=match):
        verify("s3cret", timestamp, given, BODY, now=1_700_000_000)
