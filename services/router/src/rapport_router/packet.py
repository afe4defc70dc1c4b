"""Building the handoff packet: everything the person taking over needs, so that the customer
never has to repeat themselves. Pure functions.

The packet shows each figure once, with one value: the frustration series of the
``frustration_trend`` signal is rebuilt from the frustration recorded for each customer turn
(what the router's ``frustration_rise`` reason shows), not the classifier's own re-estimate of
the earlier turns, so a note never shows one turn's frustration with two values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapport_contracts import ClassifiedMessage, Decision, HandoffPacket, Signal, TranscriptEntry

_QUOTE_CHARS = 280
_BOT_QUOTE_CHARS = 140
# A change of sentiment smaller than this, first to last as printed (two decimals), is
# "steady" (the note's renderer, rapport_handoff.adapters._note, uses the same rule).
_STEADY = 0.1
FRUSTRATION_TREND = "frustration_trend"
_SERIES = re.compile(r"\d+\.\d+(?:\s*->\s*\d+\.\d+)+")


def _quote(text: str, limit: int = _QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def trend_word(first: float, last: float) -> str:
    """``steady``, ``falling`` or ``rising``, judged on the values as printed (``+0.00`` to
    ``-0.10`` is falling: what the reader sees changed by a tenth)."""
    change = round(last, 2) - round(first, 2)
    if abs(change) < _STEADY - 1e-9:
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
        what += f", {fallbacks} of them a fallback (it did not understand),"
    distinct: list[str] = []
    for c in reversed(answers):
        quoted = _quote(c.message.text, _BOT_QUOTE_CHARS)
        if quoted not in distinct:
            distinct.append(quoted)
    if len(distinct) == 1:
        each = " each time" if len(answers) > 1 else ""
        shown = f'its answer{each}: "{distinct[0]}"'
    else:
        shown = "its answers, latest first: " + "; ".join(f'"{q}"' for q in distinct[:2])
    return f"Already tried: {what} and the customer wrote again; {shown}."


def number(value: object) -> str:
    """A reason's value or threshold as the note prints it: whole numbers plain, others with
    two decimals (the same figure never appears as 0.765 in one place and 0.77 in another)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _why(decision: Decision) -> str:
    parts = []
    for r in decision.reasons:
        if r.signal:
            part = f"{r.signal} {number(r.value)}"
            if r.threshold is not None:
                part += f" (threshold {number(r.threshold)})"
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
    if len(scores) == 1:
        why += f" Sentiment {scores[0]:+.2f} (one customer message)."
    elif scores:
        why += (
            f" Sentiment went from {scores[0]:+.2f} to {scores[-1]:+.2f} "
            f"({trend_word(scores[0], scores[-1])}) over {len(scores)} customer messages."
        )
    lines.append(why)
    return "\n".join(lines)


def recorded_signals(
    current: ClassifiedMessage, transcript: Sequence[ClassifiedMessage]
) -> tuple[Signal, ...]:
    """The current message's signals, the ``frustration_trend`` series rebuilt from the
    frustration recorded for each customer turn (as long as the classifier's, when that many
    turns are in the transcript)."""
    if current.classification is None:
        return ()
    recorded = [
        c.classification.frustration
        for c in transcript
        if c.message.author == "customer" and c.classification is not None
    ]
    out = []
    for s in current.classification.signals:
        found = _SERIES.search(s.evidence) if s.name == FRUSTRATION_TREND else None
        if found is not None and len(recorded) >= 2:
            length = min(len(recorded), found.group().count("->") + 1)
            series = " -> ".join(f"{v:.2f}" for v in recorded[-length:])
            s = s.model_copy(update={"evidence": f"frustration {series}"})
        out.append(s)
    return tuple(out)


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
        signals=recorded_signals(current, transcript),
        customer=message.customer,
        channel=message.channel,
        provider=message.provider,
        provider_ids=message.provider_ids,
    )
