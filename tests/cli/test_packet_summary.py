"""The handoff note a person reads first (issue 13, item 9): the summary says what the customer
wants and what the bot already tried, in two or three lines taken from the transcript; a fall
of a tenth or more is never "steady"; one turn's frustration never appears with two values; a
signal is never shown with empty evidence. Checked on packets built by the real classifier and
the real decision step, and on generated ones."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from rapport_contracts import (
    Classification,
    ClassifiedMessage,
    Decision,
    HandoffPacket,
    Message,
    Reason,
    Signal,
    Turn,
)
from rapport_handoff.adapters._note import (
    NO_EVIDENCE,
    SERIES_UNDER_WHY,
    render_note,
    trend_words,
)
from rapport_router.decision import Tuning, route_message
from rapport_router.packet import build_packet, trend_word
from rapport_router.state import RouterState
from rapport_runtime.config import demo_sites
from rapport_sentiment.classifier import classify, is_bot_fallback

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
FORMATS = ("text", "markdown", "html")


def turn(
    i: int,
    author: str,
    text: str,
    score: float | None = None,
    fallback: bool = False,
    frustration: float = 0.2,
    signals: tuple[Signal, ...] = (),
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
            frustration=frustration,
            complexity=0.3,
            complexity_level="low",
            classifier_version="t",
            signals=signals,
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
    assert lines[1].startswith("Already tried: the bot answered 2 time(s), 1 of them a fallback")
    assert (
        'its answers, latest first: "You can see your invoices under Settings > Billing."; '
        '"Sorry, I didn\'t understand that. Could you rephrase?"' in lines[1]
    )
    assert (
        "rule 'explicit-human-request': human_request 0.90 (threshold 0.50), 'I want a person'"
        in lines[2]
    )
    assert "+0.00 to -0.18 (falling) over 2 customer messages" in lines[2]
    assert "steady" not in summary


def test_in_the_note_each_summary_line_is_its_own_line_in_every_format() -> None:
    packet = build_packet("h1", decision(Reason(rule="r")), CURRENT, HISTORY)
    lines = packet.summary.splitlines()
    assert len(lines) == 3
    assert all(f"  {line}" in render_note(packet, "text").splitlines() for line in lines)
    assert all(f"- {line}" in render_note(packet, "markdown").splitlines() for line in lines)
    assert all(f"<li>{html.escape(line)}</li>" in render_note(packet, "html") for line in lines)


def test_a_signal_without_evidence_shows_no_empty_evidence_in_the_summary() -> None:
    why = Reason(rule="bot-failing", signal="bot_failures_in_row", value=2, threshold=2, detail="")
    summary = build_packet("h1", decision(why), CURRENT, HISTORY).summary
    assert "bot_failures_in_row 2 (threshold 2)." in summary
    assert "''" not in summary and "evidence" not in summary


def test_a_first_message_says_nothing_was_tried_yet_and_no_trend() -> None:
    first = turn(1, "customer", "I want to talk to a real person right now", -0.3)
    summary = build_packet("h1", decision(Reason(rule="r")), first, []).summary
    assert "Already tried: nothing; the bot had not answered yet." in summary
    assert "latest from the customer" not in summary  # the ask is the latest
    assert "Sentiment -0.30 (one customer message)." in summary
    assert "steady" not in summary and "went from" not in summary


# --- steady, falling, rising --------------------------------------------------------------

scores = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)


@given(scores, scores)
def test_steady_only_when_the_printed_values_differ_by_less_than_a_tenth(
    first: float, last: float
) -> None:
    shown = round(last, 2) - round(first, 2)
    note_word = trend_words((first, last)).split("(")[1].split(")")[0]
    assert note_word == trend_word(first, last), "the note and the summary disagree"
    if abs(shown) >= 0.1 - 1e-9:
        assert note_word == ("falling" if shown < 0 else "rising"), (first, last)
    else:
        assert note_word == "steady"


def test_the_issues_example_is_falling_in_the_note_and_the_summary() -> None:
    assert trend_words((0.0, -0.18)).startswith("+0.00 → -0.18 (falling)")
    assert trend_words((0.0, -0.096)).startswith("+0.00 → -0.10 (falling)")  # as printed
    assert "(steady)" in trend_words((0.1, 0.15))
    packet = build_packet("h1", decision(Reason(rule="r")), CURRENT, HISTORY)
    assert "(steady)" not in render_note(packet)


# --- one value per figure -----------------------------------------------------------------

_SERIES = re.compile(r"\d\.\d\d(?:\s*->\s*\d\.\d\d)+")
_CURRENT = re.compile(r"\bfrustration=(\d\.\d\d)")


def frustration_figures(note: str) -> list[list[str]]:
    """Every frustration series the note shows, as printed."""
    lines = note.replace("<li>", "\n").replace("<p>", "\n").splitlines()
    return [
        re.split(r"\s*->\s*", m.group())
        for line in lines
        if "frustration" in line
        for m in _SERIES.finditer(line)
    ]


def assert_one_value_per_turn(note: str) -> None:
    """Series end at the current turn: aligned from the end, they must agree; and a
    `frustration=` reason is the current turn's value."""
    series = frustration_figures(note)
    current = _CURRENT.findall(note)
    for a in series:
        for b in series:
            n = min(len(a), len(b))
            assert a[-n:] == b[-n:], f"one turn's frustration shown with two values:\n{note}"
        for value in current:
            assert a[-1] == value, f"frustration={value} but a series ends in {a[-1]}:\n{note}"


