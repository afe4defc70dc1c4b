"""Transient handoff failures wait on a durable schedule instead of burning deliveries.

A helpdesk that answers 429/5xx or times out (after the adapter's own quick in-line retries) has
its handoff parked here with a growing back-off (``handoff_retry_base_s`` doubling, capped,
jittered, and never sooner than the helpdesk's ``Retry-After``), and the stream entry is acked in
the same transaction: the consumer group's delivery count is kept for real crashes. After
``handoff_retries`` attempts the handoff fails, and the router acts on the failure.

Keys: a sorted set of handoff ids by due time, a hash of their packets, a hash of attempts.
Claiming a due id moves its score forward by a lease, so a replica that dies mid-attempt leaves
it to come back when the lease ends, never lost; the handoff's lock keeps two replicas from
calling the helpdesk at once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

# A claimed retry comes back after this if its attempt never reports (the process died). The
# handoff's own lock (a 15 s lease its live owner renews) is what keeps two attempts from
# calling the helpdesk at once, so this lease can be short: a claim that comes back while the
# owner still works finds the lock taken and waits for it without calling anyone.
LEASE_S = 20.0

_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), member)
end
return due
"""


@dataclass(frozen=True, slots=True)
class RetryKeys:
    due: str
    packets: str
    attempts: str

    @classmethod
    def for_prefix(cls, prefix: str) -> RetryKeys:
        base = f"{prefix}:handoff:retry"
        return cls(due=base, packets=f"{base}:packets", attempts=f"{base}:attempts")


def backoff_s(
    attempt: int, base_s: float, cap_s: float, retry_after: float | None, rng: random.Random
) -> float:
    """Seconds before ``attempt`` + 1: doubling from ``base_s``, capped, ±20 % jitter so that
    replicas do not retry in step, and never before the helpdesk's Retry-After."""
    delay: float = min(cap_s, base_s * 2.0 ** max(attempt - 1, 0)) * rng.uniform(0.8, 1.2)
    return max(delay, retry_after or 0.0)


def schedule(pipe: Pipeline, keys: RetryKeys, handoff_id: str, packet_json: str, at: float) -> None:
    pipe.zadd(keys.due, {handoff_id: at})
    pipe.hset(keys.packets, handoff_id, packet_json)


def forget(pipe: Pipeline, keys: RetryKeys, handoff_id: str) -> None:
    """The handoff ended (delivered or failed): no more attempts."""
    pipe.zrem(keys.due, handoff_id)
    pipe.hdel(keys.packets, handoff_id)
    pipe.hdel(keys.attempts, handoff_id)


async def claim_due(redis: Redis, keys: RetryKeys, now: float, limit: int = 50) -> list[str]:
    raw = await cast("Any", redis.eval(_CLAIM, 1, keys.due, now, LEASE_S, limit))
    return [m.decode() if isinstance(m, bytes) else str(m) for m in raw]
