"""The handoff note a person reads first: a small fall is not called steady, and a signal is
never shown with empty evidence."""

from __future__ import annotations

from datetime import UTC, datetime

from rapport_contracts import Message, Signal
from rapport_handoff.adapters._note import NO_EVIDENCE, render_note, trend_words
from tests.handoff.adapters.contract import make_packet


def test_a_fall_of_a_fifth_point_is_falling_not_steady() -> None:
    assert "(falling)" in trend_words((0.0, -0.18))
    assert "(rising)" in trend_words((-0.5, -0.3))
    assert "(steady)" in trend_words((0.1, 0.15))


def test_a_signal_without_evidence_says_so() -> None:
    message = Message(
        site="demo",
        conversation_id="c1",
        message_id="m1",
        author="customer",
        text="hello",
        sent_at=datetime(2026, 11, 26, 10, tzinfo=UTC),
    )
    silent = (Signal(name="bot_failure", score=0.7), Signal(name="x", score=0.5, evidence=" "))
    packet = make_packet(message).model_copy(update={"signals": silent})
    note = render_note(packet)
    assert note.count(NO_EVIDENCE) == 2
    assert '""' not in note
