"""The router's decision step, pure: the conversation's state, one classified message (or one
due timer) and the site's policy in; the updated state and a :class:`Plan` of what to write
out. No I/O: the stage (``stage.py``) loads the state, calls this, and writes the plan.

For a customer message: the policy decides (``engine.decide``), the ownership state machine
(``ownership.step``) says whether that opens an escalation, and the plan gets the decision,
the instruction for the bot, the timers and notifications. For an agent or a helpdesk status:
only the ownership moves. For a timer: a ladder step re-routes an escalation nobody picked up,
and silence resolves an episode.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapport_contracts import (
    Classification,
    ClassifiedMessage,
    Decision,
    Message,
    Notification,
    Reason,
)
from rapport_contracts.policy import Policy
from rapport_router.engine import MessageContext, Outcome, decide
from rapport_router.ownership import (
    AgentReplied,
    CustomerOutcome,
    Event,
    Resolved,
    Verdict,
    step,
)
from rapport_router.plan import (
    PacketRequest,
    Plan,
    handoff_id_for,
    message_instruction,
    stable_id,
)
from rapport_router.state import FRUSTRATION_HISTORY, RouterState
from rapport_router.timers import handoff_deadline_timer, ladder_timer, resolution_timer
from rapport_runtime.config import Site

HUMAN_OWNS_RULE = "human-owns-conversation"
COOLDOWN_RULE = "cooldown"
SUPERSEDED_RULE = "superseded"
# Statuses a helpdesk reports (as a system message's provider_ids["status"]) that end an episode.
RESOLVED_STATUSES = frozenset({"solved", "closed", "resolved"})


@dataclass(frozen=True, slots=True)
class Tuning:
    """The process settings the decision step depends on."""

    cooldown_s: float = 600.0
    handoff_confirm_s: float = 300.0


def transition_for(event: ClassifiedMessage) -> Event | None:
    """The ownership event a non-customer message stands for, if any."""
    message = event.message
    if message.author == "agent":
        return AgentReplied(message.sent_at)
    status = message.provider_ids.get("status", "").lower()
    if message.author == "system" and status in RESOLVED_STATUSES:
        return Resolved(message.sent_at, "helpdesk")
    return None


def route_message(
    event: ClassifiedMessage, state: RouterState, site: Site | None, tuning: Tuning, now: float
) -> Plan:
    """Update ``state`` in place for this message; return what to write."""
    message = event.message
    if message.author in ("customer", "agent"):
        state.last_activity = now
    if message.author == "bot":
        state.bot_failures_in_row = state.bot_failures_in_row + 1 if event.bot_fallback else 0
    if message.author != "customer" or event.classification is None:
        return _ownership_only(event, state, site, tuning.cooldown_s, now)
    if site is None:
        raise LookupError(f"site {message.site!r} is not configured on this router")
    return _customer_message(message, event, event.classification, state, site, tuning, now)


def _ownership_only(
    event: ClassifiedMessage, state: RouterState, site: Site | None, cooldown_s: float, now: float
) -> Plan:
    plan = Plan()
    message = event.message
    transition = transition_for(event)
    if transition is None:
        return plan
    before = state.owner
    ownership, verdict = step(state.ownership(), transition, cooldown_s)
    state.take(ownership)
    if before not in ("escalated", "human") and state.owner == "human" and site is not None:
        # An agent took over a conversation nobody escalated: it still resolves by silence.
        plan.timers.append(
            resolution_timer(site.policy, message.site, message.conversation_id, state.episode, now)
        )
    if verdict.hold:
        plan.instructions.append(message_instruction(message, "hold", verdict.note))
    if verdict.resume:
        plan.instructions.append(message_instruction(message, "resume", verdict.note))
    return plan


def _customer_message(
    message: Message,
    event: ClassifiedMessage,
    classification: Classification,
    state: RouterState,
    site: Site,
    tuning: Tuning,
    now: float,
) -> Plan:
    plan = Plan(accepted_at=message.received_at)
    # A message older than one already applied (its entry was reclaimed after a newer one
    # went through): recorded and decided, but the bot is never told to answer it.
    superseded = state.latest_received_at is not None and (
        message.received_at < state.latest_received_at
    )
    if not superseded:
        state.latest_received_at = message.received_at
    context = MessageContext(
        at=message.sent_at,
        channel=message.channel,
        language=message.language or classification.language,
        customer=message.customer,
    )
    outcome = decide(site.policy, classification, state.engine_view(), context)
    if site.shadow_policy is not None:
        candidate = decide(site.shadow_policy, classification, state.engine_view(), context)
        plan.decisions.append(
            decision_for(message, site.shadow_policy, classification, candidate, shadow=True)
        )
    state.customer_turns += 1
    state.negative_turns += classification.sentiment == "negative"
    state.frustration_history = [*state.frustration_history, classification.frustration][
        -FRUSTRATION_HISTORY:
    ]
    state.first_customer_at = state.first_customer_at or message.sent_at

    before = state.owner
    ownership, verdict = step(
        state.ownership(),
        CustomerOutcome(outcome.route, outcome.queue, outcome.priority, message.sent_at),
        tuning.cooldown_s,
    )
    state.take(ownership)
    decision = decision_for(
        message,
        site.policy,
        classification,
        outcome,
        verdict=verdict,
        before=before,
        state=state,
        superseded=superseded,
    )
    plan.decisions.insert(0, decision)
    if verdict.escalate:
        handoff_id = handoff_id_for(decision)
        plan.packet_request = PacketRequest(handoff_id, decision, event)
        state.handoff_id = handoff_id
        state.handoff_confirmed, state.fallback_tried = False, False
        state.origin_queue, state.escalated_ts = state.queue, now
        plan.timers.append(
            handoff_deadline_timer(
                message.site,
                message.conversation_id,
                state.episode,
                0,
                now + tuning.handoff_confirm_s,
            )
        )
        first_rung = ladder_timer(
            site.policy,
            message.site,
            message.conversation_id,
            state.origin_queue,
            state.episode,
            state.escalated_ts,
            1,
        )
        if first_rung is not None:
            plan.timers.append(first_rung)
        plan.timers.append(
            resolution_timer(site.policy, message.site, message.conversation_id, state.episode, now)
        )
    if verdict.hold:
        # After hours the customer is told honestly when a person will pick it up.
        plan.instructions.append(
            message_instruction(
                message, "hold", verdict.note, decision.decision_id, decision.customer_message
            )
        )
    if decision.route == "automation" and not superseded:
        reason = decision.reasons[0].detail or decision.reasons[0].rule
        plan.instructions.append(
            message_instruction(
                message, "respond", reason, decision.decision_id, decision.customer_message
            )
        )
    if decision.notify and decision.route == "human" and verdict.escalate:
        plan.notifications.append(
            Notification(
                notification_id=stable_id("ntf", decision.decision_id),
                site=decision.site,
                conversation_id=decision.conversation_id,
                decision_id=decision.decision_id,
                targets=decision.notify,
                priority=decision.priority,
                reason=decision.reasons[0].detail or decision.reasons[0].rule,
            )
        )
    return plan


def decision_for(
    message: Message,
    policy: Policy,
    classification: Classification,
    outcome: Outcome,
    *,
    shadow: bool = False,
    verdict: Verdict | None = None,
    before: str = "bot",
    state: RouterState | None = None,
    superseded: bool = False,
) -> Decision:
    """The recorded decision: the policy's outcome, overridden (with the reason kept) when a
    person already owns the conversation or a cooldown holds a re-escalation back."""
    route, queue, priority, reasons = (
        outcome.route,
        outcome.queue,
        outcome.priority,
        outcome.reasons,
    )
    if verdict is not None and state is not None:
        if before in ("escalated", "human"):
            # A person already has it: no new escalation, and the bot keeps quiet. The
            # policy's own verdict stays in the reasons for the audit trail.
            route, queue, priority = "human", state.queue, state.priority or priority
            reasons = (
                Reason(
                    rule=HUMAN_OWNS_RULE,
                    value=before,
                    detail=f"conversation is {before}; no new escalation",
                ),
                *reasons,
            )
        elif outcome.route == "human" and not verdict.escalate:
            route, queue = "automation", None
            reasons = (
                Reason(rule=COOLDOWN_RULE, value=outcome.priority, detail=verdict.note),
                *reasons,
            )
    if superseded and route == "automation":
        reasons = (
            Reason(
                rule=SUPERSEDED_RULE,
                detail="a newer message of this conversation was already answered; "
                "the bot is not told to answer this one",
            ),
            *reasons,
        )
    kind = "sdw" if shadow else "dec"
    return Decision(
        decision_id=stable_id(kind, message.site, message.conversation_id, message.message_id),
        site=message.site,
        conversation_id=message.conversation_id,
        message_id=message.message_id,
        route=route,
        queue=queue,
        priority=priority,
        reasons=reasons,
        policy_id=policy.id,
        policy_version=policy.version,
        classifier_version=classification.classifier_version,
        tags=outcome.tags,
        notify=outcome.notify,
        customer_message=outcome.customer_message,
        shadow=shadow,
    )
