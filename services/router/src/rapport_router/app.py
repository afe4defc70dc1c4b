"""The router service: per-conversation state plus the site's policy gives a decision for
every customer message; escalations become handoff packets, and the bot is told when to answer,
hold and resume."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict
from redis.exceptions import WatchError
from starlette.applications import Starlette

from rapport.config import Sites, load_sites
from rapport.consumer import Entry, Stage
from rapport.contracts import (
    AutomationInstruction,
    Classification,
    ClassifiedMessage,
    Decision,
    HandoffPacket,
    Notification,
    Priority,
    Reason,
)
from rapport.policy import Policy
from rapport.redis import ConversationKeys, Writes, dedupe_key
from rapport.service import Runtime, build_app
from rapport.settings import RapportSettings
from rapport.streams import ROUTER_GROUP
from rapport_router.engine import ConversationState, MessageContext, Outcome, decide
from rapport_router.ownership import (
    AgentReplied,
    CustomerOutcome,
    Event,
    LadderTimeout,
    Ownership,
    Resolved,
    Verdict,
    step,
)
from rapport_router.packet import build_packet
from rapport_router.timers import Timer, TimerKeys, claim_due, finish

log = logging.getLogger("rapport.router")

DECISIONS = Counter("rapport_decisions_total", "Routing decisions", ["site", "route", "rule"])
ESCALATIONS = Counter("rapport_escalations_total", "Escalations handed off", ["site", "queue"])

HUMAN_OWNS_RULE = "human-owns-conversation"
COOLDOWN_RULE = "cooldown"
WATCH_RETRIES = 10
# Statuses a helpdesk reports (as a system message's provider_ids["status"]) that end an episode.
RESOLVED_STATUSES = frozenset({"solved", "closed", "resolved"})


class RouterState(BaseModel):
    """The conversation as the router remembers it (JSON in ``...:state``)."""

    model_config = ConfigDict(extra="ignore")

    owner: Literal["bot", "escalated", "human", "resolved"] = "bot"
    episode: int = 0
    queue: str | None = None
    priority: Priority | None = None
    escalated_at: datetime | None = None
    human_since: datetime | None = None
    resolved_at: datetime | None = None
    ladder_step: int = 0
    handoff_id: str | None = None
    origin_queue: str | None = None  # the queue whose ladder this escalation climbs
    escalated_ts: float = 0.0  # wall clock of the escalation, for the ladder's timers
    last_activity: float = 0.0  # wall clock of the last customer or agent message
    customer_turns: int = 0
    negative_turns: int = 0
    bot_failures_in_row: int = 0
    frustration_history: list[float] = []  # the last customer turns, oldest first
    first_customer_at: datetime | None = None

    # The ownership fields are stored here, flat, and handed to the pure state machine.
    def ownership(self) -> Ownership:
        return Ownership(**{name: getattr(self, name) for name in Ownership.__dataclass_fields__})

    def take(self, ownership: Ownership) -> None:
        for name in Ownership.__dataclass_fields__:
            setattr(self, name, getattr(ownership, name))

    def engine_view(self) -> ConversationState:
        return ConversationState(
            owner="bot" if self.owner == "resolved" else self.owner,
            customer_turns=self.customer_turns,
            negative_turns=self.negative_turns,
            bot_failures_in_row=self.bot_failures_in_row,
            frustration_history=tuple(self.frustration_history),
            first_customer_at=self.first_customer_at,
        )


@dataclass
class Plan:
    """What the router writes for one message, all in one transaction."""

    decisions: list[Decision] = field(default_factory=list)
    packet: HandoffPacket | None = None
    instructions: list[AutomationInstruction] = field(default_factory=list)
    timers: list[tuple[Timer, float]] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)


def stable_id(kind: str, *parts: str) -> str:
    """Ids derived from their inputs, so a redelivered entry produces the same records."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"{kind}_{digest}"


def _event_for(message_author: str, event: ClassifiedMessage) -> Event | None:
    message = event.message
    if message_author == "agent":
        return AgentReplied(message.sent_at)
    status = message.provider_ids.get("status", "").lower()
    if message_author == "system" and status in RESOLVED_STATUSES:
        return Resolved(message.sent_at, "helpdesk")
    return None


