"""What follows a decision, pure like the decision step itself: due timers (the escalation
ladder, resolution by silence, the handoff deadline) and handoff results (a delivery confirms
the escalation; a failure goes to the fallback queue or releases the customer to the bot with
an honest message). The stage loads the state, calls these, and writes the plan."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from rapport_contracts import Decision, HandoffResult, Notification, Priority, Reason
from rapport_contracts.policy import Policy
from rapport_router.decision import Tuning
from rapport_router.ownership import HandoffFailed, LadderTimeout, Resolved, step
from rapport_router.plan import PacketRequest, Plan, handoff_id_for, instruction, stable_id
from rapport_router.state import RouterState
from rapport_router.timers import Timer, handoff_deadline_timer, ladder_timer

HANDOFF_FAILED_RULE = "handoff-failed"
FALLBACK_RULE = "handoff-failed:fallback"


def apply_timer(
    timer: Timer, policy: Policy, state: RouterState, tuning: Tuning, now: float
) -> Plan:
    """A due timer's effect on ``state`` (updated in place) and what to write."""
    if timer.kind == "resolve":
        return _resolve_by_silence(timer, policy, state, tuning.cooldown_s, now)
    if timer.kind == "handoff-deadline":
        attempt = 1 if state.fallback_tried else 0
        if (
            state.owner != "escalated"
            or state.episode != timer.episode
            or state.handoff_confirmed
            or timer.step != attempt
        ):
            return Plan()  # confirmed in time, or the escalation is over
        why = f"not confirmed by the helpdesk within {tuning.handoff_confirm_s:.0f} s"
        return handoff_failed(timer.site, timer.conversation_id, policy, state, why, tuning, now)
    return _climb_ladder(timer, policy, state, tuning.cooldown_s, now)


def handoff_outcome(
    result: HandoffResult, policy: Policy | None, state: RouterState, tuning: Tuning, now: float
) -> Plan:
    """What the router does with a handoff's result: a delivery confirms the escalation; a
    failure of the open escalation's handoff is acted on (fallback queue, or the bot takes the
    conversation back with an honest message, and the on-call is told)."""
    if result.handoff_id != state.handoff_id:
        return Plan()  # a ladder relay's or an earlier episode's handoff: nothing to change
    if result.status == "delivered":
        state.handoff_confirmed = True
        return Plan()
    if policy is None or state.owner != "escalated" or state.handoff_confirmed:
        return Plan()
    why = f"{result.adapter} refused it: {result.detail}" if result.detail else result.adapter
    return handoff_failed(result.site, result.conversation_id, policy, state, why, tuning, now)


def handoff_failed(
    site: str,
    conversation_id: str,
    policy: Policy,
    state: RouterState,
    why: str,
    tuning: Tuning,
    now: float,
) -> Plan:
    """The open escalation's handoff failed: try the fallback queue once, else release the
    conversation to the bot with the policy's honest message. The on-call hears either way."""
    plan = Plan()
    rules = policy.handoff_failure
    episode, attempt = state.episode, int(state.fallback_tried)
    failed_queue = state.queue
    priority: Priority = "urgent"
    if rules.fallback_queue and not state.fallback_tried:
        state.fallback_tried, state.handoff_confirmed = True, False
        state.queue = rules.fallback_queue
        decision = _failure_decision(
            site,
            conversation_id,
            policy,
            episode,
            attempt,
            "human",
            state.queue,
            priority,
            FALLBACK_RULE,
            why,
            f"handed to the fallback queue {state.queue}",
        )
        handoff_id = handoff_id_for(decision)
        state.handoff_id = handoff_id
        plan.decisions.append(decision)
        plan.packet_request = PacketRequest(handoff_id, decision, None)
        plan.timers.append(
            handoff_deadline_timer(
                site, conversation_id, episode, 1, now + tuning.handoff_confirm_s
            )
        )
    else:
        at = datetime.fromtimestamp(now, UTC)
        ownership, verdict = step(
            state.ownership(), HandoffFailed(episode, at, why), tuning.cooldown_s
        )
        state.take(ownership)
        state.handoff_id = None
        decision = _failure_decision(
            site,
            conversation_id,
            policy,
            episode,
            attempt,
            "automation",
            None,
            priority,
            HANDOFF_FAILED_RULE,
            why,
            "the bot takes the conversation back",
        )
        plan.decisions.append(decision)
        if verdict.resume:
            plan.instructions.append(
                instruction(
                    site,
                    conversation_id,
                    f"handoff-failed-{episode}",
                    "resume",
                    verdict.note,
                    decision_id=decision.decision_id,
                    customer_message=rules.message,
                )
            )
    plan.notifications.append(
        Notification(
            notification_id=stable_id("ntf", decision.decision_id),
            site=site,
            conversation_id=conversation_id,
            decision_id=decision.decision_id,
            targets=rules.notify,
            priority=priority,
            reason=f"handoff to {failed_queue or 'a person'} failed ({why}); "
            + decision.reasons[0].detail,
        )
    )
    return plan


