"""Building the handoff packet: everything the person taking over needs, so that the customer
never has to repeat themselves. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence

from rapport_contracts import ClassifiedMessage, Decision, HandoffPacket, TranscriptEntry

_QUOTE_CHARS = 280


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _QUOTE_CHARS else text[: _QUOTE_CHARS - 1] + "…"


def summarise(decision: Decision, transcript: Sequence[ClassifiedMessage]) -> str:
    customer = [c for c in transcript if c.message.author == "customer"]
    scores = [c.classification.sentiment_score for c in customer if c.classification]
    why = "; ".join(
        f"{r.signal} {r.value} (threshold {r.threshold})" if r.signal else r.detail
        for r in decision.reasons
    )
    parts = [
        f"Escalated to {decision.queue or 'a person'} at {decision.priority} priority "
        f"by rule '{decision.reasons[0].rule}': {why}.",
        f"{len(customer)} customer message(s) in {len(transcript)} turn(s).",
    ]
    if scores:
        parts.append(f"Sentiment went from {scores[0]:+.2f} to {scores[-1]:+.2f}.")
    if customer:
        parts.append(f'Latest from the customer: "{_quote(customer[-1].message.text)}"')
    return " ".join(parts)


def build_packet(
    handoff_id: str,
    decision: Decision,
    current: ClassifiedMessage,
    transcript: Sequence[ClassifiedMessage],
) -> HandoffPacket:
    if not any(c.message.message_id == current.message.message_id for c in transcript):
        transcript = [*transcript, current]
    entries = tuple(
        TranscriptEntry(
            message_id=c.message.message_id,
            author=c.message.author,
            text=c.message.text,
            sent_at=c.message.sent_at,
            sentiment=c.classification.sentiment if c.classification else None,
            sentiment_score=c.classification.sentiment_score if c.classification else None,
        )
        for c in transcript
    )
    message = current.message
    return HandoffPacket(
        handoff_id=handoff_id,
        site=message.site,
        conversation_id=message.conversation_id,
        decision=decision,
        summary=summarise(decision, transcript),
        transcript=entries,
        sentiment_trend=tuple(
            e.sentiment_score
            for e in entries
            if e.author == "customer" and e.sentiment_score is not None
        ),
        signals=current.classification.signals if current.classification else (),
        customer=message.customer,
        channel=message.channel,
        provider=message.provider,
        provider_ids=message.provider_ids,
    )
