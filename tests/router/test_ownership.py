"""The ownership state machine: table tests for each transition, and property tests over random
event sequences for the invariants the router promises."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from rapport_router.ownership import (
    AgentReplied,
    CustomerOutcome,
    Event,
    LadderTimeout,
    Ownership,
    Resolved,
    step,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
COOLDOWN = 600.0


def human(at: float, priority: str = "high") -> CustomerOutcome:
    return CustomerOutcome("human", "support", priority, T0 + timedelta(seconds=at))  # type: ignore[arg-type]


def auto(at: float) -> CustomerOutcome:
    return CustomerOutcome("automation", None, "low", T0 + timedelta(seconds=at))


def test_escalation_opens_once_and_holds_automation() -> None:
    state, verdict = step(Ownership(), human(0), COOLDOWN)
    assert (state.owner, state.episode, verdict.escalate, verdict.hold) == (
        "escalated",
        1,
        True,
        True,
    )
    again, verdict = step(state, human(5), COOLDOWN)
    assert again == state
    assert not verdict.escalate
    assert verdict.route == "human"


def test_agent_reply_takes_ownership_and_resolution_resumes_the_bot() -> None:
    state, _ = step(Ownership(), human(0), COOLDOWN)
    state, verdict = step(state, AgentReplied(T0 + timedelta(seconds=30)), COOLDOWN)
    assert state.owner == "human"
    assert not verdict.hold  # automation was already told to hold at the escalation
    state, verdict = step(state, Resolved(T0 + timedelta(seconds=90), "helpdesk"), COOLDOWN)
    assert (state.owner, verdict.resume) == ("resolved", True)
    state, verdict = step(state, auto(100), COOLDOWN)
    assert (state.owner, verdict.route) == ("bot", "automation")


def test_an_agent_joining_a_bot_conversation_holds_the_bot() -> None:
    state, verdict = step(Ownership(), AgentReplied(T0), COOLDOWN)
    assert (state.owner, verdict.hold) == ("human", True)


def test_cooldown_stops_borderline_re_escalation_but_not_a_request() -> None:
    state, _ = step(Ownership(), human(0), COOLDOWN)
    state, _ = step(state, Resolved(T0 + timedelta(seconds=60), "helpdesk"), COOLDOWN)
    calm, verdict = step(state, human(120, priority="normal"), COOLDOWN)
    assert (calm.owner, verdict.escalate) == ("bot", False)
    assert "cooldown" in verdict.note
    urgent, verdict = step(state, human(120, priority="high"), COOLDOWN)
    assert (urgent.owner, urgent.episode, verdict.escalate) == ("escalated", 2, True)
    _, verdict = step(state, human(60 + COOLDOWN + 1, priority="normal"), COOLDOWN)
    assert verdict.escalate


def test_ladder_steps_fire_once_and_only_for_the_open_escalation() -> None:
    state, _ = step(Ownership(), human(0), COOLDOWN)
    timeout = LadderTimeout(1, 1, "tier2", "urgent", T0 + timedelta(seconds=600))
    state, verdict = step(state, timeout, COOLDOWN)
    assert (verdict.relay, state.queue, state.priority, state.ladder_step) == (
        True,
        "tier2",
        "urgent",
        1,
    )
    same, verdict = step(state, timeout, COOLDOWN)
    assert (same, verdict.relay) == (state, False)
    stale = LadderTimeout(0, 2, "tier3", "urgent", T0)
    assert not step(state, stale, COOLDOWN)[1].relay
    replied, _ = step(state, AgentReplied(T0), COOLDOWN)
    assert not step(replied, LadderTimeout(1, 2, "tier3", "urgent", T0), COOLDOWN)[1].relay


@st.composite
def events(draw: st.DrawFn) -> list[Event]:
    out: list[Event] = []
    clock = 0.0
    for _ in range(draw(st.integers(1, 40))):
        clock += draw(st.floats(0, 1200))
        at = T0 + timedelta(seconds=clock)
        kind = draw(st.sampled_from(["human", "auto", "agent", "resolved", "ladder"]))
        if kind == "human":
            out.append(
                CustomerOutcome(
                    "human",
                    "support",
                    draw(st.sampled_from(["low", "normal", "high", "urgent"])),
                    at,
                )
            )
        elif kind == "auto":
            out.append(CustomerOutcome("automation", None, "low", at))
        elif kind == "agent":
            out.append(AgentReplied(at))
        elif kind == "resolved":
            out.append(Resolved(at, "helpdesk"))
        else:
            out.append(
                LadderTimeout(
                    draw(st.integers(0, 5)), draw(st.integers(1, 4)), "tier2", "urgent", at
                )
            )
    return out


@settings(max_examples=400, deadline=None)
@given(events())
def test_invariants_hold_for_any_sequence(sequence: list[Event]) -> None:
    state = Ownership()
    open_escalation = False
    human_owns = False
    for event in sequence:
        before = state
        state, verdict = step(state, event, COOLDOWN)
        # Never two open escalations for one conversation.
        if verdict.escalate:
            assert not open_escalation, "a second escalation opened before the first was resolved"
            open_escalation = True
        if isinstance(event, Resolved) and before.owner in ("escalated", "human"):
            open_escalation = False
            human_owns = False
        if isinstance(event, AgentReplied):
            human_owns = True
        # Never bot-owned while a human owns it; the bot never gets the route then.
        if human_owns:
            assert state.owner == "human"
            assert verdict.route == "human" or isinstance(event, Resolved)
        # Every open escalation is in a state that a resolution or a ladder timer can act on.
        if state.owner == "escalated":
            assert open_escalation
            resolved, v = step(state, Resolved(event_time(event), "timeout"), COOLDOWN)
            assert resolved.owner == "resolved" and v.resume
            laddered, v = step(
                state,
                LadderTimeout(
                    state.episode, state.ladder_step + 1, "tier2", "urgent", event_time(event)
                ),
                COOLDOWN,
            )
            assert v.relay and laddered.ladder_step == state.ladder_step + 1
        assert state.episode >= before.episode


def event_time(event: Event) -> datetime:
    return event.at