def _failure_decision(
    site: str,
    conversation_id: str,
    policy: Policy,
    episode: int,
    attempt: int,
    route: Literal["automation", "human"],
    queue: str | None,
    priority: Priority,
    rule: str,
    why: str,
    outcome: str,
) -> Decision:
    return Decision(
        decision_id=stable_id("hfl", site, conversation_id, str(episode), str(attempt)),
        site=site,
        conversation_id=conversation_id,
        message_id=f"handoff-failed-{episode}-{attempt}",
        route=route,
        queue=queue,
        priority=priority,
        reasons=(Reason(rule=rule, signal="handoff", value="failed", detail=f"{why}; {outcome}"),),
        policy_id=policy.id,
        policy_version=policy.version,
        classifier_version="-",
    )


def _resolve_by_silence(
    timer: Timer, policy: Policy, state: RouterState, cooldown_s: float, now: float
) -> Plan:
    plan = Plan()
    if state.owner not in ("escalated", "human"):
        return plan
    quiet_until = state.last_activity + 60 * policy.resolve_after_minutes
    if quiet_until > now:  # there was activity since: look again later
        plan.timers.append((timer, quiet_until))
        return plan
    at = datetime.fromtimestamp(now, UTC)
    ownership, verdict = step(state.ownership(), Resolved(at, "timeout"), cooldown_s)
    state.take(ownership)
    if verdict.resume:
        cause = f"resolve-{timer.episode}"
        plan.instructions.append(
            instruction(timer.site, timer.conversation_id, cause, "resume", verdict.note)
        )
    return plan


def _climb_ladder(
    timer: Timer, policy: Policy, state: RouterState, cooldown_s: float, now: float
) -> Plan:
    plan = Plan()
    queue = policy.queues.get(state.origin_queue or "")
    if queue is None or timer.step > len(queue.ladder) or state.priority is None:
        return plan
    rung = queue.ladder[timer.step - 1]
    at = datetime.fromtimestamp(now, UTC)
    event = LadderTimeout(
        timer.episode, timer.step, rung.queue or state.queue, rung.priority or state.priority, at
    )
    ownership, verdict = step(state.ownership(), event, cooldown_s)
    if not verdict.relay:
        return plan
    state.take(ownership)
    waited = round((now - state.escalated_ts) / 60, 1)
    decision = Decision(
        decision_id=stable_id(
            "lad", timer.site, timer.conversation_id, str(timer.episode), str(timer.step)
        ),
        site=timer.site,
        conversation_id=timer.conversation_id,
        message_id=f"ladder-{timer.episode}-{timer.step}",
        route="human",
        queue=state.queue,
        priority=state.priority or "high",
        reasons=(
            Reason(
                rule=f"ladder:{state.origin_queue}:{timer.step}",
                signal="minutes_without_agent_reply",
                value=waited,
                threshold=rung.after_minutes,
                detail=f"no agent reply {waited} min after the escalation; "
                f"now queue {state.queue}, priority {state.priority}",
            ),
        ),
        policy_id=policy.id,
        policy_version=policy.version,
        classifier_version="-",
    )
    plan.decisions.append(decision)
    plan.packet_request = PacketRequest(handoff_id_for(decision), decision, None)
    next_rung = ladder_timer(
        policy,
        timer.site,
        timer.conversation_id,
        state.origin_queue,
        timer.episode,
        state.escalated_ts,
        timer.step + 1,
    )
    if next_rung is not None:
        plan.timers.append(next_rung)
    return plan
