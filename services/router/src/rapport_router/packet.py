"""Building the handoff packet: everything the person taking over needs, so that the customer
never has to repeat themselves. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence

from rapport_contracts import ClassifiedMessage, Decision, HandoffPacket, TranscriptEntry

_QUOTE_CHARS = 280
_BOT_QUOTE_CHARS = 140
_STEADY = 0.1  # a change of sentiment smaller than this is "steady"


def _quote(text: str, limit: int = _QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _trend_word(first: float, last: float) -> str:
    change = last - first
    if abs(change) < _STEADY:
        return "steady"
    return "falling" if change < 0 else "rising"


def _ask(customer: Sequence[ClassifiedMessage]) -> ClassifiedMessage:
    """The message that says what the customer wants: the first one with some substance (a
    greeting alone is not it), else the first."""
    return next((c for c in customer if len(c.message.text.split()) >= 4), customer[0])


def _tried(transcript: Sequence[ClassifiedMessage]) -> str:
    """What automation already tried: the bot's answers after which the customer still wrote."""
    last_customer = max(
        (i for i, c in enumerate(transcript) if c.message.author == "customer"), default=-1
    )
    answers = [c for c in transcript[:last_customer] if c.message.author == "bot"]
    if not answers:
        return "Already tried: nothing; the bot had not answered yet."
    fallbacks = sum(c.bot_fallback for c in answers)
    what = f"the bot answered {len(answers)} time(s)"
    if fallbacks:
        what += f", {fallbacks} of them a fallback (it did not understand)"
    distinct: list[str] = []
    for c in reversed(answers):
        quoted = _quote(c.message.text, _BOT_QUOTE_CHARS)
        if quoted not in distinct:
            distinct.append(quoted)
    shown = "; ".join(f'"{q}"' for q in distinct[:2])
    return f"Already tried: {what} and the customer wrote again; last: {shown}."


def _why(decision: Decision) -> str:
    parts = []
    for r in decision.reasons:
        if r.signal:
            part = f"{r.signal} {r.value} (threshold {r.threshold})"
            evidence = (
                r.detail.removeprefix("evidence: ") if r.detail.startswith("evidence:") else ""
            )
            parts.append(f"{part}, {evidence}" if evidence.strip("'\" ") else part)
        elif r.detail:
            parts.append(r.detail)
    return "; ".join(parts) or "no condition recorded"


def summarise(decision: Decision, transcript: Sequence[ClassifiedMessage]) -> str:
    """Two or three lines for the person taking over, built from the transcript (extractive):
    what the customer wants, what automation already tried, and why it came to them."""
    customer = [c for c in transcript if c.message.author == "customer"]
    lines = []
    if customer:
        ask, latest = _ask(customer), customer[-1]
        wants = f'The customer wants: "{_quote(ask.message.text)}"'
        if latest is not ask:
            wants += f'; latest from the customer: "{_quote(latest.message.text)}"'
        lines.append(wants)
        lines.append(_tried(transcript))
    scores = [c.classification.sentiment_score for c in customer if c.classification]
    why = (
        f"Escalated to {decision.queue or 'a person'} at {decision.priority} priority by rule "
        f"'{decision.reasons[0].rule}': {_why(decision)}."
    )
    if scores:
        why += (
            f" Sentiment went from {scores[0]:+.2f} to {scores[-1]:+.2f} "
            f"({_trend_word(scores[0], scores[-1])}) over {len(customer)} customer message(s)."
        )
    lines.append(why)
    return "\n".join(lines)


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
