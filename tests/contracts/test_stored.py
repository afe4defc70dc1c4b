"""The deflated stored form (issue 14, 2026-12-03 evening, ``RAPPORT_STORED_FORM=deflate``):
every event reads back equal from it, through ``Model.read`` and with nothing but zlib; values
in the other forms pass through unchanged; a damaged value is a clear validation error; the
dictionary is pinned (a value deflated with it needs it byte for byte forever)."""

from __future__ import annotations

import hashlib
import json
import zlib
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from rapport_contracts import (
    AutomationInstruction,
    Classification,
    ClassifiedMessage,
    Decision,
    Event,
    HandoffPacket,
    HandoffResult,
    Message,
    Reason,
    Signal,
    TranscriptEntry,
    Turn,
)
from rapport_contracts.stored import (
    DICTIONARY_V1,
    MARKER,
    WINDOW_BITS,
    deflate,
    expand,
    is_deflated,
)
from tests.contracts.test_compact import OLD_CLASSIFIED, OLD_DECISION

T0 = datetime(2026, 12, 3, 16, 5, 7, 123456, tzinfo=UTC)
# Changing DICTIONARY_V1 would make every value deflated with it unreadable: a new dictionary
# is a new marker (~2) beside this one.
DICTIONARY_V1_SHA256 = "04d04f4163e1e00bdf18cf5153d51540870e9880aa52788d06dbc4d68ca70ebd"


def classified(
    text: str = "The invoice charged me twice, I want my money back",
) -> ClassifiedMessage:
    message = Message(
        site="shop",
        conversation_id="conv-77",
        message_id="msg-77-3",
        author="customer",
        text=text,
        sent_at=T0,
        received_at=T0,
    )
    return ClassifiedMessage(
        message=message,
        classification=Classification(
            sentiment="negative",
            sentiment_score=-0.5123,
            frustration=0.4,
            complexity=0.3,
            complexity_level="medium",
            signals=(Signal(name="billing_dispute", score=0.4, evidence="money back"),),
            language_confidence=0.9,
            language_source="detected",
            classifier_version="lexicon-3.5",
        ),
    )


def decision() -> Decision:
    return Decision(
        decision_id="dec_1f2e3d4c5b6a79880a1b2c3d",
        site="shop",
        conversation_id="conv-77",
        message_id="msg-77-3",
        route="human",
        queue="billing",
        priority="high",
        reasons=(
            Reason(
                rule="billing-negative",
                signal="sentiment_score",
                value=-0.51,
                threshold=-0.05,
                detail="sentiment_score <= -0.05",
            ),
        ),
        policy_id="default",
        policy_version="5",
        classifier_version="lexicon-3.5",
        decided_at=T0,
    )


def events() -> list[Event]:
    c, d = classified(), decision()
    return [
        c,
        d,
        AutomationInstruction(
            instruction_id="ins_1", site="shop", conversation_id="conv-77", action="hold", at=T0
        ),
        HandoffResult(
            handoff_id="hof_1",
            site="shop",
            conversation_id="conv-77",
            decision_id=d.decision_id,
            adapter="webhook",
            status="delivered",
            attempts=1,
            detail="HTTP 200",
            at=T0,
        ),
        HandoffPacket(
            handoff_id="hof_1",
            site="shop",
            conversation_id="conv-77",
            decision=d,
            summary="The customer was charged twice.",
            transcript=(
                TranscriptEntry(
                    message_id="msg-77-3", author="customer", text=c.message.text, sent_at=T0
                ),
            ),
            sentiment_trend=(-0.51,),
        ),
    ]


def test_the_dictionary_is_pinned() -> None:
    assert hashlib.sha256(DICTIONARY_V1).hexdigest() == DICTIONARY_V1_SHA256
    # It fits the window with room for the start of an entry.
    assert len(DICTIONARY_V1) < 2**WINDOW_BITS


def test_the_dictionary_is_made_of_our_synthetic_events() -> None:
    """Each piece is the compact JSON of an event (or of the router's state), so it holds the
    strings entries repeat; no data file went into it."""
    decoder, text, pieces, at = json.JSONDecoder(), DICTIONARY_V1.decode(), [], 0
    while at < len(text):
        piece, at = decoder.raw_decode(text, at)
        pieces.append(piece)
    assert len(pieces) == 9
    readers: dict[str, type[Event]] = {
        "message": ClassifiedMessage,
        "instruction_id": AutomationInstruction,
    }
    for piece in pieces:
        if "owner" in piece:
            continue  # the router's state (rapport_router.state.RouterState)
        model: type[Event] | None = next((m for k, m in readers.items() if k in piece), None)
        if model is None and "decision_id" in piece and "route" in piece:
            model = Decision
        if model is not None:
            model.read(json.dumps(piece))


@pytest.mark.parametrize("event", events(), ids=lambda e: type(e).__name__)
def test_every_event_reads_back_equal_from_the_deflated_form(event: Event) -> None:
    stored = deflate(event.compact_json())
    assert stored.startswith(MARKER) and is_deflated(stored)
    assert type(event).read(stored) == event


def test_a_reader_without_the_package_inflates_with_zlib_alone() -> None:
    """The recipe in ``rapport_contracts.stored``'s docstring, for third-party readers."""
    event = classified()
    value = deflate(event.compact_json())
    raw = zlib.decompressobj(-12, zdict=DICTIONARY_V1).decompress(value[2:])
    assert raw.decode() == event.compact_json()


def test_the_deflated_form_is_a_third_of_the_compact_json_or_less() -> None:
    for event, at_most in ((classified(), 0.33), (decision(), 0.33)):
        compact = event.compact_json()
        assert len(deflate(compact)) <= at_most * len(compact), type(event).__name__


def test_values_in_the_other_forms_pass_through_unchanged() -> None:
    turn = Turn(author="customer", text="\u00fe\u0001 is no marker in a packed turn")
    references = (
        "1733212800000-0@rapport:classified",
        "delivered:1733212800000-0@rapport:handoffs",
    )
    for value in (
        OLD_CLASSIFIED,
        OLD_DECISION,
        decision().compact_json(),
        turn.pack(),
        *references,
    ):
        assert not is_deflated(value)
        assert expand(value) is value
        assert expand(value.encode()) == value.encode()
    assert Turn.read(turn.pack()) == turn
    assert ClassifiedMessage.read(OLD_CLASSIFIED).message.text.startswith("Tracking")


@pytest.mark.parametrize(
    "damaged",
    [MARKER + b"\x00garbage", MARKER + b"not deflate", MARKER],
)
def test_a_damaged_deflated_value_is_a_clear_validation_error(damaged: str) -> None:
    with pytest.raises(ValidationError, match="deflated stored value"):
        Decision.read(damaged)


def test_a_value_cut_short_is_refused() -> None:
    stored = deflate(decision().compact_json())
    with pytest.raises(ValidationError, match="deflated stored value"):
        Decision.read(stored[: len(stored) // 2])
