"""The policy engine: a pure function from a classified message and the conversation's state
to an outcome. Every condition that held becomes a ``Reason`` with the observed value and the
threshold, so a decision can always answer "why?". No I/O: the router service loads the state
from Redis and calls :func:`decide`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rapport.contracts import Classification, Priority, Reason, Route
from rapport.policy import Policy, Rule

Owner = Literal["bot", "escalated", "human"]


@dataclass(frozen=True, slots=True)
class ConversationState:
    """What the router knew about the conversation before this message."""

    owner: Owner = "bot"
    customer_turns: int = 0
    negative_turns: int = 0
    bot_failures_in_row: int = 0


@dataclass(frozen=True, slots=True)
class Outcome:
    rule: str
    route: Route
    queue: str | None
    priority: Priority
    reasons: tuple[Reason, ...]


DEFAULT_RULE = "default"


def _check(rule: Rule, c: Classification, state: ConversationState) -> tuple[Reason, ...] | None:
    """The reasons the rule fires, or None when one of its conditions does not hold."""
    when = rule.when
    reasons: list[Reason] = []
    if when.any_signal:
        hits = [
            s for s in c.signals if s.name in when.any_signal and s.score >= when.min_signal_score
        ]
        if not hits:
            return None
        reasons.extend(
            Reason(
                rule=rule.name,
                signal=s.name,
                value=round(s.score, 3),
                threshold=when.min_signal_score,
                detail=f"evidence: {s.evidence!r}" if s.evidence else "",
            )
            for s in hits
        )
    negative_turns = state.negative_turns + (c.sentiment == "negative")
    bounds: tuple[tuple[str, float, float | None, bool], ...] = (
        ("sentiment_score", c.sentiment_score, when.sentiment_score_at_most, False),
        ("frustration", c.frustration, when.frustration_at_least, True),
        ("complexity", c.complexity, when.complexity_at_least, True),
        ("negative_turns", negative_turns, when.negative_turns_at_least, True),
        ("bot_failures_in_row", state.bot_failures_in_row, when.bot_failures_at_least, True),
    )
    for name, value, threshold, at_least in bounds:
        if threshold is None:
            continue
        if (value < threshold) if at_least else (value > threshold):
            return None
        reasons.append(
            Reason(
                rule=rule.name,
                signal=name,
                value=round(value, 3),
                threshold=threshold,
                detail=f"{name} {'>=' if at_least else '<='} {threshold}",
            )
        )
    if not reasons:
        reasons.append(Reason(rule=rule.name, detail="rule has no conditions"))
    return tuple(reasons)


def decide(policy: Policy, classification: Classification, state: ConversationState) -> Outcome:
    """Apply the policy's rules in order; the first that fires decides."""
    for rule in policy.rules:
        reasons = _check(rule, classification, state)
        if reasons is not None:
            return Outcome(rule.name, rule.route, rule.queue, rule.priority, reasons)
    return Outcome(
        DEFAULT_RULE,
        "automation",
        None,
        policy.default_priority,
        (Reason(rule=DEFAULT_RULE, detail="no rule fired; automation keeps the conversation"),),
    )
