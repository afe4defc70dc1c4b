"""A conversation written with the real contracts, the way the stages leave it in Redis: the
sentiment stage's messages, the router's decisions and state, the handoff's packet (inbox
adapter) and result, and the streams the console reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis as redis_sync

from rapport_contracts import (
    DATA_FIELD,
    Classification,
    ClassifiedMessage,
    DeadLetter,
    Decision,
    Event,
    HandoffPacket,
    HandoffResult,
    Message,
    Reason,
    Signal,
    Streams,
    TranscriptEntry,
)
from rapport_router.state import RouterState
from rapport_runtime.partitions import conversation_settings
from rapport_runtime.redis import ConversationKeys
from rapport_runtime.settings import RapportSettings

SITE = "demo"
ESCALATED = "c-escalated"
CALM = "c-calm"
HUMAN_REQUEST = "talk to a real person"
XSS_TEXT = (
    "This is the third time, I want to talk to a real person "
    '<script>window.__xss = "script"</script> <img src=x onerror="window.__xss=\'img\'">'
)


@dataclass(frozen=True)
class Seeded:
    escalation_id: str
    automation_id: str
    calm_id: str


def _xadd(client: redis_sync.Redis, stream: str, event: Event) -> None:
    client.xadd(stream, {DATA_FIELD: event.compact_json()})


def _classified(
    conversation: str,
    message_id: str,
    text: str,
    at: datetime,
    *,
    author: str = "customer",
    score: float = 0.0,
    frustration: float = 0.1,
    signals: tuple[Signal, ...] = (),
) -> ClassifiedMessage:
    message = Message(
        site=SITE,
        conversation_id=conversation,
        message_id=message_id,
        author=author,  # type: ignore[arg-type]
        text=text,
        sent_at=at,
        received_at=at,
    )
    classification = None
    if author == "customer":
        classification = Classification(
            sentiment="negative" if score < -0.2 else "neutral",
            sentiment_score=score,
            frustration=frustration,
            complexity=0.2,
            complexity_level="low",
            signals=signals,
            language="en",
            classifier_version="lexicon-test",
        )
    return ClassifiedMessage(message=message, classification=classification)


def _decision(
    conversation: str, decision_id: str, message_id: str, at: datetime, *, human: bool
) -> Decision:
    if human:
        reasons = (
            Reason(
                rule="explicit-human-request", signal="human_request", value=0.95, threshold=0.5
            ),
        )
    else:
        reasons = (Reason(rule="default", detail="no rule fired"),)
    return Decision(
        decision_id=decision_id,
        site=SITE,
        conversation_id=conversation,
        message_id=message_id,
        route="human" if human else "automation",
        queue="support" if human else None,
        priority="high" if human else "low",
        reasons=reasons,
        policy_id="default",
        policy_version="3",
        classifier_version="lexicon-test",
        decided_at=at,
    )


def where(prefix: str, conversation: str, settings: RapportSettings | None) -> str:
    """The key prefix of ``conversation``'s partition: ``prefix`` itself unless ``settings``
    partition the keys (RAPPORT_PARTITIONS > 1, a cluster)."""
    if settings is None:
        return prefix
    return conversation_settings(settings, SITE, conversation).prefix


def seed(
    client: redis_sync.Redis,
    prefix: str,
    dead_letters: int = 1,
    settings: RapportSettings | None = None,
) -> Seeded:
    """The conversations, each in its partition when ``settings`` partition the keys (the
    failed handoff and the dead letters in c-other's)."""
    prefix, calm_prefix, other_prefix = (
        where(prefix, ESCALATED, settings),
        where(prefix, CALM, settings),
        where(prefix, "c-other", settings),
    )
    streams = Streams(prefix)
    now = datetime.now(UTC)
    t0 = now - timedelta(minutes=7)
    start = XSS_TEXT.index(HUMAN_REQUEST)
    turns = [
        _classified(ESCALATED, "m1", "Hi, where is my order?", t0, score=0.0, frustration=0.1),
        _classified(
            ESCALATED, "m2", "Sorry, I did not get that.", t0 + timedelta(seconds=5), author="bot"
        ),
        _classified(
            ESCALATED,
            "m3",
            "It is late again and nobody answers",
            t0 + timedelta(minutes=1),
            score=-0.5,
            frustration=0.55,
        ),
        _classified(
            ESCALATED,
            "m4",
            XSS_TEXT,
            t0 + timedelta(minutes=2),
            score=-0.8,
            frustration=0.9,
            signals=(
                Signal(
                    name="human_request",
                    score=0.95,
                    evidence=HUMAN_REQUEST,
                    start=start,
                    end=start + len(HUMAN_REQUEST),
                ),
            ),
        ),
    ]
    automation = _decision(ESCALATED, "d-esc-1", "m1", t0 + timedelta(seconds=1), human=False)
    automation3 = _decision(
        ESCALATED, "d-esc-3", "m3", t0 + timedelta(minutes=1, seconds=1), human=False
    )
    escalation = _decision(
        ESCALATED, "d-esc-4", "m4", t0 + timedelta(minutes=2, seconds=1), human=True
    )
    keys = ConversationKeys(prefix, SITE, ESCALATED)
    for c in turns:
        client.hset(keys.messages, c.message.message_id, c.model_dump_json())
        _xadd(client, streams.classified, c)
    for d in (automation, automation3, escalation):
        client.hset(keys.decisions, d.decision_id, d.model_dump_json())
        _xadd(client, streams.decisions, d)
    escalated_at = escalation.decided_at
    state = RouterState(
        owner="escalated",
        episode=1,
        queue="support",
        priority="high",
        escalated_at=escalated_at,
        ladder_step=1,
        handoff_id="h-1",
        origin_queue="support",
        escalated_ts=escalated_at.timestamp(),
        customer_turns=3,
        handoff_confirmed=True,
    )
    client.set(keys.state, state.model_dump_json())
    packet = HandoffPacket(
        handoff_id="h-1",
        site=SITE,
        conversation_id=ESCALATED,
        decision=escalation,
        summary="Customer asks for a person after a late order (third contact).",
        transcript=tuple(
            TranscriptEntry(
                message_id=c.message.message_id,
                author=c.message.author,
                text=c.message.text,
                sent_at=c.message.sent_at,
            )
            for c in turns
        ),
        sentiment_trend=(0.0, -0.5, -0.8),
    )
    client.hset(keys.messages.replace(":messages", ":inbox"), "h-1", packet.model_dump_json())
    _xadd(client, streams.escalations, packet)
    result = HandoffResult(
        handoff_id="h-1",
        site=SITE,
        conversation_id=ESCALATED,
        decision_id=escalation.decision_id,
        adapter="webhook",
        status="delivered",
        attempts=2,
        detail="ticket created",
        external_id="https://helpdesk.example/tickets/42",
        at=escalated_at + timedelta(seconds=2),
    )
    client.hset(keys.handoffs, "h-1", result.model_dump_json())
    _xadd(client, streams.handoffs, result)
    failed = HandoffResult(
        handoff_id="h-old",
        site=SITE,
        conversation_id="c-other",
        adapter="webhook",
        status="failed",
        attempts=5,
        detail="HTTP 500",
    )
    _xadd(client, Streams(other_prefix).handoffs, failed)

    streams = Streams(calm_prefix)
    calm_keys = ConversationKeys(calm_prefix, SITE, CALM)
    calm_msg = _classified(CALM, "m1", "How do I reset my password?", now - timedelta(minutes=1))
    calm = _decision(CALM, "d-calm-1", "m1", now - timedelta(seconds=50), human=False)
    client.hset(calm_keys.messages, "m1", calm_msg.model_dump_json())
    _xadd(client, streams.classified, calm_msg)
    client.hset(calm_keys.decisions, calm.decision_id, calm.model_dump_json())
    client.set(calm_keys.state, RouterState(customer_turns=1).model_dump_json())
    _xadd(client, streams.decisions, calm)
    streams = Streams(other_prefix)
    for i in range(dead_letters):
        _xadd(
            client,
            streams.dlq,
            DeadLetter(
                stream=streams.escalations,
                group="handoff",
                entry_id=f"1-{i}",
                deliveries=5,
                reason="refused",
                payload="{}",
            ),
        )
    return Seeded(escalation.decision_id, automation.decision_id, calm.decision_id)


def add_decision(
    client: redis_sync.Redis,
    prefix: str,
    conversation: str,
    decision_id: str,
    message_id: str,
    settings: RapportSettings | None = None,
) -> Decision:
    """One more automation decision (what the live feed should pick up)."""
    decision = _decision(conversation, decision_id, message_id, datetime.now(UTC), human=False)
    prefix = where(prefix, conversation, settings)
    keys = ConversationKeys(prefix, SITE, conversation)
    client.hset(keys.decisions, decision.decision_id, decision.model_dump_json())
    client.xadd(Streams(prefix).decisions, {DATA_FIELD: decision.model_dump_json()})
    return decision
