"""Offline policy tools: replay a policy over recorded or labelled conversations, and compare
the live policy with its shadow. The engine is the same pure function the router runs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapport_contracts import Classification, ClassifiedMessage, Decision, Turn
from rapport_contracts.policy import Policy
from rapport_router.engine import ConversationState, MessageContext, Outcome, decide

Classifier = Callable[[str, Sequence[Turn]], Classification]
FallbackDetector = Callable[[str], bool]


def state_from_context(
    context: Sequence[Turn], classify: Classifier, is_fallback: FallbackDetector
) -> ConversationState:
    """The state the router would hold after these earlier turns (oldest first)."""
    negative = customer = failures = 0
    frustration: list[float] = []
    for i, turn in enumerate(context):
        if turn.author == "customer":
            c = classify(turn.text, context[:i])
            customer += 1
            negative += c.sentiment == "negative"
            frustration.append(c.frustration)
        elif turn.author == "bot":
            failures = failures + 1 if is_fallback(turn.text) else 0
    return ConversationState(
        customer_turns=customer,
        negative_turns=negative,
        bot_failures_in_row=failures,
        frustration_history=tuple(frustration[-20:]),
    )


@dataclass
class Tally:
    """Outcomes of one policy over a set of messages."""

    policy: str
    total: int = 0
    human: int = 0
    rules: Counter[str] = field(default_factory=Counter)

    def add(self, outcome_route: str, rule: str) -> None:
        self.total += 1
        self.human += outcome_route == "human"
        self.rules[rule] += 1

    @property
    def escalation_rate(self) -> float:
        return self.human / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "messages": self.total,
            "escalated": self.human,
            "escalation_rate": round(self.escalation_rate, 4),
            "rules": dict(self.rules.most_common()),
        }


@dataclass(frozen=True)
class Change:
    conversation_id: str
    message_id: str
    text: str
    before: str  # "route/rule"
    after: str


@dataclass
class Comparison:
    candidate: Tally
    baseline: Tally
    changes: list[Change] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate.as_dict(),
            "baseline": self.baseline.as_dict(),
            "changed": [change.__dict__ for change in self.changes],
        }


def _label(outcome: Outcome) -> str:
    return f"{outcome.route}/{outcome.rule}"


def compare(
    items: Iterable[tuple[str, str, str, Classification, ConversationState, MessageContext]],
    candidate: Policy,
    baseline: Policy,
) -> Comparison:
    """Run both policies on each (conversation, message, text, classification, state, context)."""
    result = Comparison(
        Tally(f"{candidate.id}@{candidate.version}"), Tally(f"{baseline.id}@{baseline.version}")
    )
    for conversation_id, message_id, text, c, state, context in items:
        new, old = decide(candidate, c, state, context), decide(baseline, c, state, context)
        result.candidate.add(new.route, new.rule)
        result.baseline.add(old.route, old.rule)
        if new.route != old.route:
            result.changes.append(
                Change(conversation_id, message_id, text[:200], _label(old), _label(new))
            )
    return result


def items_from_eval_file(
    rows: Iterable[tuple[str, str, tuple[Turn, ...]]],
    classify: Classifier,
    is_fallback: FallbackDetector,
) -> Iterator[tuple[str, str, str, Classification, ConversationState, MessageContext]]:
    """Messages in the eval data format (id, text, context) as engine inputs."""
    for item_id, text, context in rows:
        state = state_from_context(context, classify, is_fallback)
        yield item_id, item_id, text, classify(text, context), state, MessageContext()


def items_from_history(
    classified: Iterable[ClassifiedMessage], site: str | None = None
) -> Iterator[tuple[str, str, str, Classification, ConversationState, MessageContext]]:
    """Recorded messages (the ``classified`` stream, in order), with each conversation's state
    rebuilt as the router would have held it."""
    states: dict[tuple[str, str], dict[str, Any]] = {}
    for event in classified:
        m = event.message
        if site is not None and m.site != site:
            continue
        key = (m.site, m.conversation_id)
        s = states.setdefault(
            key, {"customer": 0, "negative": 0, "failures": 0, "frustration": [], "first": None}
        )
        if m.author == "bot":
            s["failures"] = s["failures"] + 1 if event.bot_fallback else 0
            continue
        if m.author != "customer" or event.classification is None:
            continue
        c = event.classification
        state = ConversationState(
            customer_turns=s["customer"],
            negative_turns=s["negative"],
            bot_failures_in_row=s["failures"],
            frustration_history=tuple(s["frustration"]),
            first_customer_at=s["first"],
        )
        context = MessageContext(
            at=m.sent_at, channel=m.channel, language=m.language or c.language, customer=m.customer
        )
        yield m.conversation_id, m.message_id, m.text, c, state, context
        s["customer"] += 1
        s["negative"] += c.sentiment == "negative"
        s["frustration"] = [*s["frustration"], c.frustration][-20:]
        s["first"] = s["first"] or m.sent_at


def live_versus_shadow(decisions: Iterable[Decision], site: str) -> dict[str, Any]:
    """Summarise recorded live and shadow decisions of one site."""
    live: dict[tuple[str, str], Decision] = {}
    shadow: dict[tuple[str, str], Decision] = {}
    for d in decisions:
        if d.site != site or d.message_id.startswith("ladder-"):
            continue
        (shadow if d.shadow else live)[(d.conversation_id, d.message_id)] = d
    tallies = {}
    for name, group in (("live", live), ("shadow", shadow)):
        tally = Tally(
            ", ".join(sorted({f"{d.policy_id}@{d.policy_version}" for d in group.values()})) or "-"
        )
        for d in group.values():
            tally.add(d.route, d.reasons[0].rule)
        tallies[name] = tally.as_dict()
    differ = [
        {
            "conversation_id": key[0],
            "message_id": key[1],
            "live": f"{live[key].route}/{live[key].reasons[0].rule}",
            "shadow": f"{shadow[key].route}/{shadow[key].reasons[0].rule}",
        }
        for key in sorted(live.keys() & shadow.keys())
        if live[key].route != shadow[key].route
    ]
    return {
        "site": site,
        **tallies,
        "changed": differ,
        "compared": len(live.keys() & shadow.keys()),
    }


def format_comparison(report: dict[str, Any], left: str, right: str, limit: int = 20) -> str:
    lines = []
    for key in (left, right):
        t = report[key]
        lines.append(
            f"{key:<9} {t['policy']}: {t['escalated']}/{t['messages']} escalated "
            f"({100 * t['escalation_rate']:.1f}%)"
        )
        for rule, count in t["rules"].items():
            lines.append(f"            {rule:<32} {count}")
    changed = report["changed"]
    lines.append(f"{len(changed)} message(s) with a different route:")
    for change in changed[:limit]:
        detail = "  ".join(f"{k}={v}" for k, v in change.items())
        lines.append(f"  {detail}")
    if len(changed) > limit:
        lines.append(f"  ... and {len(changed) - limit} more (--json shows all)")
    return "\n".join(lines)


def since_to_stream_id(since: str, now: datetime) -> str:
    """``24h``, ``90m``, ``7d`` or an ISO time, as the first stream id to read."""
    units = {"m": 60, "h": 3600, "d": 86400}
    if since[-1:] in units and since[:-1].replace(".", "", 1).isdigit():
        start = now.timestamp() - float(since[:-1]) * units[since[-1]]
    else:
        start = datetime.fromisoformat(since).timestamp()
    return f"{int(start * 1000)}-0"