def converse(turns: list[tuple[str, str]]) -> tuple[HandoffPacket, list[float]]:
    """The conversation through the real classifier and decision step, to its first handoff;
    with the frustration recorded for each customer turn."""
    site = demo_sites().get("demo")
    assert site is not None
    state = RouterState()
    context: list[Turn] = []
    transcript: list[ClassifiedMessage] = []
    for i, (author, text) in enumerate(turns):
        message = Message(
            site="demo",
            conversation_id="c1",
            message_id=f"m{i}",
            author=author,  # type: ignore[arg-type]
            text=text,
            sent_at=T0 + timedelta(minutes=i),
        )
        classified = ClassifiedMessage(
            message=message,
            classification=classify(text, context) if author == "customer" else None,
            bot_fallback=author == "bot" and is_bot_fallback(text),
        )
        context.append(Turn(author=author, text=text))  # type: ignore[arg-type]
        transcript.append(classified)
        plan = route_message(classified, state, site, Tuning(), message.sent_at.timestamp())
        if plan.packet_request is not None:
            request = plan.packet_request
            recorded = [c.classification.frustration for c in transcript if c.classification]
            packet = build_packet(request.handoff_id, request.decision, classified, transcript)
            return packet, recorded
    raise AssertionError("no handoff")


RISING = [
    ("customer", "Hello, can you tell me the opening hours?"),
    ("bot", "We are open 9 to 5."),
    ("customer", "ok but the store on main street, is it open on sunday?"),
    ("bot", "Sorry, I didn't understand that. Could you rephrase?"),
    ("customer", "I asked a simple question, this is getting annoying"),
]

COMPLAINING = [
    ("customer", "Hello, can you tell me the opening hours?"),
    ("bot", "We are open 9 to 5."),
    ("customer", "ok but the store on main street, is it open on sunday?"),
    ("bot", "We are open 9 to 5."),
    ("customer", "this is getting annoying, I want to talk to a real person"),
]


def test_rising_frustration_shows_its_figures_once() -> None:
    packet, _ = converse(RISING)
    assert packet.decision.reasons[0].rule == "rising-frustration"
    [trend] = [s for s in packet.signals if s.name == "frustration_trend"]
    recorded = [e for e in packet.transcript if e.author == "customer"]
    assert len(recorded) == 3
    for fmt in FORMATS:
        note = render_note(packet, fmt)  # type: ignore[arg-type]
        assert_one_value_per_turn(html.unescape(note))
        assert len(frustration_figures(html.unescape(note))) == 1, note
        assert f"frustration_trend {trend.score:.2f} {SERIES_UNDER_WHY}" in html.unescape(note)
    summary = packet.summary.splitlines()
    assert 2 <= len(summary) <= 3
    assert summary[0].startswith('The customer wants: "Hello, can you tell me the opening hours?"')
    assert "1 of them a fallback" in summary[1]
    assert '"Sorry, I didn\'t understand that. Could you rephrase?"' in summary[1]


