"""Pure helpers that shape what the templates draw: the sentiment chart, highlighted evidence,
the timeline. No HTML is built here from customer text: segments and points go to Jinja2,
which escapes every value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapport_console.data import ConversationRecord
from rapport_contracts import ClassifiedMessage, Decision, HandoffResult, Signal


def duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    return f"{hours // 24}d {hours % 24}h"


@dataclass(frozen=True)
class Segment:
    text: str
    signal: str | None = None
    score: float | None = None


def highlight(text: str, signals: tuple[Signal, ...]) -> list[Segment]:
    """``text`` cut into plain and highlighted segments: each signal's evidence span (its
    offsets when they match the evidence, else the evidence found in the text). Overlapping
    spans keep the first."""
    spans: list[tuple[int, int, Signal]] = []
    for signal in signals:
        start, end = signal.start, signal.end
        if start is None or end is None or not (0 <= start < end <= len(text)):
            start = end = None
            if signal.evidence:
                at = text.lower().find(signal.evidence.lower())
                if at >= 0:
                    start, end = at, at + len(signal.evidence)
        if start is not None and end is not None:
            spans.append((start, end, signal))
    spans.sort(key=lambda s: (s[0], -s[1]))
    out: list[Segment] = []
    at = 0
    for start, end, signal in spans:
        if start < at:
            continue
        if start > at:
            out.append(Segment(text[at:start]))
        out.append(Segment(text[start:end], signal.name, signal.score))
        at = end
    if at < len(text):
        out.append(Segment(text[at:]))
    return out


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    sentiment_points: str
    frustration_points: str
    dots: list[dict[str, Any]]
    grid: list[dict[str, Any]]
    escalations: list[float]
    turns: int


CHART_W, CHART_H, PAD_X, PAD_Y = 640, 220, 44, 18


def chart(messages: list[ClassifiedMessage], escalated_ids: set[str]) -> Chart | None:
    """Sentiment (-1..1) and frustration (0..1) of each classified customer turn, on one
    -1..1 axis, as SVG coordinates."""
    turns = [c for c in messages if c.message.author == "customer" and c.classification is not None]
    if not turns:
        return None
    n = len(turns)
    span_x = CHART_W - 2 * PAD_X

    def x(i: int) -> float:
        return PAD_X + (span_x * i / (n - 1) if n > 1 else span_x / 2)

    def y(v: float) -> float:
        return PAD_Y + (1 - (v + 1) / 2) * (CHART_H - 2 * PAD_Y)

    sentiment, frustration, dots, marks = [], [], [], []
    for i, c in enumerate(turns):
        assert c.classification is not None
        s, f = c.classification.sentiment_score, c.classification.frustration
        sentiment.append(f"{x(i):.1f},{y(s):.1f}")
        frustration.append(f"{x(i):.1f},{y(f):.1f}")
        dots.append(
            {
                "x": round(x(i), 1),
                "ys": round(y(s), 1),
                "yf": round(y(f), 1),
                "turn": i + 1,
                "sentiment": s,
                "frustration": f,
                "message_id": c.message.message_id,
            }
        )
        if c.message.message_id in escalated_ids:
            marks.append(round(x(i), 1))
    grid = [
        {"y": round(y(v), 1), "label": f"{v:+.1f}" if v else "0"} for v in (1, 0.5, 0, -0.5, -1)
    ]
    return Chart(CHART_W, CHART_H, " ".join(sentiment), " ".join(frustration), dots, grid, marks, n)


@dataclass
class TimelineItem:
    kind: str  # message | ownership | handoff
    at: datetime
    message: ClassifiedMessage | None = None
    segments: list[Segment] | None = None
    decisions: list[Decision] | None = None
    handoff: HandoffResult | None = None
    text: str = ""


def ticket_url(result: HandoffResult) -> str | None:
    """A link to the ticket when the adapter gave a URL (only http and https are linked)."""
    for value in (result.external_id, result.detail):
        if value and value.split("://", 1)[0].lower() in {"http", "https"} and " " not in value:
            return value
    return None


def timeline(record: ConversationRecord) -> list[TimelineItem]:
    """Turns in order, each customer turn with its decisions, and the ownership changes and
    handoff results between them."""
    by_message: dict[str, list[Decision]] = {}
    for decision in record.decisions:
        by_message.setdefault(decision.message_id, []).append(decision)
    items: list[TimelineItem] = []
    owner = "bot"
    for c in record.messages:
        m = c.message
        signals = c.classification.signals if c.classification else ()
        if m.author == "agent" and owner != "human":
            items.append(TimelineItem("ownership", m.sent_at, text="an agent took over"))
            owner = "human"
        decisions = by_message.get(m.message_id, [])
        items.append(
            TimelineItem(
                "message",
                m.sent_at,
                message=c,
                segments=highlight(m.text, signals),
                decisions=decisions,
            )
        )
        for d in decisions:
            if d.shadow or d.route != "human" or owner in {"escalated", "human"}:
                continue
            items.append(
                TimelineItem(
                    "ownership",
                    d.decided_at,
                    text=f"escalated to {d.queue or '-'} ({d.priority}) by rule {_rule(d)}",
                )
            )
            owner = "escalated"
    for h in record.handoffs:
        items.append(TimelineItem("handoff", h.at, handoff=h))
    state = record.state
    if state is not None and state.resolved_at is not None:
        items.append(TimelineItem("ownership", state.resolved_at, text="resolved"))
    items.sort(key=lambda item: item.at)
    return items


def _rule(decision: Decision) -> str:
    return decision.reasons[0].rule if decision.reasons else "default"


def escalating_messages(record: ConversationRecord) -> set[str]:
    return {d.message_id for d in record.decisions if d.route == "human" and not d.shadow}


def language_of(record: ConversationRecord, message_id: str) -> str | None:
    for c in record.messages:
        if c.message.message_id == message_id:
            if c.classification is not None:
                return c.classification.language
            return c.message.language
    return None
