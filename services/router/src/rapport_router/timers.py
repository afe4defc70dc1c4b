"""Durable timers in a Redis sorted set: the escalation ladder and resolution by silence.

A timer is claimed by moving it, atomically, to a lease set; the router then applies it and
removes the lease in the same transaction as the state change it causes. A router that dies
holding a lease leaves it to expire and return to the timer set, so every timer fires, and the
state machine ignores a second firing of the same step, so none fires twice in effect.
"""

from __future__ import annotations

import json
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict
from redis.asyncio import Redis

from rapport_contracts.policy import Policy

# A claimed timer is leased this long; a router that dies holding it gives it back by expiry.
TIMER_LEASE_S = 60.0


class Timer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["ladder", "resolve", "handoff-deadline"]
    site: str
    conversation_id: str
    episode: int
    step: int = 0

    def member(self) -> str:
        return json.dumps(self.model_dump(), sort_keys=True, separators=(",", ":"))


def ladder_timer(
    policy: Policy,
    site: str,
    conversation_id: str,
    origin_queue: str | None,
    episode: int,
    escalated_ts: float,
    step: int,
) -> tuple[Timer, float] | None:
    """The ladder's ``step`` (1-based) for this escalation and when it is due, if the queue
    has that many steps."""
    queue = policy.queues.get(origin_queue or "")
    if queue is None or step > len(queue.ladder):
        return None
    timer = Timer(
        kind="ladder", site=site, conversation_id=conversation_id, episode=episode, step=step
    )
    return timer, escalated_ts + 60 * queue.ladder[step - 1].after_minutes


def resolution_timer(
    policy: Policy, site: str, conversation_id: str, episode: int, now: float
) -> tuple[Timer, float]:
    """Resolve the episode by silence ``resolve_after_minutes`` from now (re-armed while the
    conversation is active)."""
    timer = Timer(kind="resolve", site=site, conversation_id=conversation_id, episode=episode)
    return timer, now + 60 * policy.resolve_after_minutes


def handoff_deadline_timer(
    site: str, conversation_id: str, episode: int, attempt: int, at: float
) -> tuple[Timer, float]:
    """Fires when the handoff of ``episode`` (``attempt`` 0: the first target, 1: the
    fallback queue) has not been confirmed by ``at``."""
    timer = Timer(
        kind="handoff-deadline",
        site=site,
        conversation_id=conversation_id,
        episode=episode,
        step=attempt,
    )
    return timer, at


class TimerKeys:
    def __init__(self, prefix: str) -> None:
        self.due = f"{prefix}:timers"
        self.leased = f"{prefix}:timers:leased"


_CLAIM = """
local now = tonumber(ARGV[1])
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, member in ipairs(expired) do
  redis.call('ZREM', KEYS[2], member)
  redis.call('ZADD', KEYS[1], now, member)
end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(due) do
  redis.call('ZREM', KEYS[1], member)
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), member)
end
return due
"""


async def claim_due(
    redis: Redis, keys: TimerKeys, now: float, lease_s: float, limit: int = 100
) -> list[Timer]:
    """Timers due at ``now``, leased to the caller for ``lease_s`` seconds."""
    raw = await cast("Any", redis.eval(_CLAIM, 2, keys.due, keys.leased, now, lease_s, limit))
    return [Timer.model_validate_json(m) for m in raw]


def finish(pipe: Any, keys: TimerKeys, timer: Timer) -> None:
    pipe.zrem(keys.leased, timer.member())
