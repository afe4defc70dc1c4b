"""Which rows each archived event becomes (pure: an event in, rows out)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from rapport_archive.store import DAY_MS, Rows, reasons_json
from rapport_contracts import AutomationInstruction, ClassifiedMessage, Decision, HandoffResult
from rapport_contracts.events import Event, Feedback


def epoch_ms(at: datetime) -> int:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return int(at.timestamp() * 1000)


def rows_of(event: Event) -> Rows:
    rows = Rows()
    if isinstance(event, Decision):
        first = event.reasons[0] if event.reasons else None
        decided_ms = epoch_ms(event.decided_at)
        rows.add(
            "decisions",
            {
                "site": event.site,
                "decision_id": event.decision_id,
                "conversation_id": event.conversation_id,
                "message_id": event.message_id,
                "route": event.route,
                "queue": event.queue,
                "priority": event.priority,
                "rule": first.rule if first else "",
                "signal": first.signal if first else None,
                "policy_id": event.policy_id,
                "policy_version": event.policy_version,
                "classifier_version": event.classifier_version,
                "shadow": event.shadow,
                "decided_at": event.decided_at,
                "decided_ms": decided_ms,
                "day": decided_ms // DAY_MS,
                "reasons": reasons_json(event.reasons),
                "event": event.model_dump_json(),
            },
        )
    elif isinstance(event, ClassifiedMessage):
        message = event.message
        if message.author not in ("customer", "bot"):
            # Decisions are made on customer turns; a bot turn's fallback flag moves the
            # router's state (a replay needs it); agent and system turns are not needed.
            return rows
        language = message.language or (
            event.classification.language if event.classification else None
        )
        classification = None
        if event.classification is not None:
            # Evidence is the customer's own words: the archive keeps no customer text.
            blank = tuple(
                s.model_copy(update={"evidence": ""}) for s in event.classification.signals
            )
            classification = event.classification.model_copy(
                update={"signals": blank}
            ).model_dump_json()
        customer = None
        if message.customer is not None and (message.customer.tier or message.customer.attributes):
            customer = json.dumps(
                {"tier": message.customer.tier, "attributes": message.customer.attributes},
                sort_keys=True,
            )
        rows.add(
            "messages",
            {
                "site": message.site,
                "conversation_id": message.conversation_id,
                "message_id": message.message_id,
                "customer_id": message.customer.id if message.customer else None,
                "channel": message.channel,
                "language": (language or "").split("-")[0].lower()[:16] or None,
                "received_at": message.received_at,
                "received_ms": epoch_ms(message.received_at),
                "author": message.author,
                "sent_ms": epoch_ms(message.sent_at),
                "classification": classification,
                "customer": customer,
                "bot_fallback": event.bot_fallback if message.author == "bot" else None,
            },
        )
    elif isinstance(event, HandoffResult):
        rows.add(
            "handoff_results",
            {
                "site": event.site,
                "handoff_id": event.handoff_id,
                "status": event.status,
                "at_ms": epoch_ms(event.at),
                "conversation_id": event.conversation_id,
                "decision_id": event.decision_id,
                "adapter": event.adapter,
                "attempts": event.attempts,
                "detail": event.detail,
                "external_id": event.external_id,
                "at": event.at,
            },
        )
    elif isinstance(event, AutomationInstruction):
        if event.action == "respond":
            return rows  # not an ownership change
        rows.add(
            "ownership_changes",
            {
                "site": event.site,
                "instruction_id": event.instruction_id,
                "conversation_id": event.conversation_id,
                "action": event.action,
                "decision_id": event.decision_id,
                "message_id": event.message_id,
                "reason": event.reason,
                "at": event.at,
                "at_ms": epoch_ms(event.at),
            },
        )
    elif isinstance(event, Feedback):
        rows.add(
            "feedback",
            {
                "site": event.site,
                "feedback_id": event.feedback_id,
                "conversation_id": event.conversation_id,
                "decision_id": event.decision_id,
                "verdict": event.verdict,
                "route": event.route,
                "rule": event.rule,
                "language": event.language,
                "source": event.source,
                "author": event.author,
                "note": event.note,
                "at": event.at,
                "at_ms": epoch_ms(event.at),
            },
        )
    return rows