class RouterStage(Stage[ClassifiedMessage]):
    event_type = ClassifiedMessage
    group = ROUTER_GROUP

    def __init__(self, settings: RapportSettings, runtime: Runtime, sites: Sites) -> None:
        super().__init__(settings, runtime.redis)
        self.stream = self.streams.classified
        self.sites = sites
        self.timer_keys = TimerKeys(settings.prefix)

    async def process(self, entries: Sequence[Entry[ClassifiedMessage]]) -> None:
        for _ in range(WATCH_RETRIES):
            try:
                await self._process_once(entries)
                return
            except WatchError:
                # Another replica changed one of these conversations; decide again on fresh state.
                continue
        raise RuntimeError(f"conversation state kept changing during {WATCH_RETRIES} attempts")

    async def _process_once(self, entries: Sequence[Entry[ClassifiedMessage]]) -> None:
        prefix = self.settings.prefix
        keys = [
            ConversationKeys(prefix, e.event.message.site, e.event.message.conversation_id)
            for e in entries
        ]
        seen_keys = [
            dedupe_key(prefix, "router", m.site, m.conversation_id, m.message_id)
            for m in (e.event.message for e in entries)
        ]
        state_keys = list(dict.fromkeys(k.state for k in keys))
        async with self.redis.pipeline(transaction=True) as pipe:
            await pipe.watch(*state_keys)
            values = await pipe.mget([*state_keys, *seen_keys])
            states = {
                key: RouterState.model_validate_json(raw) if raw else RouterState()
                for key, raw in zip(state_keys, values[: len(state_keys)], strict=True)
            }
            already_seen = values[len(state_keys) :]

            plans: list[tuple[str, Plan]] = []
            for entry, k, seen, seen_key in zip(
                entries, keys, already_seen, seen_keys, strict=True
            ):
                if not seen:
                    plans.append(
                        (seen_key, await self._route(entry.event, k, states[k.state], pipe))
                    )

            writes = Writes()
            for key, state in states.items():
                writes.set(key, state.model_dump_json(), ex=self.settings.conversation_ttl_s)
            for seen_key, plan in plans:
                writes.set(seen_key, "1", ex=self.settings.dedupe_ttl_s)
                self._write(writes, plan)
            writes.xack(self.stream, self.group, *(e.id for e in entries))
            # Inside MULTI, so a concurrent change to a watched state aborts all of it.
            pipe.multi()  # type: ignore[no-untyped-call]
            writes.apply(pipe)
            await pipe.execute()

        for _, plan in plans:
            self._report(plan)

    def _write(self, writes: Writes, plan: Plan) -> None:
        ttl, maxlen = self.settings.conversation_ttl_s, self.settings.stream_maxlen
        for decision in plan.decisions:
            k = ConversationKeys(self.settings.prefix, decision.site, decision.conversation_id)
            writes.hset(k.decisions, decision.decision_id, decision.model_dump_json())
            writes.expire(k.decisions, ttl)
            writes.xadd(self.streams.decisions, decision, maxlen)
        if plan.packet is not None:
            writes.xadd(self.streams.escalations, plan.packet, maxlen)
        for instruction in plan.instructions:
            writes.xadd(self.streams.automation, instruction, maxlen)
        for timer, at in plan.timers:
            writes.zadd(self.timer_keys.due, at, timer.member())
        for notification in plan.notifications:
            writes.xadd(self.streams.notifications, notification, maxlen)

    def _report(self, plan: Plan) -> None:
        for decision in plan.decisions:
            if decision.shadow:
                continue
            DECISIONS.labels(decision.site, decision.route, decision.reasons[0].rule).inc()
            log.info(
                "decision %s/%s %s: route=%s queue=%s priority=%s %s%s",
                decision.site,
                decision.conversation_id,
                decision.message_id,
                decision.route,
                decision.queue,
                decision.priority,
                decision.reasons[0].detail or decision.reasons[0].rule,
                f" -> handoff {plan.packet.handoff_id}" if plan.packet else "",
            )
        if plan.packet is not None:
            ESCALATIONS.labels(plan.packet.site, plan.packet.decision.queue or "").inc()

    def _instruction(
        self,
        site: str,
        conversation_id: str,
        cause: str,
        action: Literal["respond", "hold", "resume"],
        reason: str,
        decision_id: str | None = None,
        message_id: str | None = None,
    ) -> AutomationInstruction:
        return AutomationInstruction(
            instruction_id=stable_id("ins", site, conversation_id, cause, action),
            site=site,
            conversation_id=conversation_id,
            action=action,
            message_id=message_id,
            decision_id=decision_id,
            reason=reason,
        )

    def _message_instruction(
        self,
        message: Any,
        action: Literal["respond", "hold", "resume"],
        reason: str,
        decision_id: str | None = None,
    ) -> AutomationInstruction:
        return self._instruction(
            message.site,
            message.conversation_id,
            message.message_id,
            action,
            reason,
            decision_id,
            message.message_id,
        )

    async def _route(
        self, event: ClassifiedMessage, keys: ConversationKeys, state: RouterState, pipe: Any
    ) -> Plan:
        """Update ``state`` in place for this message; return what to write."""
        message = event.message
        plan = Plan()
        now = time.time()
        if message.author in ("customer", "agent"):
            state.last_activity = now
        if message.author == "bot":
            state.bot_failures_in_row = state.bot_failures_in_row + 1 if event.bot_fallback else 0
        if message.author != "customer" or event.classification is None:
            transition = _event_for(message.author, event)
            if transition is not None:
                before = state.owner
                ownership, verdict = step(state.ownership(), transition, self.settings.cooldown_s)
                state.take(ownership)
                if before not in ("escalated", "human") and state.owner == "human":
                    site = self.sites.get(message.site)
                    if site is not None:
                        self._schedule_resolution(plan, site.policy, message, state, now)
                if verdict.hold:
                    plan.instructions.append(
                        self._message_instruction(message, "hold", verdict.note)
                    )
                if verdict.resume:
                    plan.instructions.append(
                        self._message_instruction(message, "resume", verdict.note)
                    )
            return plan

        site = self.sites.get(message.site)
        if site is None:
            raise LookupError(f"site {message.site!r} is not configured on this router")
        classification = event.classification
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
                self._decision(message, site.shadow_policy, classification, candidate, shadow=True)
            )
        state.customer_turns += 1
        state.negative_turns += classification.sentiment == "negative"
        state.frustration_history = [*state.frustration_history, classification.frustration][-20:]
        state.first_customer_at = state.first_customer_at or message.sent_at

        ownership, verdict = step(
            state.ownership(),
            CustomerOutcome(outcome.route, outcome.queue, outcome.priority, message.sent_at),
            self.settings.cooldown_s,
        )
        before = state.owner
        state.take(ownership)
        decision = self._decision(
            message,
            site.policy,
            classification,
            outcome,
            verdict=verdict,
            before=before,
            state=state,
        )
        plan.decisions.insert(0, decision)
        if verdict.escalate:
            plan.packet = await self._packet(decision, event, keys, pipe)
            state.handoff_id = plan.packet.handoff_id
            state.origin_queue, state.escalated_ts = state.queue, now
            self._schedule_ladder(
                plan, site.policy, message.site, message.conversation_id, state, 1
            )
            self._schedule_resolution(plan, site.policy, message, state, now)
        if verdict.hold:
            hold = self._message_instruction(message, "hold", verdict.note, decision.decision_id)
            # After hours the customer is told honestly when a person will pick it up.
            plan.instructions.append(
                hold.model_copy(update={"customer_message": decision.customer_message})
            )
        if decision.route == "automation":
            reason = decision.reasons[0].detail or decision.reasons[0].rule
            instruction = self._message_instruction(
                message, "respond", reason, decision.decision_id
            )
            if decision.customer_message:
                instruction = instruction.model_copy(
                    update={"customer_message": decision.customer_message}
                )
            plan.instructions.append(instruction)
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

    def _schedule_ladder(
        self,
        plan: Plan,
        policy: Policy,
        site: str,
        conversation_id: str,
        state: RouterState,
        step_no: int,
    ) -> None:
        queue = policy.queues.get(state.origin_queue or "")
        if queue is None or step_no > len(queue.ladder):
            return
        timer = Timer(
            kind="ladder",
            site=site,
            conversation_id=conversation_id,
            episode=state.episode,
            step=step_no,
        )
        plan.timers.append(
            (timer, state.escalated_ts + 60 * queue.ladder[step_no - 1].after_minutes)
        )

    def _schedule_resolution(
        self, plan: Plan, policy: Policy, message: Any, state: RouterState, now: float
    ) -> None:
        timer = Timer(
            kind="resolve",
            site=message.site,
            conversation_id=message.conversation_id,
            episode=state.episode,
        )
        plan.timers.append((timer, now + 60 * policy.resolve_after_minutes))

    async def fire(self, timer: Timer, now: float) -> None:
        """Apply a due timer to its conversation (in one transaction with the lease's release)."""
        site = self.sites.get(timer.site)
        keys = ConversationKeys(self.settings.prefix, timer.site, timer.conversation_id)
        for _ in range(WATCH_RETRIES):
            try:
                async with self.redis.pipeline(transaction=True) as pipe:
                    await pipe.watch(keys.state)
                    raw = await pipe.get(keys.state)
                    state = RouterState.model_validate_json(raw) if raw else RouterState()
                    plan = Plan()
                    if site is not None:
                        await self._apply_timer(timer, site.policy, state, keys, pipe, plan, now)
                    writes = Writes()
                    if raw:
                        writes.set(
                            keys.state, state.model_dump_json(), ex=self.settings.conversation_ttl_s
                        )
                    self._write(writes, plan)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    writes.apply(pipe)
                    finish(pipe, self.timer_keys, timer)
                    await pipe.execute()
                self._report(plan)
                return
            except WatchError:
                continue
        raise RuntimeError(f"conversation state kept changing while firing {timer.member()}")

    async def _apply_timer(
        self,
        timer: Timer,
        policy: Policy,
        state: RouterState,
        keys: ConversationKeys,
        pipe: Any,
        plan: Plan,
        now: float,
    ) -> None:
        at = datetime.fromtimestamp(now, UTC)
        if timer.kind == "resolve":
            if state.owner not in ("escalated", "human"):
                return
            quiet_until = state.last_activity + 60 * policy.resolve_after_minutes
            if quiet_until > now:  # there was activity since: look again later
                plan.timers.append((timer, quiet_until))
                return
            ownership, verdict = step(
                state.ownership(), Resolved(at, "timeout"), self.settings.cooldown_s
            )
            state.take(ownership)
            if verdict.resume:
                cause = f"resolve-{timer.episode}"
                plan.instructions.append(
                    self._instruction(
                        timer.site, timer.conversation_id, cause, "resume", verdict.note
                    )
                )
            return
        queue = policy.queues.get(state.origin_queue or "")
        if queue is None or timer.step > len(queue.ladder) or state.priority is None:
            return
        rung = queue.ladder[timer.step - 1]
        event = LadderTimeout(
            timer.episode,
            timer.step,
            rung.queue or state.queue,
            rung.priority or state.priority,
            at,
        )
        ownership, verdict = step(state.ownership(), event, self.settings.cooldown_s)
        if not verdict.relay:
            return
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
        transcript = await self._transcript(keys, pipe)
        if transcript:
            plan.packet = build_packet(
                stable_id("hof", decision.decision_id), decision, transcript[-1], transcript
            )
        self._schedule_ladder(
            plan, policy, timer.site, timer.conversation_id, state, timer.step + 1
        )

    def _decision(
        self,
        message: Any,
        policy: Policy,
        classification: Classification,
        outcome: Outcome,
        *,
        shadow: bool = False,
        verdict: Verdict | None = None,
        before: str = "bot",
        state: RouterState | None = None,
    ) -> Decision:
        kind = "sdw" if shadow else "dec"
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

    async def _packet(
        self, decision: Decision, event: ClassifiedMessage, keys: ConversationKeys, pipe: Any
    ) -> HandoffPacket:
        transcript = await self._transcript(keys, pipe)
        return build_packet(stable_id("hof", decision.decision_id), decision, event, transcript)

    async def _transcript(self, keys: ConversationKeys, pipe: Any) -> list[ClassifiedMessage]:
        raw_messages = await pipe.hgetall(keys.messages)
        return sorted(
            (ClassifiedMessage.model_validate_json(v) for v in raw_messages.values()),
            key=lambda c: (c.message.sent_at, c.message.received_at),
        )[-self.settings.transcript_turns :]


TIMER_LEASE_S = 60.0


async def run_timers(stage: RouterStage, poll_s: float) -> None:
    """Fire due timers until cancelled. A timer that fails stays leased and comes back when
    its lease expires."""
    while True:
        try:
            for timer in await claim_due(stage.redis, stage.timer_keys, time.time(), TIMER_LEASE_S):
                try:
                    await stage.fire(timer, time.time())
                except Exception:
                    log.exception("timer %s failed; retried after its lease", timer.member())
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not read the timers; retrying")
        await asyncio.sleep(poll_s)


def create_app(settings: RapportSettings | None = None) -> Starlette:
    settings = settings or RapportSettings()
    sites = load_sites(settings)  # configuration errors surface before anything starts

    async def stages(runtime: Runtime) -> list[Stage[Any]]:
        stage = RouterStage(settings, runtime, sites)
        runtime.extras["router"] = stage
        return [stage]

    async def background(runtime: Runtime) -> None:
        await run_timers(runtime.extras["router"], settings.timer_poll_s)

    return build_app("router", settings, stages, background=background)
