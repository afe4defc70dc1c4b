from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rapport_contracts import Classification, ClassifiedMessage, Decision, Message, Reason
from rapport_handoff.adapters.webhook import retry_after_seconds
from rapport_router.packet import build_packet
from rapport_runtime.logs import redact

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def turn(i: int, author: str, text: str, score: float | None) -> ClassifiedMessage:
    message = Message(
        site="demo",
        conversation_id="c1",
        message_id=f"m{i}",
        author=author,  # type: ignore[arg-type]
        text=text,
        sent_at=T0 + timedelta(minutes=i),
    )
    c = None
    if score is not None:
        c = Classification(
            sentiment="negative" if score < 0 else "neutral",
            sentiment_score=score,
            frustration=0.0,
            complexity=0.1,
            complexity_level="low",
            classifier_version="t",
        )
    return ClassifiedMessage(message=message, classification=c)


def test_packet_carries_transcript_trend_and_reasons() -> None:
    history = [
        turn(1, "customer", "my order is late", -0.2),
        turn(2, "bot", "Sorry! Try again later.", None),
    ]
    current = turn(3, "customer", "third time, I want a person", -0.7)
    decision = Decision(
        decision_id="d1",
        site="demo",
        conversation_id="c1",
        message_id="m3",
        route="human",
        queue="support",
        priority="high",
        policy_id="default",
        policy_version="1",
        classifier_version="t",
        reasons=(
            Reason(
                rule="explicit-human-request", signal="human_request", value=0.95, threshold=0.5
            ),
        ),
    )
    packet = build_packet("h1", decision, current, history)
    assert [e.message_id for e in packet.transcript] == ["m1", "m2", "m3"]
    assert packet.sentiment_trend == (-0.2, -0.7)
    assert "explicit-human-request" in packet.summary
    assert "third time, I want a person" in packet.summary
    assert "-0.20 to -0.70" in packet.summary


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail me at jane.doe@example.com please", "mail me at [email] please"),
        ("card 4111 1111 1111 1111 was charged", "card [card] was charged"),
        ("call +44 20 7946 0958 now", "call [phone] now"),
        ("order 12345 is late", "order 12345 is late"),
        ("redis at 127.0.0.1:6379 and 10.20.30.40", "redis at 127.0.0.1:6379 and 10.20.30.40"),
        ("since 2026-11-26 10:00", "since 2026-11-26 10:00"),
    ],
)
def test_redaction(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_retry_after_accepts_seconds_and_dates() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
