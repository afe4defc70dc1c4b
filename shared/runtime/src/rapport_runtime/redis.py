"""Redis plumbing shared by the services: connections, consumer groups, and the keys of the
conversation record.

Stream entries carry one field, ``__data__``, with the event's JSON. Every write that has an
effect downstream happens in one MULTI/EXEC together with the XACK of the entry that caused it,
so a process that dies mid-way leaves either all of it or none of it.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import MaxConnectionsError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rapport_contracts import Event
from rapport_contracts.streams import DATA_FIELD, Streams

# Lives with the watch that remembers what it accepted; still importable from here.
from rapport_runtime.acceptance import accept_once as accept_once

log = logging.getLogger("rapport_runtime.redis")

_RETRY_ON = [RedisConnectionError, RedisTimeoutError]


def _retry() -> Retry:
    # Without this the first command after a Redis restart fails on a stale pooled connection.
    return Retry(ExponentialBackoff(cap=2.0, base=0.05), retries=5)


# Connections one process may hold, and how long a command waits for a free one. A burst must
# queue for a connection, never fail: redis-py's default pool raises MaxConnectionsError at its
# cap, which the edge used to report as "Redis is unreachable" (503) with Redis healthy.
POOL_SIZE = 64
POOL_WAIT_S = 5.0


class PoolExhaustedError(MaxConnectionsError):
    """Every connection of this process's pool stayed busy for the whole wait: the process is
    saturated, Redis itself may be perfectly healthy. redis-py's BlockingConnectionPool raises
    a bare ``ConnectionError("No connection available.")``, indistinguishable from Redis being
    down; this one says what happened, so the edge answers 429 (not "Redis is unreachable")
    and the handoff circuit breaker never counts it."""


class _Pool(BlockingConnectionPool):
    async def get_connection(self, command_name: Any = None, *keys: Any, **options: Any) -> Any:
        try:
            return await super().get_connection()  # type: ignore[no-untyped-call]
        except RedisConnectionError as exc:
            if isinstance(exc.__cause__, TimeoutError) and "No connection available" in str(exc):
                raise PoolExhaustedError(
                    f"all {self.max_connections} Redis connections of this process were busy "
                    f"for {self.timeout:g} s"
                ) from exc
            raise


def is_saturation(exc: BaseException) -> bool:
    """True for a refusal of this process's own making (its pool was exhausted), not Redis's."""
    return isinstance(exc, MaxConnectionsError)


def connect(url: str, pool_size: int = POOL_SIZE, wait_s: float = POOL_WAIT_S) -> Redis:
    pool = _Pool.from_url(
        url,
        max_connections=pool_size,
        timeout=wait_s,
        retry=_retry(),
        retry_on_error=_RETRY_ON,
        health_check_interval=30,
    )
    return Redis.from_pool(pool)  # owns the pool: aclose() closes its connections


async def ensure_group(redis: Redis, stream: str, group: str) -> None:
    """Create ``group`` on ``stream`` at ``0`` (and the stream if needed), so that nothing
    published before a consumer first started is skipped; an existing group is left as is."""
    try:
        await redis.xgroup_create(stream, group, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


async def ensure_groups(redis: Redis, streams: Streams) -> None:
    """Every consumer group Rapport's own stages read."""
    for stream, groups in streams.groups().items():
        for group in groups:
            await ensure_group(redis, stream, group)


def xadd_event(pipe: Pipeline | Redis, stream: str, event: Event, maxlen: int) -> Any:
    return pipe.xadd(
        stream,
        {DATA_FIELD: event.model_dump_json()},
        maxlen=maxlen,
        approximate=True,
    )


class ConversationKeys:
    """Keys of one conversation's record. The ``{site:conversation}`` hash tag keeps them in one
    slot, so a Redis Cluster can still update them in one transaction."""

    def __init__(self, prefix: str, site: str, conversation_id: str) -> None:
        base = f"{prefix}:conv:{{{site}:{conversation_id}}}"
        self.messages = f"{base}:messages"  # hash message_id -> ClassifiedMessage JSON
        self.turns = f"{base}:turns"  # list of recent Turn JSON, oldest first
        self.decisions = f"{base}:decisions"  # hash decision_id -> Decision JSON
        self.handoffs = f"{base}:handoffs"  # hash handoff_id -> HandoffResult JSON
        self.state = f"{base}:state"  # the router's ConversationState JSON

    def all(self) -> tuple[str, ...]:
        return (self.messages, self.turns, self.decisions, self.handoffs, self.state)


def dedupe_key(prefix: str, scope: str, *parts: str) -> str:
    """The key marking ``parts`` as seen in ``scope``. Each part is prefixed with its length,
    so no two lists of parts share a key whatever characters they hold (conversation ``order``
    with message ``42:1`` and conversation ``order:42`` with message ``1`` used to collide), and
    the key still reads plainly: ``rapport:seen:edge:4:demo:5:order:4:42:1``."""
    return ":".join((prefix, "seen", scope, *(f"{len(part)}:{part}" for part in parts)))


# Many small writes as one command. redis-py spends ~50 µs of Python per command (packing,
# parsing, an asyncio timeout each), which dominated the stages' batches; one script call per
# batch keeps the MULTI/EXEC atomicity (it runs inside the transaction) at a fraction of the cost.
# The keys are not declared, which standalone Redis allows; a Redis Cluster deployment would
# have to group writes per hash slot first.
_APPLY = """
local allowed = {HSET=1, HDEL=1, XADD=1, XACK=1, EXPIRE=1, SET=1, RPUSH=1, LTRIM=1, ZADD=1, ZREM=1}
local i, n = 1, #ARGV
while i <= n do
  local op, argc = ARGV[i], tonumber(ARGV[i + 1])
  if not allowed[op] then return redis.error_reply('rapport: command not allowed: ' .. op) end
  redis.call(op, unpack(ARGV, i + 2, i + 1 + argc))
  i = i + 2 + argc
end
return n
"""


class Writes:
    """Writes collected for one batch and applied by a single script call."""

    def __init__(self) -> None:
        self.args: list[str | bytes] = []

    def _op(self, *parts: str | bytes | int) -> None:
        self.args += [str(parts[0]), str(len(parts) - 1)]
        self.args += [p if isinstance(p, bytes) else str(p) for p in parts[1:]]

    def hset(self, key: str, field: str, value: str) -> None:
        self._op("HSET", key, field, value)

    def expire(self, key: str, seconds: int) -> None:
        self._op("EXPIRE", key, seconds)

    def set(self, key: str, value: str, ex: int) -> None:
        self._op("SET", key, value, "EX", ex)

    def rpush(self, key: str, *values: str) -> None:
        self._op("RPUSH", key, *values)

    def ltrim(self, key: str, start: int, end: int) -> None:
        self._op("LTRIM", key, start, end)

    def xadd(self, stream: str, event: Event, maxlen: int) -> None:
        self._op("XADD", stream, "MAXLEN", "~", maxlen, "*", DATA_FIELD, event.model_dump_json())

    def xack(self, stream: str, group: str, *entry_ids: str) -> None:
        if entry_ids:
            self._op("XACK", stream, group, *entry_ids)

    def zadd(self, key: str, score: float, member: str) -> None:
        self._op("ZADD", key, repr(score), member)

    def apply(self, target: Pipeline | Redis) -> Any:
        if not self.args:
            return None
        return target.eval(_APPLY, 0, *self.args)