def test_a_trend_signal_beside_another_rule_shows_the_recorded_frustration() -> None:
    packet, recorded = converse(COMPLAINING)
    assert packet.decision.reasons[0].rule == "explicit-human-request"
    assert [s.name for s in packet.signals].count("frustration_trend") == 1
    note = render_note(packet)
    assert_one_value_per_turn(note)
    # The classifier's trail, rebuilt from the frustration recorded for each turn.
    [series] = frustration_figures(note)
    assert len(series) >= 3
    assert series == [f"{v:.2f}" for v in recorded][-len(series) :]


frustrations = st.lists(
    st.floats(min_value=0.0, max_value=1.0, allow_nan=False), min_size=2, max_size=6
)


@settings(max_examples=200, deadline=None)
@given(
    recorded=frustrations,
    estimate=frustrations,
    why=st.sampled_from(["rise", "level", "other"]),
    fmt=st.sampled_from(FORMATS),
)
def test_generated_notes_never_show_a_turn_with_two_frustration_values(
    recorded: list[float], estimate: list[float], why: str, fmt: str
) -> None:
    """The classifier's trail (its own re-estimate of the earlier turns) differs from what was
    recorded; whatever the rule, the note shows one value per turn."""
    trail = " -> ".join(f"{v:.2f}" for v in [*estimate[:-1], recorded[-1]])
    signal = Signal(name="frustration_trend", score=0.7, evidence=f"frustration {trail}")
    turns = [
        turn(i, "customer", f"message number {i} of the customer", -0.2, frustration=f)
        for i, f in enumerate(recorded[:-1])
    ]
    current = turn(
        len(recorded),
        "customer",
        "the last message of the customer",
        -0.5,
        frustration=recorded[-1],
        signals=(signal,),
    )
    shown = " -> ".join(f"{v:.2f}" for v in recorded[-3:])
    reason = {
        "rise": Reason(
            rule="rising-frustration",
            signal="frustration_rise",
            value=round(recorded[-1] - recorded[-3:][0], 3),
            threshold=0.3,
            detail=f"frustration over the last 3 customer turns: {shown}",
        ),
        "level": Reason(
            rule="angry", signal="frustration", value=recorded[-1], threshold=0.5, detail=""
        ),
        "other": Reason(rule="explicit-human-request", signal="human_request", value=0.9),
    }[why]
    packet = build_packet("h1", decision(reason), current, turns)
    note = html.unescape(render_note(packet, fmt))  # type: ignore[arg-type]
    assert_one_value_per_turn(note)


@settings(max_examples=100, deadline=None)
@given(
    evidence=st.lists(
        st.sampled_from(["", " ", "\t\n", "  \u3000", "talk to a real person", "x"]),
        min_size=1,
        max_size=5,
    ),
    fmt=st.sampled_from(FORMATS),
)
def test_a_signal_is_never_shown_with_empty_evidence(evidence: list[str], fmt: str) -> None:
    signals = tuple(
        Signal(name=f"signal_{i}", score=0.5, evidence=e) for i, e in enumerate(evidence)
    )
    packet = build_packet("h1", decision(Reason(rule="r")), CURRENT, HISTORY)
    packet = packet.model_copy(update={"signals": signals})
    note = html.unescape(render_note(packet, fmt))  # type: ignore[arg-type]
    lines = [line for line in note.replace("<li>", "\n").splitlines() if "signal_" in line]
    assert len(lines) == len(signals)
    for line, e in zip(lines, evidence, strict=True):
        assert '""' not in line and not re.search(r'"\s+"', line), line
        assert (NO_EVIDENCE in line) == (not e.strip()), line
