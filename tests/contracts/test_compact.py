"""The stored form of events (issue 14): ``Event.compact_json()`` leaves out the fields at their
default, every reader restores them, and the form is still an instance of the published
schema of this version; the full form (entries already in Redis) still reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from rapport_contracts import (
    EVENTS,
    SCHEMA_VERSION,
    AutomationInstruction,
    Classification,
    ClassifiedMessage,
    Customer,
    DeadLetter,
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

SNAPSHOT = Path(__file__).parent / "snapshots" / f"v{SCHEMA_VERSION}"
T0 = datetime(2026, 12, 3, 6, 1, 21, 916204, tzinfo=UTC)

# A bench customer message as it was stored before issue 14's compact form (the full form,
# copied from a `rapport bench` run's classified stream, 2026-12-03): 817 bytes.
OLD_CLASSIFIED = (
    '{"schema_version":3,"message":{"schema_version":3,"site":"bench","conversation_id":'
    '"lat-c1308","message_id":"lat-m1308","author":"customer","text":"Tracking hasn\'t updated '
    'since Monday, where is my parcel?","sent_at":"2026-12-03T06:01:21.916204Z","received_at":'
    '"2026-12-03T06:01:21.929180Z","channel":"chat","language":null,"customer":null,"provider":'
    '"rapport","provider_ids":{},"traceparent":null},"classification":{"sentiment":"negative",'
    '"sentiment_score":-0.2778550319489662,"frustration":0.3303339341470415,"complexity":'
    '0.23666666666666666,"complexity_level":"low","signals":[{"name":"waiting_time","score":0.6,'
    '"evidence":"since Monday","start":24,"end":36}],"language":"en","language_confidence":0.9,'
    '"language_source":"detected","language_supported":true,"classifier_version":"lexicon-3.8"},'
    '"bot_fallback":false}'
)
# Its decision, as stored then: 637 bytes.
OLD_DECISION = (
    '{"schema_version":3,"decision_id":"dec_49e56481cf42fd329bcc507d","site":"bench",'
    '"conversation_id":"lat-c1308","message_id":"lat-m1308","route":"human","queue":"support",'
    '"priority":"high","reasons":[{"rule":"service-failure-negative","signal":"waiting_time",'
    '"value":0.6,"threshold":0.6,"detail":"evidence: \'since Monday\'"},{"rule":'
    '"service-failure-negative","signal":"sentiment_score","value":-0.278,"threshold":-0.05,'
    '"detail":"sentiment_score <= -0.05"}],"policy_id":"default","policy_version":"5",'
    '"classifier_version":"lexicon-3.8","tags":[],"notify":[],"customer_message":null,'
    '"shadow":false,"decided_at":"2026-12-03T06:01:22.035353Z"}'
)


def _message(**extra: Any) -> Message:
    fields: dict[str, Any] = {
        "site": "bench",
        "conversation_id": "c1",
        "message_id": "m1",
        "author": "customer",
        "text": "Where is my parcel?",
        "sent_at": T0,
    }
    return Message(**(fields | extra))


def _decision(**extra: Any) -> Decision:
    return Decision(
        decision_id="dec_1",
        site="bench",
        conversation_id="c1",
        message_id="m1",
        route="human",
        priority="high",
        reasons=(Reason(rule="r", signal="waiting_time", value=0.6, threshold=0.6),),
        policy_id="default",
        policy_version="5",
        classifier_version="lexicon-3.8",
        **extra,
    )


CLASSIFICATION = Classification(
    sentiment="negative",
    sentiment_score=-0.2779,
    frustration=0.3303,
    complexity=0.2367,
    complexity_level="low",
    signals=(Signal(name="waiting_time", score=0.6, evidence="since Monday", start=24, end=36),),
    language_confidence=0.9,
    language_source="detected",
    classifier_version="lexicon-3.8",
)

EXAMPLES: list[Event] = [
    _message(),
    _message(
        channel="email",
        language="fr",
        customer=Customer(id="u1", tier="gold", attributes={"plan": "pro", "seats": 3}),
        provider="zendesk",
        provider_ids={"ticket": "42"},
        traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01",
        received_at=T0,
    ),
    ClassifiedMessage(message=_message(), classification=CLASSIFICATION),
    ClassifiedMessage(message=_message(author="bot"), bot_fallback=True),
    ClassifiedMessage(message=_message(schema_version=2), schema_version=2),
    _decision(),
    _decision(queue="billing", tags=("vip",), notify=("lead",), customer_message="Hi", shadow=True),
    AutomationInstruction(
        instruction_id="ins_1", site="bench", conversation_id="c1", action="hold"
    ),
    HandoffResult(
        handoff_id="hof_1",
        site="bench",
        conversation_id="c1",
        decision_id="dec_1",
        adapter="webhook",
        status="delivered",
        attempts=1,
        detail="HTTP 200",
        external_id="hd-1",
    ),
    HandoffPacket(
        handoff_id="hof_1",
        site="bench",
        conversation_id="c1",
        decision=_decision(),
        summary="s",
        transcript=(
            TranscriptEntry(message_id="m1", author="customer", text="hi", sent_at=T0),
            TranscriptEntry(
                message_id="m2",
                author="customer",
                text="??",
                sent_at=T0,
                sentiment="negative",
                sentiment_score=-0.5,
            ),
        ),
        sentiment_trend=(-0.5,),
    ),
    DeadLetter(stream="s", group="g", entry_id="1-0", deliveries=3, reason="r", payload="{}"),
]


def _name(event: Event) -> str:
    return next(n for n, m in EVENTS.items() if type(event) is m)


@pytest.mark.parametrize("event", EXAMPLES, ids=[_name(e) for e in EXAMPLES])
def test_compact_form_reads_back_to_an_equal_model(event: Event) -> None:
    compact = event.compact_json()
    assert type(event).read(compact) == event
    assert len(compact) <= len(event.model_dump_json())


@pytest.mark.parametrize("event", EXAMPLES, ids=[_name(e) for e in EXAMPLES])
def test_compact_form_is_an_instance_of_this_versions_published_schema(event: Event) -> None:
    """What a third party validating against the published schema sees: a valid instance (a
    field with a default was never required), so the version stays the same."""
    schema = json.loads((SNAPSHOT / f"{_name(event)}.json").read_text())
    jsonschema.validate(json.loads(event.compact_json()), schema)


@pytest.mark.parametrize("event", EXAMPLES, ids=[_name(e) for e in EXAMPLES])
def test_compact_form_always_names_its_version_at_the_top(event: Event) -> None:
    data = json.loads(event.compact_json())
    assert data["schema_version"] == event.schema_version
    nested = data.get("message") or data.get("decision")
    if isinstance(nested, dict) and nested.get("schema_version") is None:
        # a nested event at the current version is a default like any other
        inner = getattr(event, "message", None) or getattr(event, "decision", None)
        assert inner is not None and inner.schema_version == SCHEMA_VERSION


def test_times_are_always_written_even_when_equal_to_the_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A no-argument default factory is called by pydantic's ``exclude_defaults`` and
    compared: with a frozen clock a time equal to it would be left out, and a reader would
    put its own clock there. The time fields' factory takes the data, so it never is."""
    import rapport_contracts.events as events

    monkeypatch.setattr(events, "utc_now", lambda: T0)
    message = _message()
    assert message.received_at == T0
    assert json.loads(message.compact_json())["received_at"] == "2026-12-03T06:01:21.916204Z"
    instruction = AutomationInstruction(
        instruction_id="ins_1", site="bench", conversation_id="c1", action="hold"
    )
    for event in (_decision(), instruction):
        assert event.model_dump()["decided_at" if isinstance(event, Decision) else "at"] == T0
        assert type(event).read(event.compact_json()) == event


