"""The handoff packet's summary (issue 13, item 9), which a person reads first: what the
customer wants, what the bot already tried, and why it came to them, from the transcript."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rapport_contracts import Classification, ClassifiedMessage, Decision, Message, Reason
from rapport_router.packet import build_packet

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def turn(
    i: int, author: str, text: str, score: float | None = None, fallback: bool = False
) -> ClassifiedMessage:
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
            sentiment="negative" if score < -0.05 else "neutral",
            sentiment_score=score,
            frustration=0.2,
            complexity=0.3,
            complexity_level="low",
            classifier_version="t",
        )
    return ClassifiedMessage(message=message, classification=c, bot_fallback=fallback)


def decision(*reasons: Reason) -> Decision:
    return Decision(
        decision_id="d1",
        site="demo",
        conversation_id="c1",
        message_id="m5",
        route="human",
        queue="support",
        priority="high",
        reasons=reasons,
        policy_id="default",
        policy_version="5",
        classifier_version="t",
    )


HISTORY = [
    turn(1, "customer", "hi"),
    turn(2, "customer", "I was charged twice for order 4471 this month", 0.0),
    turn(3, "bot", "Sorry, I didn't understand that. Could you rephrase?", fallback=True),
    turn(4, "bot", "You can see your invoices under Settings > Billing."),
]
CURRENT = turn(5, "customer", "That doesn't help, I want a person", -0.18)


def test_summary_says_what_the_customer_wants_and_what_was_tried() -> None:
    why = Reason(
        rule="explicit-human-request",
        signal="human_request",
        value=0.9,
        threshold=0.5,
        detail="evidence: 'I want a person'",
    )
    summary = build_packet("h1", decision(why), CURRENT, HISTORY).summary
    lines = summary.splitlines()
    assert 2 <= len(lines) <= 3, summary
    assert lines[0].startswith('The customer wants: "I was charged twice for order 4471')
    assert 'latest from the customer: "That doesn\'t help, I want a person"' in lines[0]
    assert "the bot answered 2 time(s), 1 of them a fallback" in lines[1]
    assert '"You can see your invoices under Settings > Billing."' in lines[1]
    assert (
        "rule 'explicit-human-request': human_request 0.9 (threshold 0.5), 'I want a person'"
        in (lines[2])
    )
    assert "+0.00 to -0.18 (falling)" in lines[2]
    assert "steady" not in summary


def test_a_signal_without_evidence_shows_no_empty_evidence() -> None:
    why = Reason(rule="bot-failing", signal="bot_failures_in_row", value=2, threshold=2, detail="")
    summary = build_packet("h1", decision(why), CURRENT, HISTORY).summary
    assert "bot_failures_in_row 2.0 (threshold 2.0)." in summary
    assert "''" not in summary and "evidence" not in summary


def test_a_first_message_says_nothing_was_tried_yet() -> None:
    first = turn(1, "customer", "I want to talk to a real person right now", -0.3)
    summary = build_packet("h1", decision(Reason(rule="r")), first, []).summary
    assert "Already tried: nothing; the bot had not answered yet." in summary
    assert "latest from the customer" not in summary  # the ask is the latest
