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


class Timer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["ladder", "resolve"]
    site: str
    conversation_id: str
    episode: int
    step: int = 0

    def member(self) -> str:
        return json.dumps(self.model_dump(), sort_keys=True, separators=(",", ":"))


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
