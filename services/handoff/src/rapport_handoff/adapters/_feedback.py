"""Feedback from the helpdesk: a feedback tag an adapter found on a ticket
(:class:`~rapport_handoff.adapters.base.InboundFeedback`) becomes a ``Feedback`` event on the
feedback stream, the same event the console's form writes (``source: helpdesk``).

Which decision a tag judges: ``rapport-unneeded-escalation`` the conversation's latest live
escalation by a policy rule; ``rapport-missed-escalation`` the latest live automation decision
before the conversation's first escalation (the turn that should have gone to a person), or
the latest automation decision when there was none. A ticket keeps its tags, so every later
event of the ticket carries the tag again: one event per (decision, verdict) is written, kept
in a dedupe key for ``DEDUPE_S``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging

from pydantic import ValidationError
from redis.asyncio import Redis

from rapport_contracts import ClassifiedMessage, Decision
from rapport_contracts.events import Feedback
from rapport_handoff.adapters.base import InboundFeedback
from rapport_runtime.logs import Id
from rapport_runtime.partitions import conversation_settings
from rapport_runtime.redis import ConversationKeys, dedupe_key, resolve_records, xadd_event
from rapport_runtime.settings import RapportSettings

log = logging.getLogger("rapport.inbound.feedback")

DEDUPE_S = 90 * 86400
# Decisions the router records about ownership, not by a policy rule: never what a tag judges.
NOT_POLICY_RULES = frozenset({"human-owns-conversation", "cooldown", "superseded"})


def _rule(decision: Decision) -> str:
    return decision.reasons[0].rule if decision.reasons else "default"


def judged_decision(decisions: list[Decision], item: InboundFeedback) -> Decision | None:
    """The live decision a feedback tag is about (see the module's docstring)."""
    live = sorted(
        (
            d
            for d in decisions
            if not d.shadow
            and not d.message_id.startswith("ladder-")
            and _rule(d) not in NOT_POLICY_RULES
        ),
        key=lambda d: d.decided_at,
    )
    escalations = [d for d in live if d.route == "human"]
    if item.verdict == "unneeded-escalation":
        return escalations[-1] if escalations else None
    first = escalations[0].decided_at if escalations else None
    automated = [
        d for d in live if d.route == "automation" and (first is None or d.decided_at <= first)
    ]
    return automated[-1] if automated else None


def feedback_id(site: str, decision_id: str, verdict: str) -> str:
    digest = hashlib.blake2b(f"{site}\x00{decision_id}\x00{verdict}".encode(), digest_size=8)
    return f"f-hd-{digest.hexdigest()}"


async def record_feedback(
    redis: Redis,
    settings: RapportSettings,
    site: str,
    provider: str,
    items: list[InboundFeedback],
) -> list[Feedback]:
    """Write a ``Feedback`` event for each tag that judges a decision Rapport made and that
    was not written already; returns the events written. Raises RedisError."""
    written: list[Feedback] = []
    everywhere = settings
    for item in items:
        # The conversation's partition: its record, feedback stream and dedupe key.
        settings = conversation_settings(everywhere, site, item.conversation_id)
        keys = ConversationKeys(settings.prefix, site, item.conversation_id)
        decisions = []
        (recorded,) = await resolve_records(redis, await redis.hvals(keys.decisions))
        for raw in recorded:
            try:
                decisions.append(Decision.read(raw))
            except ValidationError:
                continue
        decision = judged_decision(decisions, item)
        if decision is None:
            log.info(
                "site %s: %s tag %s on conversation %s judges no decision Rapport made",
                Id(site),
                Id(provider),
                Id(item.tag),
                Id(item.conversation_id),
            )
            continue
        language = None
        raw_message = await redis.hget(keys.messages, decision.message_id)
        if raw_message is not None:
            (found,) = await resolve_records(redis, [raw_message])  # a reference, usually
            raw_message = found[0] if found else None
        if raw_message is not None:
            try:
                classified = ClassifiedMessage.read(raw_message)
                c = classified.classification
                language = c.language if c is not None else classified.message.language
            except ValidationError:
                language = None
        seen = dedupe_key(settings.prefix, "feedback", site, decision.decision_id, item.verdict)
        fid = feedback_id(site, decision.decision_id, item.verdict)
        # Claimed before the write, atomically: a vendor's retry of a delivery still being
        # handled (Zendesk retries after its 10 s timeout) must not write a second event, as
        # a check-then-write let it. The claim is given back if the write fails.
        if not await redis.set(seen, fid, nx=True, ex=DEDUPE_S):
            continue
        event = Feedback(
            feedback_id=fid,
            site=site,
            conversation_id=decision.conversation_id,
            decision_id=decision.decision_id,
            verdict=item.verdict,
            route=decision.route,
            rule=_rule(decision),
            language=language,
            source="helpdesk",
            author=f"{provider}:{item.author}" if item.author else provider,
            note=f"helpdesk tag {item.tag}",
        )
        try:
            await xadd_event(redis, settings.streams.feedback, event, settings.stream_maxlen)
        except BaseException:
            with contextlib.suppress(Exception):
                await redis.delete(seen)
            raise
        written.append(event)
    return written
