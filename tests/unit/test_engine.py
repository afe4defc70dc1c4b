"""Table-driven tests of the policy engine: each condition kind fires and stays quiet."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from rapport_contracts import Classification, Customer, Signal
from rapport_contracts.policy import Policy
from rapport_router.engine import ConversationState, MessageContext, decide
from rapport_runtime.policies import default_policy


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


# Conditions over the conversation, the customer, the channel and the clock ------------------

MONDAY_10_BERLIN = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
MONDAY_20_BERLIN = datetime(2026, 11, 30, 19, 0, tzinfo=UTC)
HOURS = {"timezone": "Europe/Berlin", "hours": {"mon": ["09:00-17:00"]}, "holidays": ["2026-12-25"]}


def full_policy(when: dict[str, object], **rule: object) -> Policy:
    return Policy.model_validate(
        {
            "id": "t",
            "version": "1",
            "business_hours": HOURS,
            "rules": [{"name": "r", "when": when, "route": "human", "queue": "q", **rule}],
        }
    )


GOLD = Customer(tier="gold", attributes={"plan": "pro", "vip": True, "seats": 40})


@pytest.mark.parametrize(
    ("when", "c", "state", "context", "fires", "signal", "observed"),
    [
        (
            {"frustration_rising": {"turns": 3, "by": 0.3}},
            classification(frustration=0.7),
            ConversationState(frustration_history=(0.1, 0.3)),
            MessageContext(),
            True,
            "frustration_rise",
            0.6,
        ),
        (
            {"frustration_rising": {"turns": 3, "by": 0.3}},
            classification(frustration=0.3),
            ConversationState(frustration_history=(0.1, 0.3)),
            MessageContext(),
            False,
            None,
            None,
        ),
        (
            {"frustration_rising": {"turns": 3, "by": 0.3}},
            classification(frustration=0.9),
            ConversationState(frustration_history=(0.1,)),
            MessageContext(),
            False,
            None,
            None,
        ),
        (
            {"waiting_minutes_at_least": 30},
            classification(),
            ConversationState(first_customer_at=MONDAY_10_BERLIN),
            MessageContext(at=MONDAY_10_BERLIN + timedelta(minutes=45)),
            True,
            "waiting_minutes",
            45.0,
        ),
        (
            {"waiting_minutes_at_least": 30},
            classification(),
            ConversationState(first_customer_at=MONDAY_10_BERLIN),
            MessageContext(at=MONDAY_10_BERLIN + timedelta(minutes=5)),
            False,
            None,
            None,
        ),
        (
            {"customer": {"tier": ["gold", "platinum"]}},
            classification(),
            ConversationState(),
            MessageContext(customer=GOLD),
            True,
            "customer.tier",
            "gold",
        ),
        (
            {"customer": {"tier": ["platinum"]}},
            classification(),
            ConversationState(),
            MessageContext(customer=GOLD),
            False,
            None,
            None,
        ),
        (
            {"customer": {"attributes": {"vip": [True]}}},
            classification(),
            ConversationState(),
            MessageContext(customer=GOLD),
            True,
            "customer.vip",
            True,
        ),
        (
            {"customer": {"attributes": {"plan": ["enterprise"]}}},
            classification(),
            ConversationState(),
            MessageContext(customer=GOLD),
            False,
            None,
            None,
        ),
        (
            {"customer": {"attributes": {"plan": ["pro"]}}},
            classification(),
            ConversationState(),
            MessageContext(),
            False,
            None,
            None,
        ),
        (
            {"channel": ["email", "voice"]},
            classification(),
            ConversationState(),
            MessageContext(channel="email"),
            True,
            "channel",
            "email",
        ),
        (
            {"channel": ["email"]},
            classification(),
            ConversationState(),
            MessageContext(channel="chat"),
            False,
            None,
            None,
        ),
        (
            {"language": ["de"]},
            classification(),
            ConversationState(),
            MessageContext(language="de"),
            True,
            "language",
            "de",
        ),
        (
            {"business_hours": True},
            classification(),
            ConversationState(),
            MessageContext(at=MONDAY_10_BERLIN),
            True,
            "business_hours",
            True,
        ),
        (
            {"business_hours": True},
            classification(),
            ConversationState(),
            MessageContext(at=MONDAY_20_BERLIN),
            False,
            None,
            None,
        ),
        (
            {"business_hours": False},
            classification(),
            ConversationState(),
            MessageContext(at=datetime(2026, 12, 25, 9, 0, tzinfo=UTC)),
            True,
            "business_hours",
            False,
        ),
    ],
)
def test_context_condition(
    when: dict[str, object],
    c: Classification,
    state: ConversationState,
    context: MessageContext,
    fires: bool,
    signal: str | None,
    observed: object,
) -> None:
    outcome = decide(full_policy(when), c, state, context)
    assert (outcome.route == "human") is fires
    if fires:
        reason = outcome.reasons[0]
        assert (reason.signal, reason.value) == (signal, observed)
        assert reason.threshold is not None


def test_after_hours_turns_a_human_outcome_into_a_promise() -> None:
    p = full_policy(
        {"any_signal": ["human_request"]},
        after_hours={"route": "automation", "message": "A person will call you back after 09:00."},
        tags=["callback"],
        notify=["supervisor"],
    )
    inside = decide(
        p,
        classification(signals=(HUMAN,)),
        ConversationState(),
        MessageContext(at=MONDAY_10_BERLIN),
    )
    assert (inside.route, inside.queue, inside.customer_message) == ("human", "q", None)
    assert (inside.tags, inside.notify) == (("callback",), ("supervisor",))
    outside = decide(
        p,
        classification(signals=(HUMAN,)),
        ConversationState(),
        MessageContext(at=MONDAY_20_BERLIN),
    )
    assert (outside.route, outside.queue) == ("automation", None)
    assert outside.customer_message == "A person will call you back after 09:00."
    assert outside.reasons[-1].detail.startswith("outside business hours")


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"business_hours": {"timezone": "Mars/Olympus", "hours": {}}}, "unknown time zone"),
        (
            {"business_hours": {"timezone": "UTC", "hours": {"monday": ["09:00-17:00"]}}},
            "unknown weekday",
        ),
        (
            {"business_hours": {"timezone": "UTC", "hours": {"mon": ["17:00-09:00"]}}},
            "ends before it starts",
        ),
        (
            {
                "rules": [
                    {"name": "r", "route": "human", "queue": "q", "when": {"business_hours": True}}
                ]
            },
            "no `business_hours`",
        ),
        ({"queues": {"q": {"ladder": [{"after_minutes": 10}]}}}, "must raise the priority"),
        (
            {
                "queues": {
                    "q": {
                        "ladder": [
                            {"after_minutes": 10, "priority": "high"},
                            {"after_minutes": 5, "priority": "urgent"},
                        ]
                    }
                }
            },
            "strictly increasing",
        ),
    ],
)
def test_policy_validation_explains_the_problem(document: dict[str, object], problem: str) -> None:
    base: dict[str, object] = {
        "id": "t",
        "version": "1",
        "rules": [{"name": "a", "route": "automation"}],
    }
    with pytest.raises(ValueError, match=re.escape(problem)):
        Policy.model_validate({**base, **document})


def test_default_policy_escalates_rising_frustration_and_a_failing_bot_on_complex_matters() -> None:
    p = default_policy()
    calm = classification(score=0.0, frustration=0.45)
    rising = decide(p, calm, ConversationState(frustration_history=(0.05, 0.2)))
    assert (rising.rule, rising.route, rising.queue) == ("rising-frustration", "human", "support")
    assert decide(p, calm, ConversationState(frustration_history=(0.4, 0.45))).route == "automation"
    complex_matter = classification(score=0.0, complexity=0.6)
    failing = decide(p, complex_matter, ConversationState(bot_failures_in_row=2))
    assert (failing.rule, failing.route) == ("complex-and-bot-failing", "human")
    assert decide(p, complex_matter, ConversationState(bot_failures_in_row=1)).route == "automation"
    danger = decide(
        p, classification(signals=(Signal(name="safety", score=1.0),)), ConversationState()
    )
    assert (danger.priority, danger.notify) == ("urgent", ("supervisor",))


def test_bot_failures_at_most_bounds_the_fallbacks_in_a_row() -> None:
    p = policy({"any_signal": ["bot_failure"], "bot_failures_at_most": 0})
    said = classification(signals=(Signal(name="bot_failure", score=0.7, evidence="useless"),))
    assert decide(p, said, ConversationState()).route == "human"
    assert decide(p, said, ConversationState(bot_failures_in_row=1)).route == "automation"


FALLBACK = "Sorry, I didn't understand that. Could you rephrase?"


def _conversation_through_the_router(turns: list[tuple[str, str]]) -> list[str]:
    """Each customer turn's deciding rule, with the real classifier and the router's own
    decision step (state kept between turns as the stage keeps it)."""
    from rapport_contracts import ClassifiedMessage, Message, Turn
    from rapport_router.decision import Tuning, route_message
    from rapport_router.state import RouterState
    from rapport_runtime.config import demo_sites
    from rapport_sentiment.classifier import classify, is_bot_fallback

    site = demo_sites().sites["demo"]
    state, context, rules = RouterState(), list[Turn](), []
    at = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    for n, (author, text) in enumerate(turns):
        message = Message(
            site="demo",
            conversation_id="c",
            message_id=f"m{n}",
            author=author,  # type: ignore[arg-type]
            text=text,
            sent_at=at + timedelta(minutes=n),
        )
        event = ClassifiedMessage(
            message=message,
            classification=classify(text, context) if author == "customer" else None,
            bot_fallback=author == "bot" and is_bot_fallback(text),
        )
        plan = route_message(event, state, site, Tuning(), now=float(n))
        if author == "customer":
            rules.append(plan.decisions[0].reasons[0].rule)
        context.append(Turn(author=author, text=text))  # type: ignore[arg-type]
    return rules


def test_default_policy_complex_and_bot_failing_is_reachable_in_a_real_conversation() -> None:
    """Issue 13: `bot-failing` fired after one fallback (the classifier's bot_failure signal
    scores 0.7 for one), so a conversation was escalated before `complex-and-bot-failing`
    could ever see two. Now one fallback stays with the bot and the second decides."""
    rules = _conversation_through_the_router(
        [
            (
                "customer",
                "How do I change the email on my account to finance@acme.example, move us to "
                "the annual plan, and does the v4.2.1 export support CSV?",
            ),
            ("bot", FALLBACK),
            (
                "customer",
                "Two things: change the account email to finance@acme.example and move to the "
                "annual plan. Also: CSV export in v4.2.1?",
            ),
            ("bot", FALLBACK),
            (
                "customer",
                "Please change the email on the account, switch us to annual billing, and tell "
                "me whether v4.2.1 exports CSV.",
            ),
        ]
    )
    assert rules[0] == "default", rules
    assert rules[1] not in ("bot-failing", "bot-not-helping"), rules
    assert rules[2] == "complex-and-bot-failing", rules


def test_default_policy_a_simple_matter_goes_to_a_person_after_two_fallbacks() -> None:
    rules = _conversation_through_the_router(
        [
            ("customer", "Where do I find my invoices"),
            ("bot", FALLBACK),
            ("customer", "invoices, where are they"),
            ("bot", FALLBACK),
            ("customer", "my invoices please"),
        ]
    )
    assert rules[1] != "bot-failing" and rules[2] == "bot-failing", rules


def test_default_policy_the_customer_saying_the_bot_is_no_help_goes_to_a_person() -> None:
    rules = _conversation_through_the_router(
        [
            ("customer", "Where do I find my invoices"),
            ("bot", "You can find help articles in our help centre."),
            ("customer", "You are not helping at all"),
        ]
    )
    assert rules[1] in ("bot-not-helping", "explicit-human-request", "complaint"), rules
