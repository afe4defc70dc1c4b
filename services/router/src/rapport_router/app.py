"""The router service: per-conversation state plus the site's policy gives a decision for
every customer message; escalations become handoff packets."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict
from redis.exceptions import WatchError
from starlette.applications import Starlette

from rapport.config import Sites, load_sites
from rapport.consumer import Entry, Stage
from rapport.contracts import (
    ClassifiedMessage,
    Decision,
    HandoffPacket,
    Priority,
    Reason,
    utc_now,
)
from rapport.redis import ConversationKeys, dedupe_key, xadd_event
from rapport.service import Runtime, build_app
from rapport.settings import RapportSettings
from rapport.streams import ROUTER_GROUP
from rapport_router.engine import ConversationState, decide
from rapport_router.packet import build_packet

log = logging.getLogger("rapport.router")

DECISIONS = Counter("rapport_decisions_total", "Routing decisions", ["site", "route", "rule"])
ESCALATIONS = Counter("rapport_escalations_total", "Escalations handed off", ["site", "queue"])

# What the router will write for one message: the decision, and a packet when it escalates.
Plan = tuple[Decision, HandoffPacket | None]

HUMAN_OWNS_RULE = "human-owns-conversation"
WATCH_RETRIES = 10


class RouterState(BaseModel):
    """The conversation as the router remembers it (JSON in ``...:state``)."""

    model_config = ConfigDict(extra="ignore")

    owner: Literal["bot", "escalated", "human"] = "bot"
    customer_turns: int = 0
    negative_turns: int = 0
    bot_failures_in_row: int = 0
    queue: str | None = None
    priority: Priority | None = None
    handoff_id: str | None = None
    escalated_at: datetime | None = None

    def engine_view(self) -> ConversationState:
        return ConversationState(
            owner=self.owner,
            customer_turns=self.customer_turns,
            negative_turns=self.negative_turns,
            bot_failures_in_row=self.bot_failures_in_row,
        )


def stable_id(kind: str, *parts: str) -> str:
    """Ids derived from their inputs, so a redelivered entry produces the same records."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"{kind}_{digest}"


class RouterStage(Stage[ClassifiedMessage]):
    event_type = ClassifiedMessage
    group = ROUTER_GROUP

    def __init__(self, settings: RapportSettings, runtime: Runtime, sites: Sites) -> None:
        super().__init__(settings, runtime.redis)
        self.stream = self.streams.classified
        self.sites = sites

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

            plans: list[tuple[str, Plan | None]] = []
            changed: set[str] = set()
            for entry, k, seen, seen_key in zip(
                entries, keys, already_seen, seen_keys, strict=True
            ):
                if seen:
                    continue
                plan = await self._route(entry.event, k, states[k.state], pipe)
                changed.add(k.state)
                plans.append((seen_key, plan))

            pipe.multi()  # type: ignore[no-untyped-call]
            ttl = self.settings.conversation_ttl_s
            maxlen = self.settings.stream_maxlen
            for key in changed:
                pipe.set(key, states[key].model_dump_json(), ex=ttl)
            for seen_key, plan in plans:
                pipe.set(seen_key, "1", ex=self.settings.dedupe_ttl_s)
                if plan is None:
                    continue
                decision, packet = plan
                k = ConversationKeys(prefix, decision.site, decision.conversation_id)
                pipe.hset(k.decisions, decision.decision_id, decision.model_dump_json())
                pipe.expire(k.decisions, ttl)
                xadd_event(pipe, self.streams.decisions, decision, maxlen)
                if packet is not None:
                    xadd_event(pipe, self.streams.escalations, packet, maxlen)
                elif decision.route == "automation":
                    xadd_event(pipe, self.streams.automation, decision, maxlen)
            self.ack(pipe, [e.id for e in entries])
            await pipe.execute()

        for _, plan in plans:
            if plan is not None:
                decision, packet = plan
                DECISIONS.labels(decision.site, decision.route, decision.reasons[0].rule).inc()
                if packet is not None:
                    ESCALATIONS.labels(decision.site, decision.queue or "").inc()
                log.info(
                    "decision %s/%s %s: route=%s queue=%s priority=%s %s%s",
                    decision.site,
                    decision.conversation_id,
                    decision.message_id,
                    decision.route,
                    decision.queue,
                    decision.priority,
                    "; ".join(r.detail or r.rule for r in decision.reasons[:1]),
                    f" -> handoff {packet.handoff_id}" if packet else "",
                )

    async def _route(
        self, event: ClassifiedMessage, keys: ConversationKeys, state: RouterState, pipe: Any
    ) -> Plan | None:
        """Update ``state`` in place for this message; return the decision to record, if any."""
        message = event.message
        if message.author == "agent":
            state.owner = "human"
            return None
        if message.author != "customer" or event.classification is None:
            return None
        site = self.sites.get(message.site)
        if site is None:
            raise LookupError(f"site {message.site!r} is not configured on this router")
        classification = event.classification
        outcome = decide(site.policy, classification, state.engine_view())
        state.customer_turns += 1
        state.negative_turns += classification.sentiment == "negative"

        decision_id = stable_id("dec", message.site, message.conversation_id, message.message_id)
        common: dict[str, Any] = {
            "decision_id": decision_id,
            "site": message.site,
            "conversation_id": message.conversation_id,
            "message_id": message.message_id,
            "policy_id": site.policy.id,
            "policy_version": site.policy.version,
            "classifier_version": classification.classifier_version,
        }
        if state.owner != "bot":
            # A person already has this conversation: never a second escalation, and the bot
            # keeps quiet. The policy's own verdict is kept in the reasons for the audit trail.
            reasons = (
                Reason(
                    rule=HUMAN_OWNS_RULE,
                    value=state.owner,
                    detail=f"conversation is {state.owner}; no new escalation",
                ),
                *outcome.reasons,
            )
            decision = Decision(
                route="human",
                queue=state.queue,
                priority=state.priority or outcome.priority,
                reasons=reasons,
                **common,
            )
            return decision, None

        decision = Decision(
            route=outcome.route,
            queue=outcome.queue,
            priority=outcome.priority,
            reasons=outcome.reasons,
            **common,
        )
        if outcome.route == "automation":
            return decision, None

        handoff_id = stable_id("hof", decision_id)
        raw_messages = await pipe.hgetall(keys.messages)
        transcript = sorted(
            (ClassifiedMessage.model_validate_json(v) for v in raw_messages.values()),
            key=lambda c: (c.message.sent_at, c.message.received_at),
        )[-self.settings.transcript_turns :]
        packet = build_packet(handoff_id, decision, event, transcript)
        state.owner = "escalated"
        state.queue = outcome.queue
        state.priority = outcome.priority
        state.handoff_id = handoff_id
        state.escalated_at = utc_now()
        return decision, packet


def create_app(settings: RapportSettings | None = None) -> Starlette:
    settings = settings or RapportSettings()
    sites = load_sites(settings)  # configuration errors surface before anything starts

    async def stages(runtime: Runtime) -> list[Stage[Any]]:
        return [RouterStage(settings, runtime, sites)]

    return build_app("router", settings, stages)