def test_the_full_form_already_in_redis_still_reads() -> None:
    classified = ClassifiedMessage.read(OLD_CLASSIFIED)
    decision = Decision.read(OLD_DECISION)
    assert classified.message.channel == "chat" and classified.message.customer is None
    assert classified.classification is not None
    assert classified.classification.sentiment_score == -0.2778550319489662
    assert decision.tags == () and decision.shadow is False
    # and its compact form is the same model
    assert ClassifiedMessage.read(classified.compact_json()) == classified
    assert Decision.read(decision.compact_json()) == decision


def test_the_stored_bytes_shrink_by_the_stated_amount() -> None:
    """docs/performance.md: a bench customer message's classified entry 817 -> 628 bytes
    (-23 %) by the compact form alone, 591 (-28 %) with the classifier's 4-decimal scores;
    its decision 637 -> 576 (-10 %)."""
    classified = ClassifiedMessage.read(OLD_CLASSIFIED)
    assert (len(OLD_CLASSIFIED), len(classified.compact_json())) == (817, 628)
    assert classified.classification is not None
    rounded = classified.model_copy(
        update={
            "classification": classified.classification.model_copy(
                update={"sentiment_score": -0.2779, "frustration": 0.3303, "complexity": 0.2367}
            )
        }
    )
    assert len(rounded.compact_json()) == 591
    assert (len(OLD_DECISION), len(Decision.read(OLD_DECISION).compact_json())) == (637, 576)


@pytest.mark.parametrize("author", ["customer", "bot", "agent", "system"])
@pytest.mark.parametrize("text", ["Where is my parcel?", "", "{not json", "c"])
def test_a_packed_turn_reads_back_and_the_json_turn_still_reads(author: str, text: str) -> None:
    turn = Turn(author=author, text=text)  # type: ignore[arg-type]
    assert Turn.read(turn.pack()) == turn == Turn.read(turn.pack().encode())
    assert Turn.read(turn.model_dump_json()) == turn  # a turns list from before
    if author == "customer":  # '{"author":"customer","text":""}' against 'c'
        assert len(turn.model_dump_json()) - len(turn.pack()) == 30 + text.count('"')
