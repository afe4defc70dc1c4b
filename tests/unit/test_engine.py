"""Table-driven tests of the policy engine: each condition kind fires and stays quiet."""

from __future__ import annotations

import pytest

from rapport.contracts import Classification, Signal
from rapport.policy import Policy, default_policy
from rapport_router.engine import ConversationState, decide


def classification(
    *,
    score: float = 0.0,
    frustration: float = 0.0,
    complexity: float = 0.1,
    signals: tuple[Signal, ...] = (),
) -> Classification:
    return Classification(
        sentiment="negative" if score <= -0.2 else "positive" if score >= 0.2 else "neutral",
        sentiment_score=score,
        frustration=frustration,
        complexity=complexity,
        complexity_level="low",
        signals=signals,
        classifier_version="test",
    )


def policy(when: dict[str, object]) -> Policy:
    return Policy.model_validate(
        {
            "id": "t",
            "version": "1",
            "rules": [{"name": "r", "when": when, "route": "human", "queue": "q"}],
        }
    )


HUMAN = Signal(name="human_request", score=0.9, evidence="a person", start=0, end=8)


@pytest.mark.parametrize(
    ("when", "c", "state", "fires", "observed"),
    [
        (
            {"any_signal": ["human_request"]},
            classification(signals=(HUMAN,)),
            ConversationState(),
            True,
            0.9,
        ),
        (
            {"any_signal": ["human_request"], "min_signal_score": 0.95},
            classification(signals=(HUMAN,)),
            ConversationState(),
            False,
            None,
        ),
        (
            {"any_signal": ["legal_threat"]},
            classification(signals=(HUMAN,)),
            ConversationState(),
            False,
            None,
        ),
        (
            {"sentiment_score_at_most": -0.6},
            classification(score=-0.7),
            ConversationState(),
            True,
            -0.7,
        ),
        (
            {"sentiment_score_at_most": -0.6},
            classification(score=-0.5),
            ConversationState(),
            False,
            None,
        ),
        (
            {"frustration_at_least": 0.5},
            classification(frustration=0.5),
            ConversationState(),
            True,
            0.5,
        ),
        (
            {"frustration_at_least": 0.5},
            classification(frustration=0.49),
            ConversationState(),
            False,
            None,
        ),
        (
            {"complexity_at_least": 0.7},
            classification(complexity=0.8),
            ConversationState(),
            True,
            0.8,
        ),
        (
            {"negative_turns_at_least": 3},
            classification(score=-0.3),
            ConversationState(negative_turns=2),
            True,
            3,
        ),
        (
            {"negative_turns_at_least": 3},
            classification(score=0.0),
            ConversationState(negative_turns=2),
            False,
            None,
        ),
        (
            {"bot_failures_at_least": 2},
            classification(),
            ConversationState(bot_failures_in_row=2),
            True,
            2,
        ),
        (
            {"bot_failures_at_least": 2},
            classification(),
            ConversationState(bot_failures_in_row=1),
            False,
            None,
        ),
    ],
)
def test_condition(
    when: dict[str, object],
    c: Classification,
    state: ConversationState,
    fires: bool,
    observed: float | None,
) -> None:
    outcome = decide(policy(when), c, state)
    assert (outcome.route == "human") is fires
    if fires:
        assert outcome.rule == "r"
        assert outcome.reasons[0].value == observed
        assert outcome.reasons[0].threshold is not None
    else:
        assert outcome.rule == "default"


def test_all_conditions_of_a_rule_must_hold() -> None:
    p = policy({"any_signal": ["human_request"], "sentiment_score_at_most": -0.5})
    assert (
        decide(p, classification(signals=(HUMAN,), score=0.0), ConversationState()).route
        == "automation"
    )
    outcome = decide(p, classification(signals=(HUMAN,), score=-0.6), ConversationState())
    assert outcome.route == "human"
    assert [r.signal for r in outcome.reasons] == ["human_request", "sentiment_score"]


def test_first_matching_rule_wins_and_default_is_automation() -> None:
    p = default_policy()
    safety = Signal(name="safety", score=1.0, evidence="hurt myself")
    outcome = decide(p, classification(signals=(HUMAN, safety)), ConversationState())
    assert (outcome.rule, outcome.priority, outcome.queue) == ("safety", "urgent", "urgent")
    assert decide(p, classification(), ConversationState()).route == "automation"


def test_policy_refuses_duplicate_rule_names() -> None:
    with pytest.raises(ValueError, match="repeated: a"):
        Policy.model_validate(
            {"id": "t", "version": "1", "rules": [{"name": "a", "route": "automation"}] * 2}
        )
