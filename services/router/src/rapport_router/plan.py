"""What the router writes for one message or one timer, all in one transaction, and the ids
it derives. Pure data: the decision step fills a plan, the stage writes it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from rapport_contracts import (
    AutomationInstruction,
    ClassifiedMessage,
    Decision,
    HandoffPacket,
    Message,
    Notification,
)
from rapport_router.timers import Timer

Action = Literal["respond", "hold", "resume"]


@dataclass(frozen=True, slots=True)
class PacketRequest:
    """An escalation whose packet the stage builds once it has read the transcript."""

    handoff_id: str
    decision: Decision
    current: ClassifiedMessage | None  # None: the transcript's latest turn (a ladder step)


@dataclass
class Plan:
    decisions: list[Decision] = field(default_factory=list)
    packet_request: PacketRequest | None = None
    packet: HandoffPacket | None = None
    instructions: list[AutomationInstruction] = field(default_factory=list)
    timers: list[tuple[Timer, float]] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    accepted_at: datetime | None = None  # when the edge accepted the message decided here


def stable_id(kind: str, *parts: str) -> str:
    """Ids derived from their inputs, so a redelivered entry produces the same records."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"{kind}_{digest}"


def handoff_id_for(decision: Decision) -> str:
    return stable_id("hof", decision.decision_id)


def instruction(
    site: str,
    conversation_id: str,
    cause: str,
    action: Action,
    reason: str,
    *,
    decision_id: str | None = None,
    message_id: str | None = None,
    customer_message: str | None = None,
) -> AutomationInstruction:
    return AutomationInstruction(
        instruction_id=stable_id("ins", site, conversation_id, cause, action),
        site=site,
        conversation_id=conversation_id,
        action=action,
        message_id=message_id,
        decision_id=decision_id,
        reason=reason,
        customer_message=customer_message,
    )


def message_instruction(
    message: Message,
    action: Action,
    reason: str,
    decision_id: str | None = None,
    customer_message: str | None = None,
) -> AutomationInstruction:
    """An instruction about one message (its id is the cause, so a redelivery repeats it)."""
    return instruction(
        message.site,
        message.conversation_id,
        message.message_id,
        action,
        reason,
        decision_id=decision_id,
        message_id=message.message_id,
        customer_message=customer_message,
    )
