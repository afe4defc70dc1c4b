"""Threshold suggestions, pure: the site's policy, the recorded classified turns, the live
decisions and the feedback in; the few threshold changes that would have fixed the most
judged decisions out, each with its replayed effect.

Every numeric condition of every rule is moved over a small grid (``GRID``); each candidate
policy is run with the router's own engine (``rapport_router.engine.decide``) over the judged
turns, with each conversation's state rebuilt as the router held it
(``rapport_router.replay.items_from_history``). A turn's verdict is the latest feedback on the
live decision about it:

- *unneeded*: an escalation marked ``unneeded-escalation``;
- *missed*: an automation decision marked ``missed-escalation``;
- *needed*: an escalation not marked unneeded (marked right, or not marked: leads mark the
  wrong ones), the escalations the change must keep;
- *right automation*: an automation decision marked ``correct``.

Counts are against the current policy replayed (not the recorded decisions), so a change is
measured by itself even when the policy changed since: an unneeded escalation the current
policy no longer makes is not counted. Turns are judged one by one, as ``rapport policy
replay`` does (an earlier escalation does not hide later turns).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rapport_contracts import Classification, ClassifiedMessage, Decision
from rapport_contracts.events import Feedback
from rapport_contracts.policy import Policy, Rule
from rapport_router.engine import ConversationState, MessageContext, decide
from rapport_router.replay import items_from_history

# Offsets tried around each threshold: scores on 0..1 (or -1..1), counts, minutes (factors).
SCORE_STEPS = (-0.2, -0.15, -0.1, -0.05, 0.05, 0.1, 0.15, 0.2)
COUNT_STEPS = (-2, -1, 1, 2)
MINUTE_FACTORS = (0.5, 0.75, 1.5, 2.0)
# (condition, kind, low, high): what can be moved, within the schema's own bounds.
GRID: tuple[tuple[str, str, float, float], ...] = (
    ("min_signal_score", "score", 0.0, 1.0),
    ("sentiment_score_at_most", "score", -1.0, 1.0),
    ("frustration_at_least", "score", 0.0, 1.0),
    ("complexity_at_least", "score", 0.0, 1.0),
    ("negative_turns_at_least", "count", 1, 50),
    ("bot_failures_at_least", "count", 1, 50),
    ("bot_failures_at_most", "count", 0, 50),
    ("waiting_minutes_at_least", "minutes", 0.0, 10_000.0),
    ("frustration_rising.by", "score", 0.01, 1.0),
)
Key = tuple[str, str]  # (conversation_id, message_id)
MAX_ITEMS = 5000  # judged turns replayed per site (the newest), to bound the page's work


@dataclass(frozen=True)
class Verdicts:
    """The judged turns of one site, by (conversation, message)."""

    unneeded: frozenset[Key]
    missed: frozenset[Key]
    needed: frozenset[Key]
    right_automation: frozenset[Key]

    @property
    def all(self) -> frozenset[Key]:
        return self.unneeded | self.missed | self.needed | self.right_automation


def verdicts(decisions: Iterable[Decision], feedback: Iterable[Feedback]) -> Verdicts:
    """Turns by verdict from the live decisions and the feedback (the latest per decision)."""
    latest = {f.decision_id: f.verdict for f in feedback}
    unneeded: set[Key] = set()
    missed: set[Key] = set()
    needed: set[Key] = set()
    right: set[Key] = set()
    for d in decisions:
        if d.shadow or d.message_id.startswith("ladder-"):
            continue
        key, verdict = (d.conversation_id, d.message_id), latest.get(d.decision_id)
        if d.route == "human":
            (unneeded if verdict == "unneeded-escalation" else needed).add(key)
        elif verdict == "missed-escalation":
            missed.add(key)
        elif verdict == "correct":
            right.add(key)
    needed -= unneeded | missed  # a turn judged both ways keeps its worse verdict
    return Verdicts(frozenset(unneeded), frozenset(missed), frozenset(needed), frozenset(right))


@dataclass(frozen=True)
class Effect:
    """What a policy does to the judged turns, against the current policy replayed."""

    unneeded: int  # unneeded escalations the current policy makes
    avoided: int  # ... of them the candidate does not make
    missed: int  # missed escalations the current policy misses
    caught: int  # ... of them the candidate escalates
    needed: int  # needed escalations the current policy makes
    lost: int  # ... of them the candidate does not make
    right_automation: int  # automation marked right that the current policy keeps
    broken: int  # ... of them the candidate escalates

    @property
    def fixed(self) -> int:
        return self.avoided + self.caught

    @property
    def harmed(self) -> int:
        return self.lost + self.broken

    @property
    def net(self) -> int:
        return self.fixed - self.harmed


@dataclass(frozen=True)
class Suggestion:
    site: str
    rule: str
    condition: str
    current: float
    proposed: float
    effect: Effect

    @property
    def verb(self) -> str:
        return "raising" if self.proposed > self.current else "lowering"

    def sentence(self) -> str:
        e, parts = self.effect, []
        if e.avoided:
            parts.append(f"avoided {e.avoided} of {e.unneeded} unneeded escalations")
        if e.caught:
            parts.append(f"caught {e.caught} of {e.missed} missed escalations")
        parts.append(f"missed {e.lost} of {e.needed} needed ones")
        if e.broken:
            parts.append(f"escalated {e.broken} of {e.right_automation} turns marked right")
        head = (
            f"{self.verb} `{self.condition}` of rule {self.rule} from "
            f"{_shown(self.current)} to {_shown(self.proposed)} would have "
        )
        return head + _join(parts)


def _shown(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}".rstrip("0")


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _current(rule: Rule, condition: str) -> float | None:
    when = rule.when
    if condition == "frustration_rising.by":
        return when.frustration_rising.by if when.frustration_rising else None
    if condition == "min_signal_score" and not when.any_signal:
        return None  # no signal condition: the score threshold does nothing
    value = getattr(when, condition)
    return None if value is None else float(value)


def _grid(current: float, kind: str, low: float, high: float) -> list[float]:
    if kind == "count":
        values = [current + step for step in COUNT_STEPS]
    elif kind == "minutes":
        values = [round(current * f, 1) for f in MINUTE_FACTORS]
    else:
        values = [round(current + step, 2) for step in SCORE_STEPS]
    return sorted({v for v in values if low <= v <= high and v != current})


def with_threshold(policy: Policy, index: int, condition: str, value: float) -> Policy:
    """``policy`` with one rule's condition moved to ``value`` (validated like a file)."""
    rule = policy.rules[index]
    when: dict[str, Any] = rule.when.model_dump()
    if condition == "frustration_rising.by":
        when["frustration_rising"] = {**when["frustration_rising"], "by": value}
    else:
        when[condition] = int(value) if isinstance(when[condition], int) else value
    rules = list(policy.model_dump()["rules"])
    rules[index] = {**rules[index], "when": when}
    return Policy.model_validate({**policy.model_dump(), "rules": rules})


