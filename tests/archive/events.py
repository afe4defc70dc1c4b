"""Events for the archive's tests: a customer message, the decision on it, and what follows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rapport_contracts import (
    AutomationInstruction,
    ClassifiedMessage,
    Customer,
    Decision,
    HandoffResult,
    Message,
    Reason,
)
from rapport_contracts.events import Feedback

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


def message(
    conversation: str,
    message_id: str,
    at: datetime = T0,
    *,
    site: str = "demo",
    channel: str = "chat",
    language: str | None = "en",
    customer: str | None = None,
) -> ClassifiedMessage:
    return ClassifiedMessage(
        message=Message(
            site=site,
            conversation_id=conversation,
            message_id=message_id,
            author="customer",
            text="never stored",
            sent_at=at,
            received_at=at,
            channel=channel,
            language=language,
            customer=Customer(id=customer) if customer else None,
        )
    )


def decision(
    conversation: str,
    message_id: str,
    at: datetime = T0,
    *,
    route: str = "automation",
    rule: str = "default",
    signal: str | None = None,
    site: str = "demo",
    latency_s: float = 0.05,
    shadow: bool = False,
) -> Decision:
    return Decision(
        decision_id=f"d-{conversation}-{message_id}{'-shadow' if shadow else ''}",
        site=site,
        conversation_id=conversation,
        message_id=message_id,
        route="human" if route == "human" else "automation",
        queue="support" if route == "human" else None,
        priority="high" if route == "human" else "normal",
        reasons=(Reason(rule=rule, signal=signal, value=0.9, threshold=0.6, detail=rule),),
        policy_id="default",
        policy_version="5",
        classifier_version="lexicon-3.2",
        shadow=shadow,
        decided_at=at + timedelta(seconds=latency_s),
    )


def handoff(conversation: str, at: datetime = T0, *, status: str = "delivered") -> HandoffResult:
    return HandoffResult(
        handoff_id=f"h-{conversation}",
        site="demo",
        conversation_id=conversation,
        decision_id=f"d-{conversation}-m1",
        adapter="webhook",
        status="failed" if status == "failed" else "delivered",
        attempts=1,
        at=at,
    )


def hold(conversation: str, at: datetime = T0, action: str = "hold") -> AutomationInstruction:
    return AutomationInstruction(
        instruction_id=f"ins-{conversation}-{action}",
        site="demo",
        conversation_id=conversation,
        action="resume" if action == "resume" else ("respond" if action == "respond" else "hold"),
        reason="a person owns it",
        at=at,
    )


def feedback(
    conversation: str, decision_id: str, verdict: str, at: datetime = T0, *, n: int = 1
) -> Feedback:
    return Feedback(
        feedback_id=f"f-{conversation}-{n}",
        site="demo",
        conversation_id=conversation,
        decision_id=decision_id,
        verdict="missed-escalation"
        if verdict == "missed-escalation"
        else ("unneeded-escalation" if verdict == "unneeded-escalation" else "correct"),
        at=at,
    )
