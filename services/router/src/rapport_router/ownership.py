"""Who owns a conversation, as a pure state machine.

``bot`` → ``escalated`` (a handoff is open, no person has answered yet) → ``human`` (an agent
wrote) → ``resolved`` (the helpdesk says it is done, or it went quiet) → ``bot`` again.

The rules it keeps:

* at most one open escalation per conversation: while ``escalated`` or ``human``, a new
  human-worthy message is recorded but opens nothing;
* while a person owns the conversation the bot is told to hold, and told to resume when the
  conversation is resolved;
* no flapping: for ``cooldown_s`` after a resolution only an urgent or high-priority outcome
  (an explicit request, a safety signal, a threat) re-escalates; a borderline score does not;
* an escalation that waits too long for an agent climbs the queue's ladder (see the router);
* a handoff that fails (refused, dead-lettered, or not confirmed in time) never leaves the
  customer on hold: the conversation goes back to the bot, which is told to resume.

The router loads the state from Redis, calls :func:`step`, and writes the new state together
with the effects in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from rapport_contracts import Priority

Owner = Literal["bot", "escalated", "human", "resolved"]

PRIORITY_ORDER: tuple[Priority, ...] = ("low", "normal", "high", "urgent")


def priority_at_least(priority: Priority, floor: Priority) -> bool:
    return PRIORITY_ORDER.index(priority) >= PRIORITY_ORDER.index(floor)


@dataclass(frozen=True, slots=True)
class Ownership:
    owner: Owner = "bot"
    episode: int = 0  # escalations so far; names the current one
    queue: str | None = None
    priority: Priority | None = None
    escalated_at: datetime | None = None
    human_since: datetime | None = None
    resolved_at: datetime | None = None
    ladder_step: int = 0


# Events ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CustomerOutcome:
    """The policy's verdict on a customer message."""

    route: Literal["automation", "human"]
    queue: str | None
    priority: Priority
    at: datetime


@dataclass(frozen=True, slots=True)
class AgentReplied:
    at: datetime


@dataclass(frozen=True, slots=True)
class Resolved:
    at: datetime
    source: str  # "helpdesk" or "timeout"


@dataclass(frozen=True, slots=True)
class LadderTimeout:
    """The escalation of ``episode`` waited ``step`` timeouts without an agent reply."""

    episode: int
    step: int
    queue: str | None
    priority: Priority
    at: datetime


@dataclass(frozen=True, slots=True)
class HandoffFailed:
    """The helpdesk refused the escalation of ``episode``, the handoff was dead-lettered, or it
    was not confirmed in time: nobody is coming."""

    episode: int
    at: datetime
    why: str


Event = CustomerOutcome | AgentReplied | Resolved | LadderTimeout | HandoffFailed


# Effects -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the router should do for the event."""

    escalate: bool = False  # open a new escalation (a handoff packet)
    relay: bool = False  # re-send the open escalation with a new queue or priority (ladder)
    hold: bool = False  # tell automation to hold
    resume: bool = False  # tell automation it has the conversation back
    route: Literal["automation", "human"] = "automation"
    note: str = ""


def _ignored(state: Ownership, note: str) -> tuple[Ownership, Verdict]:
    owned = state.owner in ("escalated", "human")
    return state, Verdict(route="human" if owned else "automation", note=note)


def step(state: Ownership, event: Event, cooldown_s: float) -> tuple[Ownership, Verdict]:
    """The next state and what to do, for one event."""
    if isinstance(event, AgentReplied):
        if state.owner in ("escalated", "bot", "resolved"):
            hold = state.owner != "escalated"  # escalated already told automation to hold
            return (
                replace(state, owner="human", human_since=event.at),
                Verdict(hold=hold, route="human", note="an agent replied; a person owns it"),
            )
        return state, Verdict(route="human", note="an agent replied")

    if isinstance(event, Resolved):
        if state.owner in ("escalated", "human"):
            return (
                replace(state, owner="resolved", resolved_at=event.at, ladder_step=0),
                Verdict(resume=True, note=f"resolved ({event.source}); back to automation"),
            )
        return _ignored(state, "resolution for a conversation nobody owned; ignored")

    if isinstance(event, HandoffFailed):
        if state.owner != "escalated" or event.episode != state.episode:
            # A person already answered (or the episode is over): the failure changes nothing.
            return _ignored(state, "handoff failure of a finished escalation; ignored")
        return (
            replace(state, owner="bot", resolved_at=None, ladder_step=0),
            Verdict(resume=True, note=f"handoff failed ({event.why}); back to automation"),
        )

    if isinstance(event, LadderTimeout):
        if state.owner != "escalated" or event.episode != state.episode:
            return _ignored(state, "ladder timer for a finished escalation; ignored")
        if event.step <= state.ladder_step:
            return _ignored(state, "ladder step already taken; ignored")
        return (
            replace(state, queue=event.queue, priority=event.priority, ladder_step=event.step),
            Verdict(relay=True, route="human", note=f"no agent reply: ladder step {event.step}"),
        )

    # A customer message.
    if state.owner in ("escalated", "human"):
        return state, Verdict(
            route="human", note=f"a person {'owns' if state.owner == 'human' else 'is due on'} it"
        )
    if event.route == "automation":
        return replace(state, owner="bot") if state.owner == "resolved" else state, Verdict()
    if (
        state.owner == "resolved"
        and state.resolved_at is not None
        and event.at - state.resolved_at < timedelta(seconds=cooldown_s)
        and not priority_at_least(event.priority, "high")
    ):
        return replace(state, owner="bot"), Verdict(
            note=f"cooldown: resolved less than {int(cooldown_s)} s ago and priority is "
            f"{event.priority}; automation keeps it"
        )
    return (
        replace(
            state,
            owner="escalated",
            episode=state.episode + 1,
            queue=event.queue,
            priority=event.priority,
            escalated_at=event.at,
            human_since=None,
            ladder_step=0,
        ),
        Verdict(escalate=True, hold=True, route="human", note="escalated"),
    )