Item = tuple[Key, Classification, ConversationState, MessageContext]


def judged_items(
    classified: Iterable[ClassifiedMessage], site: str, wanted: frozenset[Key]
) -> Iterator[Item]:
    """The engine's inputs for the judged turns of ``site`` (state rebuilt from history)."""
    for conversation_id, message_id, _text, c, state, context in items_from_history(
        classified, site
    ):
        key = (conversation_id, message_id)
        if key in wanted:
            yield key, c, state, context


def _escalates(policy: Policy, items: list[Item]) -> frozenset[Key]:
    return frozenset(
        key
        for key, c, state, context in items
        if decide(policy, c, state, context).route == "human"
    )


def _deciding_rule(policy: Policy, items: list[Item]) -> dict[Key, int]:
    """Which rule (its index; ``len(rules)`` for the default) decides each item."""
    index = {rule.name: i for i, rule in enumerate(policy.rules)}
    return {
        key: index.get(decide(policy, c, state, context).rule, len(policy.rules))
        for key, c, state, context in items
    }


def effect(baseline: frozenset[Key], candidate: frozenset[Key], v: Verdicts) -> Effect:
    """The effect of a candidate (the judged turns it escalates) against the baseline's."""
    unneeded, missed = v.unneeded & baseline, v.missed - baseline
    needed, right = v.needed & baseline, v.right_automation - baseline
    return Effect(
        unneeded=len(unneeded),
        avoided=len(unneeded - candidate),
        missed=len(missed),
        caught=len(missed & candidate),
        needed=len(needed),
        lost=len(needed - candidate),
        right_automation=len(right),
        broken=len(right & candidate),
    )


def suggest(
    site: str,
    policy: Policy,
    classified: Iterable[ClassifiedMessage],
    decisions: Iterable[Decision],
    feedback: Iterable[Feedback],
    limit: int = 5,
) -> list[Suggestion]:
    """The best few threshold changes (at most one per rule and condition) that fix more
    judged decisions than they break, best first: most net fixes, then fewest harmed, then
    the smallest move."""
    v = verdicts((d for d in decisions if d.site == site), (f for f in feedback if f.site == site))
    if not (v.unneeded or v.missed):
        return []
    items = list(judged_items(classified, site, v.all))[-MAX_ITEMS:]
    baseline = _escalates(policy, items)
    deciding = _deciding_rule(policy, items)
    best: dict[tuple[str, str], tuple[tuple[float, ...], Suggestion]] = {}
    for index, rule in enumerate(policy.rules):
        for condition, kind, low, high in GRID:
            current = _current(rule, condition)
            if current is None:
                continue
            # A turn an earlier rule decides is decided the same way whatever this rule says.
            settled = frozenset(k for k, i in deciding.items() if i < index) & baseline
            open_items = [item for item in items if deciding[item[0]] >= index]
            for value in _grid(current, kind, low, high):
                candidate = with_threshold(policy, index, condition, value)
                escalated = settled | _escalates(candidate, open_items)
                e = effect(baseline, escalated, v)
                if e.net <= 0:
                    continue
                rank = (-e.net, e.harmed, abs(value - current))
                found = Suggestion(site, rule.name, condition, current, value, e)
                if (rule.name, condition) not in best or rank < best[(rule.name, condition)][0]:
                    best[(rule.name, condition)] = (rank, found)
    ranked = sorted(best.values(), key=lambda pair: (pair[0], pair[1].rule, pair[1].condition))
    return [s for _, s in ranked[:limit]]


def suggest_all(
    policies: Mapping[str, Policy],
    classified: Iterable[ClassifiedMessage],
    decisions: Iterable[Decision],
    feedback: Iterable[Feedback],
    limit: int = 5,
) -> dict[str, list[Suggestion]]:
    """:func:`suggest` for every site with a policy."""
    turns, made, judged = list(classified), list(decisions), list(feedback)
    out = {}
    for site, policy in sorted(policies.items()):
        found = suggest(site, policy, turns, made, judged, limit)
        if found:
            out[site] = found
    return out
