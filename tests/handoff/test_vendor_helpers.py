"""The adapters' shared helpers, by purpose: vendor timestamps, signature freshness against an
injected clock, and the shared-token rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rapport_handoff.adapters._signatures import require_fresh
from rapport_handoff.adapters._time import parse_time
from rapport_handoff.adapters.base import InboundSignatureError
from rapport_handoff.adapters.zendesk_messaging import postback_words

NOON = datetime(2020, 3, 3, 13, 5, 57, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2020-03-03 13:05:57 UTC",  # Chatwoot's published webhook sample (Ruby Time#to_s)
        "2020-03-03T13:05:57Z",
        "2020-03-03T13:05:57.000+0000",  # Jira
        "2020-03-03T13:05:57.000000000Z",  # Zendesk (nanoseconds)
        "2020-03-03 13:05:57 +0000",
        "2020-03-03T14:05:57+01:00",
        1583240757,
        "1583240757000",
    ],
)
def test_every_vendor_time_format_is_read(value: object) -> None:
    assert parse_time(value) == NOON


@pytest.mark.parametrize("value", [None, "", "soon", True, {"at": 1}])
def test_what_is_not_a_time_is_none(value: object) -> None:
    assert parse_time(value) is None


def test_freshness_is_judged_against_the_given_clock() -> None:
    assert require_fresh("1000", "X-Ts", 5, now=1004.0) == "1000"
    with pytest.raises(InboundSignatureError, match="6 s away"):
        require_fresh("1000", "X-Ts", 5, now=1006.0)
    with pytest.raises(InboundSignatureError, match="missing X-Ts"):
        require_fresh(None, "X-Ts", 5, now=1000.0)


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ("TALK_TO_AGENT", "talk to agent"),
        ("talk-to-a-human", "talk to a human"),
        ("Greet", "Greet"),
    ],
)
def test_postback_payloads_read_as_words(payload: str, words: str) -> None:
    assert postback_words(payload) == words
