"""Threshold suggestions (``rapport_console.suggestions``) on conversations made here: the
judged turns, the policy, the replayed effect and the sentence a lead reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import yaml

from rapport_console import suggestions
from rapport_contracts import Classification, ClassifiedMessage, Decision, Message, Reason, Signal
from rapport_contracts.events import Feedback, FeedbackVerdict
from rapport_contracts.policy import Policy
from rapport_router.engine import decide
from rapport_router.replay import items_from_history

SITE = "acme"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
POLICY = Policy.model_validate(
    yaml.safe_load(
        """
id: lab
version: "1"
rules:
  - name: frustrated
    when: {frustration_at_least: 0.6}
    route: human
    queue: support
  - name: complaint
    when: {any_signal: [complaint], min_signal_score: 0.8}
    route: human
    queue: support
  - name: negative
    when: {sentiment_score_at_most: -0.3}
    route: automation
"""
    )
)


class History:
    """Conversations of one turn each, decided by POLICY as the router would, with feedback."""

    def __init__(self) -> None:
        self.classified: list[ClassifiedMessage] = []
        self.decisions: list[Decision] = []
        self.feedback: list[Feedback] = []

    def turn(
        self,
        frustration: float,
        verdict: FeedbackVerdict | None = None,
        complaint: float | None = None,
    ) -> Decision:
        n = len(self.classified)
        at = T0 + timedelta(minutes=n)
        signals = () if complaint is None else (Signal(name="complaint", score=complaint),)
        c = Classification(
            sentiment="negative",
            sentiment_score=-0.4,
            frustration=frustration,
            complexity=0.2,
            complexity_level="low",
            signals=signals,
            language="en",
            classifier_version="test",
        )
        message = Message(
            site=SITE,
            conversation_id=f"c{n}",
            message_id="m1",
            author="customer",
            text="the order is late",
            sent_at=at,
            received_at=at,
        )
        event = ClassifiedMessage(message=message, classification=c)
        self.classified.append(event)
        outcome = next(
            decide(POLICY, c, state, context)
            for *_, state, context in items_from_history([event], SITE)
        )
        decision = Decision(
            decision_id=f"d{n}",
            site=SITE,
            conversation_id=f"c{n}",
            message_id="m1",
            route=outcome.route,
            queue=outcome.queue,
            priority=outcome.priority,
            reasons=outcome.reasons or (Reason(rule=outcome.rule),),
            policy_id=POLICY.id,
            policy_version=POLICY.version,
            classifier_version="test",
            decided_at=at,
        )
        self.decisions.append(decision)
        if verdict is not None:
            self.judge(decision, verdict)
        return decision

    def judge(self, decision: Decision, verdict: FeedbackVerdict) -> None:
        self.feedback.append(
            Feedback(
                feedback_id=f"f{len(self.feedback)}",
                site=SITE,
                conversation_id=decision.conversation_id,
                decision_id=decision.decision_id,
                verdict=verdict,
            )
        )

    def suggest(self, policy: Policy = POLICY) -> list[suggestions.Suggestion]:
        return suggestions.suggest(SITE, policy, self.classified, self.decisions, self.feedback)


def frustrated_history() -> History:
    h = History()
    for f in (0.61, 0.63, 0.64, 0.66, 0.68):
        h.turn(f, "unneeded-escalation")
    h.turn(0.69, "correct")  # needed, and just above where a raise would go
    for f in (0.75, 0.82, 0.9):
        h.turn(f)  # escalations nobody marked: needed ones
    h.turn(0.2)  # automation, not judged
    return h


def test_raising_a_threshold_over_unneeded_escalations_is_suggested_with_its_effect() -> None:
    found = frustrated_history().suggest()
    assert found, "no suggestion"
    best = found[0]
    assert (best.rule, best.condition, best.current, best.proposed) == (
        "frustrated",
        "frustration_at_least",
        0.6,
        0.7,
    )
    e = best.effect
    assert (e.unneeded, e.avoided, e.needed, e.lost) == (5, 5, 4, 1)
    assert best.sentence() == (
        "raising `frustration_at_least` of rule frustrated from 0.6 to 0.7 would have avoided "
        "5 of 5 unneeded escalations and missed 1 of 4 needed ones"
    )
    # The other moves of the same condition are not listed beside the best one.
    assert [(s.rule, s.condition) for s in found].count(("frustrated", "frustration_at_least")) == 1


def test_lowering_a_signal_threshold_over_a_missed_escalation() -> None:
    h = History()
    h.turn(0.3, "missed-escalation", complaint=0.72)
    h.turn(0.3, "correct", complaint=0.66)  # automation marked right: must stay automation
    h.turn(0.3, complaint=0.9)  # escalated by the complaint rule, not judged: needed
    found = h.suggest()
    assert [(s.rule, s.condition, s.proposed) for s in found] == [
        ("complaint", "min_signal_score", 0.7)
    ]
    assert found[0].sentence() == (
        "lowering `min_signal_score` of rule complaint from 0.8 to 0.7 would have caught 1 of 1 "
        "missed escalations and missed 0 of 1 needed ones"
    )


def test_a_change_that_breaks_as_much_as_it_fixes_is_not_suggested() -> None:
    h = History()
    h.turn(0.65, "unneeded-escalation")
    h.turn(0.66, "correct")  # any raise that avoids the first loses this one
    assert h.suggest() == []


def test_no_unneeded_or_missed_feedback_means_no_suggestion() -> None:
    h = History()
    h.turn(0.9, "correct")
    h.turn(0.1, "correct")
    assert h.suggest() == []


def test_the_latest_verdict_on_a_decision_counts() -> None:
    h = frustrated_history()
    for d in h.decisions[:5]:
        h.judge(d, "correct")  # the lead changed their mind: every escalation was right
    assert h.suggest() == []


def test_a_turn_an_earlier_rule_decides_is_not_counted_as_fixed() -> None:
    h = History()
    # Frustration 0.9 is escalated by `frustrated` first: moving `complaint` changes nothing.
    h.turn(0.9, "unneeded-escalation", complaint=0.95)
    found = h.suggest()
    assert all(s.rule == "frustrated" for s in found)


def test_each_effect_is_what_a_full_replay_of_the_changed_policy_gives() -> None:
    h = frustrated_history()
    h.turn(0.3, "missed-escalation", complaint=0.75)
    h.turn(0.3, "correct", complaint=0.7)
    found = h.suggest()
    assert len(found) >= 2
    v = suggestions.verdicts(h.decisions, h.feedback)
    items = list(suggestions.judged_items(h.classified, SITE, v.all))
    baseline = frozenset(
        key for key, c, s, ctx in items if decide(POLICY, c, s, ctx).route == "human"
    )
    for s in found:
        index = [r.name for r in POLICY.rules].index(s.rule)
        changed = suggestions.with_threshold(POLICY, index, s.condition, s.proposed)
        escalated = frozenset(
            key for key, c, st, ctx in items if decide(changed, c, st, ctx).route == "human"
        )
        assert suggestions.effect(baseline, escalated, v) == s.effect, s.sentence()


def test_conversation_state_is_rebuilt_for_conditions_on_earlier_turns() -> None:
    policy = Policy.model_validate(
        {
            "id": "p",
            "version": "1",
            "rules": [
                {
                    "name": "repeatedly-negative",
                    "when": {"negative_turns_at_least": 2},
                    "route": "human",
                    "queue": "support",
                }
            ],
        }
    )
    h = History()
    turns = []
    for i in range(3):  # one conversation, three negative turns
        at = T0 + timedelta(minutes=i)
        message = Message(
            site=SITE,
            conversation_id="long",
            message_id=f"m{i}",
            author="customer",
            text="no",
            sent_at=at,
            received_at=at,
        )
        c = Classification(
            sentiment="negative",
            sentiment_score=-0.5,
            frustration=0.3,
            complexity=0.1,
            complexity_level="low",
            language="en",
            classifier_version="test",
        )
        turns.append(ClassifiedMessage(message=message, classification=c))
    h.classified = turns
    for i, route in enumerate(("automation", "human", "human")):
        h.decisions.append(
            Decision(
                decision_id=f"d{i}",
                site=SITE,
                conversation_id="long",
                message_id=f"m{i}",
                route=route,  # type: ignore[arg-type]
                queue="support" if route == "human" else None,
                priority="normal",
                reasons=(Reason(rule="repeatedly-negative"),),
                policy_id="p",
                policy_version="1",
                classifier_version="test",
            )
        )
    h.judge(h.decisions[1], "unneeded-escalation")  # the second negative turn was too soon
    found = h.suggest(policy)
    assert [(s.condition, s.proposed) for s in found] == [("negative_turns_at_least", 3)]
    assert (found[0].effect.avoided, found[0].effect.lost) == (1, 0)
