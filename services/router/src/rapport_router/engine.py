"""The policy engine: a pure function from a classified message, the conversation's state and
the message's context to an outcome. Every condition that held becomes a ``Reason`` with the
observed value and the threshold, so a decision can always answer "why?". No I/O: the router
service loads the state from Redis and calls :func:`decide`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from rapport_contracts import Classification, Customer, Priority, Reason, Route
from rapport_contracts.policy import Conditions, Policy, Rule

Owner = Literal["bot", "escalated", "human"]


@dataclass(frozen=True, slots=True)
class ConversationState:
    """What the router knew about the conversation before this message."""

    owner: Owner = "bot"
    customer_turns: int = 0
    negative_turns: int = 0
    bot_failures_in_row: int = 0
    frustration_history: tuple[float, ...] = ()  # earlier customer turns, oldest first
    first_customer_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MessageContext:
    """Facts about the message other than its text."""

    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    channel: str = "chat"
    language: str = "en"
    customer: Customer | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    rule: str
    route: Route
    queue: str | None
    priority: Priority
    reasons: tuple[Reason, ...]
    tags: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()
    customer_message: str | None = None


DEFAULT_RULE = "default"


@dataclass(frozen=True, slots=True)
class _Facts:
    """Everything a condition may look at, computed once per message."""

    c: Classification
    state: ConversationState
    context: MessageContext
    policy: Policy

    @property
    def negative_turns(self) -> int:
        return self.state.negative_turns + (self.c.sentiment == "negative")

    @property
    def open_now(self) -> bool | None:
        hours = self.policy.business_hours
        return None if hours is None else hours.is_open(self.context.at)


# One check per condition kind: the Reasons it contributes, or None when it does not hold.
Check = Callable[[Conditions, _Facts, str], list[Reason] | None]


def _bound(
    name: str, value: float, threshold: float | None, at_least: bool, rule: str
) -> list[Reason] | None:
    if threshold is None:
        return []
    if (value < threshold) if at_least else (value > threshold):
        return None
    op = ">=" if at_least else "<="
    return [
        Reason(
            rule=rule,
            signal=name,
            value=round(value, 3),
            threshold=threshold,
            detail=f"{name} {op} {threshold}",
        )
    ]


def _signals(when: Conditions, f: _Facts, rule: str) -> list[Reason] | None:
    if not when.any_signal:
        return []
    hits = [
        s for s in f.c.signals if s.name in when.any_signal and s.score >= when.min_signal_score
    ]
    if not hits:
        return None
    return [
        Reason(
            rule=rule,
            signal=s.name,
            value=round(s.score, 3),
            threshold=when.min_signal_score,
            detail=f"evidence: {s.evidence!r}" if s.evidence else "",
        )
        for s in hits
    ]


def _scores(when: Conditions, f: _Facts, rule: str) -> list[Reason] | None:
    out: list[Reason] = []
    for name, value, threshold, at_least in (
        ("sentiment_score", f.c.sentiment_score, when.sentiment_score_at_most, False),
        ("frustration", f.c.frustration, when.frustration_at_least, True),
        ("complexity", f.c.complexity, when.complexity_at_least, True),
        ("negative_turns", f.negative_turns, when.negative_turns_at_least, True),
        ("bot_failures_in_row", f.state.bot_failures_in_row, when.bot_failures_at_least, True),
        ("bot_failures_in_row", f.state.bot_failures_in_row, when.bot_failures_at_most, False),
    ):
        reasons = _bound(name, value, threshold, at_least, rule)
        if reasons is None:
            return None
        out += reasons
    return out


def _rising(when: Conditions, f: _Facts, rule: str) -> list[Reason] | None:
    rising = when.frustration_rising
    if rising is None:
        return []
    series = (*f.state.frustration_history, f.c.frustration)[-rising.turns :]
    if len(series) < rising.turns:
        return None
    rise = series[-1] - series[0]
    if rise < rising.by:
        return None
    trail = " -> ".join(f"{v:.2f}" for v in series)
    return [
        Reason(
            rule=rule,
            signal="frustration_rise",
            value=round(rise, 3),
            threshold=rising.by,
            detail=f"frustration over the last {rising.turns} customer turns: {trail}",
        )
    ]


def _waiting(when: Conditions, f: _Facts, rule: str) -> list[Reason] | None:
    if when.waiting_minutes_at_least is None:
        return []
    first = f.state.first_customer_at or f.context.at
    minutes = max(0.0, (f.context.at - first).total_seconds() / 60)
    return _bound("waiting_minutes", minutes, when.waiting_minutes_at_least, True, rule)


def _customer(when: Conditions, f: _Facts, rule: str) -> list[Reason] | None:
    match = when.customer
    if match is None:
        return []
    customer = f.context.customer or Customer()
    out = []
    if match.tier:
        if customer.tier not in match.tier:
            return None
        out.append(
            Reason(
                rule=rule,
                signal="customer.tier",
                value=customer.tier,
                threshold=", ".join(match.tier),
            )
        )
    for key, allowed in match.attributes.items():
        value = customer.attributes.get(key)
        if value is None or value not in allowed:
            return None
        shown = value if isinstance(value, str | float | bool) else float(value)
        out.append(
            Reason(
                rule=rule,
                signal=f"customer.{key}",
                value=shown,
                threshold=", ".join(map(str, allowed)),
            )
        )
    return out


def _one_of(name: str, value: str, allowed: tuple[str, ...], rule: str) -> list[Reason] | None:
    if not allowed:
        return []
    if value not in allowed:
        return None
    return [Reason(rule=rule, signal=name, value=value, threshold=", ".join(allowed))]


def _channel_language(when: Conditions, f: _Facts, rule: str) -> list[Reason] | None:
    channel = _one_of("channel", f.context.channel, when.channel, rule)
    language = _one_of("language", f.context.language, when.language, rule)
    return None if channel is None or language is None else channel + language


def _hours(when: Conditions, f: _Facts, rule: str) -> list[Reason] | None:
    if when.business_hours is None:
        return []
    if f.open_now != when.business_hours:
        return None
    return [
        Reason(
            rule=rule,
            signal="business_hours",
            value=f.open_now,
            threshold=when.business_hours,
            detail="inside business hours" if f.open_now else "outside business hours",
        )
    ]


CHECKS: tuple[Check, ...] = (
    _signals,
    _scores,
    _rising,
    _waiting,
    _customer,
    _channel_language,
    _hours,
)


def _check(rule: Rule, facts: _Facts) -> tuple[Reason, ...] | None:
    """The reasons the rule fires, or None when one of its conditions does not hold."""
    reasons: list[Reason] = []
    for check in CHECKS:
        found = check(rule.when, facts, rule.name)
        if found is None:
            return None
        reasons += found
    if not reasons:
        reasons.append(Reason(rule=rule.name, detail="rule has no conditions"))
    return tuple(reasons)


def _outcome(rule: Rule, reasons: tuple[Reason, ...], facts: _Facts) -> Outcome:
    route, queue, message = rule.route, rule.queue, None
    if rule.after_hours is not None and facts.open_now is False:
        route = rule.after_hours.route
        queue = rule.after_hours.queue or (queue if route == "human" else None)
        message = rule.after_hours.message
        reasons = (
            *reasons,
            Reason(
                rule=rule.name,
                signal="business_hours",
                value=False,
                threshold=True,
                detail=f"outside business hours: {route}" + (f" ({queue})" if queue else ""),
            ),
        )
    return Outcome(rule.name, route, queue, rule.priority, reasons, rule.tags, rule.notify, message)


def decide(
    policy: Policy,
    classification: Classification,
    state: ConversationState,
    context: MessageContext | None = None,
) -> Outcome:
    """Apply the policy's rules in order; the first that fires decides."""
    facts = _Facts(classification, state, context or MessageContext(), policy)
    for rule in policy.rules:
        reasons = _check(rule, facts)
        if reasons is not None:
            return _outcome(rule, reasons, facts)
    return Outcome(
        DEFAULT_RULE,
        "automation",
        None,
        policy.default_priority,
        (Reason(rule=DEFAULT_RULE, detail="no rule fired; automation keeps the conversation"),),
    )
