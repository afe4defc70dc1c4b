"""The internal note every helpdesk adapter posts: the handoff packet rendered for a person.

One renderer, three variants: ``text`` (Zammad, Help Scout, Jira, metadata fields),
``markdown`` (Front, Chatwoot) and ``html`` (Zendesk, Freshdesk, Intercom). The note carries
why Rapport escalated (queue, priority, the reasons), the summary, the sentiment over time,
the signals, the customer and the transcript, newest turns last.

What a person reads first must not contradict itself: a change of a tenth or more (as
printed) is never "steady"; a signal without evidence says so instead of showing nothing; and
the frustration figures appear once: when the "Why" lines show them (a ``frustration_rise``
or ``frustration`` reason, from the router's record), the ``frustration_trend`` signal points
there instead of repeating its own series, which may be the classifier's re-estimate.
"""

from __future__ import annotations

import html
from typing import Literal

from rapport_contracts import HandoffPacket, Reason, Signal

Format = Literal["text", "markdown", "html"]

TRANSCRIPT_TURNS = 20
TURN_CHARS = 600
_BARS = "▁▂▃▄▅▆▇█"
STEADY = 0.1  # a sentiment change smaller than this, first to last as printed, is "steady"
NO_EVIDENCE = "(no single phrase: seen across the conversation)"
FRUSTRATION_SIGNALS = frozenset({"frustration", "frustration_rise"})  # reasons with the figures
SERIES_UNDER_WHY = "(the frustration figures are under Why)"


def sparkline(scores: tuple[float, ...]) -> str:
    """Sentiment scores (-1..1) as bars, lowest first: ``▇▅▂▁`` reads "getting worse"."""
    return "".join(_BARS[min(7, max(0, round((s + 1) / 2 * 7)))] for s in scores)


def trend_words(scores: tuple[float, ...]) -> str:
    if not scores:
        return "no customer sentiment recorded"
    values = " → ".join(f"{s:+.2f}" for s in scores)
    if len(scores) < 2:
        return values
    # Judged on the values as printed; the packet's summary uses the same words and rule
    # (rapport_router.packet.trend_word).
    delta = round(scores[-1], 2) - round(scores[0], 2)
    direction = "steady" if abs(delta) < STEADY - 1e-9 else "falling" if delta < 0 else "rising"
    return f"{values} ({direction}) {sparkline(scores)}"


def number(value: object) -> str:
    """Whole numbers plain, others with two decimals (as rapport_router.packet.number)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def reason_line(reason: Reason) -> str:
    parts = [f"rule {reason.rule}"]
    if reason.signal:
        parts.append(f"{reason.signal}={number(reason.value)}")
        if reason.threshold is not None:
            parts.append(f"(threshold {number(reason.threshold)})")
    elif reason.value is not None:
        parts.append(f"value {reason.value}")
    if reason.detail:
        parts.append(f"- {reason.detail}")
    return " ".join(str(p) for p in parts)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def signal_line(signal: Signal, figures_under_why: bool) -> str:
    if signal.name == "frustration_trend" and figures_under_why:
        shown = SERIES_UNDER_WHY
    elif signal.evidence.strip():
        shown = f'"{_clip(signal.evidence, 120)}"'
    else:
        shown = NO_EVIDENCE
    return f"{signal.name} {signal.score:.2f} {shown}"


def sections(packet: HandoffPacket) -> list[tuple[str, list[str]]]:
    """The note's content, format-free: (heading, lines)."""
    decision = packet.decision
    head = [
        f"Queue: {decision.queue or '(none)'} · Priority: {decision.priority} · "
        f"Conversation: {packet.conversation_id} · Channel: {packet.channel}"
    ]
    out: list[tuple[str, list[str]]] = [("Rapport handoff: a person is needed", head)]
    out.append(("Why", [reason_line(r) for r in decision.reasons] or ["(no reason recorded)"]))
    summary = [line for line in packet.summary.splitlines() if line.strip()]
    if summary:
        out.append(("Summary", summary))
    out.append(("Sentiment over time", [trend_words(packet.sentiment_trend)]))
    if packet.signals:
        under_why = any(r.signal in FRUSTRATION_SIGNALS for r in decision.reasons)
        out.append(("Signals", [signal_line(s, under_why) for s in packet.signals]))
    customer = packet.customer
    if customer is not None:
        lines = [
            f"{label}: {value}"
            for label, value in (
                ("Name", customer.name),
                ("E-mail", customer.email),
                ("Id", customer.id),
                ("Tier", customer.tier),
            )
            if value
        ]
        lines += [f"{k}: {v}" for k, v in sorted(customer.attributes.items())]
        if lines:
            out.append(("Customer", lines))
    turns = packet.transcript[-TRANSCRIPT_TURNS:]
    if turns:
        skipped = len(packet.transcript) - len(turns)
        lines = [f"({skipped} earlier turns not shown)"] if skipped else []
        for t in turns:
            mood = (
                f" [{t.sentiment} {t.sentiment_score:+.2f}]"
                if t.sentiment_score is not None
                else ""
            )
            lines.append(
                f"{t.sent_at:%Y-%m-%d %H:%M} {t.author}{mood}: {_clip(t.text, TURN_CHARS)}"
            )
        out.append(("Transcript", lines))
    out.append(("", [f"Handoff {packet.handoff_id}, decision {decision.decision_id}"]))
    return out


def render_note(packet: HandoffPacket, fmt: Format = "text", max_chars: int | None = None) -> str:
    """The note in ``fmt``; cut to ``max_chars`` (keeping the head) when given."""
    parts: list[str] = []
    for i, (heading, lines) in enumerate(sections(packet)):
        if fmt == "html":
            tag = "h3" if i == 0 else "b"
            block = f"<{tag}>{html.escape(heading)}</{tag}>" if heading else ""
            if heading == "Transcript" or len(lines) > 1:
                block += "<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in lines) + "</ul>"
            else:
                block += "".join(f"<p>{html.escape(x)}</p>" for x in lines)
            parts.append(block)
        elif fmt == "markdown":
            title = (f"### {heading}" if i == 0 else f"**{heading}**") if heading else ""
            bullets = len(lines) > 1 or heading == "Transcript"
            body = "\n".join(f"- {x}" if bullets else x for x in lines)
            parts.append(f"{title}\n{body}".strip())
        else:
            title = f"{heading.upper()}" if heading else ""
            body = "\n".join(f"  {x}" if heading else x for x in lines)
            parts.append(f"{title}\n{body}".strip())
    note = ("" if fmt == "html" else "\n\n").join(parts)
    if max_chars is not None and len(note) > max_chars:
        note = note[: max_chars - 1] + "…"
    return note
