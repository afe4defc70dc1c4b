from __future__ import annotations

import hashlib
import hmac

import pytest

from rapport_runtime.signing import (
    SignatureError,
    parse_digits,
    parse_unix_timestamp,
    sign,
    signature,
    verify,
)

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


@pytest.mark.parametrize(
    "timestamp",
    [
        "²",
        "٣",
        "\uff11\uff17",
        "9" * 309,
        "9" * 13,
        "-1",
        "+1",
        "1.5",
        "1e9",
        "0x1",
        "1_0",
        "\u0661\u0667\u0660\u0660",
    ],
)
def test_hostile_timestamps_are_a_signature_error_not_a_crash(timestamp: str) -> None:
    given = signature("s3cret", timestamp, BODY)
    with pytest.raises(SignatureError, match="ASCII digits"):
        verify("s3cret", timestamp, given, BODY, now=1_700_000_000)


@pytest.mark.parametrize(
    ("value", "max_digits", "expected"),
    [
        ("1700000000", 12, 1700000000),
        (" 1700000000\t", 12, 1700000000),
        ("0", 1, 0),
        ("123", 2, None),
        ("²", 5, None),
        ("٣", 5, None),
        ("", 5, None),
        (None, 5, None),
        ("9" * 309, 400, int("9" * 309)),
        ("1 2", 5, None),
        ("-1", 5, None),
    ],
)
def test_parse_digits_is_strict(value: str | None, max_digits: int, expected: int | None) -> None:
    assert parse_digits(value, max_digits=max_digits) == expected


def test_unix_timestamps_in_seconds_and_milliseconds() -> None:
    assert parse_unix_timestamp("1700000000") == 1_700_000_000.0
    assert parse_unix_timestamp("1700000000123", millis=True) == pytest.approx(1_700_000_000.123)
    assert parse_unix_timestamp("9" * 309) is None
    assert parse_unix_timestamp("9" * 309, millis=True) is None
    assert parse_unix_timestamp("1700000000123") is None  # 13 digits are not seconds
