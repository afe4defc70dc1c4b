"""Redis plumbing shared by the services: connections, consumer groups, and the keys of the
conversation record.

Stream entries carry one field, ``__data__``, with the event's JSON. Every write that has an
effect downstream happens in one MULTI/EXEC together with the XACK of the entry that caused it,
so a process that dies mid-way leaves either all of it or none of it.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from faststream.redis import RedisBroker
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rapport.contracts import Event
from rapport.settings import RapportSettings
from rapport.streams import DATA_FIELD, Streams

log = logging.getLogger("rapport.redis")

_RETRY_ON = [RedisConnectionError, RedisTimeoutError]


def _retry() -> Retry:
    # Without this the first command after a Redis restart fails on a stale pooled connection.
    return Retry(ExponentialBackoff(cap=2.0, base=0.05), retries=5)


def connect(url: str) -> Redis:
    return Redis.from_url(url, retry=_retry(), retry_on_error=_RETRY_ON, health_check_interval=30)


def create_broker(settings: RapportSettings, **kwargs: Any) -> RedisBroker:
    return RedisBroker(
        settings.redis_url,
        retry=_retry(),
        retry_on_error=_RETRY_ON,
        graceful_timeout=settings.graceful_timeout_s,
        logger=None,  # type: ignore[arg-type]  # None disables the ~15%-costly access log
        **kwargs,
    )


async def ensure_groups(redis: Redis, streams: Streams) -> None:
    """Create every consumer group at ``0`` so that nothing published before a consumer first
    started is skipped (FastStream would create them at ``$``)."""
    for stream, groups in streams.groups().items():
        for group in groups:
            try:
                await redis.xgroup_create(stream, group, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise


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
    return ":".join((prefix, "seen", scope, *parts))


# Accept a message at the edge exactly once: mark the id as seen and append the entry in one
# atomic step, so a retried webhook never produces a second event and a failed append never
# marks the id as seen.
_ACCEPT_ONCE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', ARGV[3], ARGV[4])
end
return false
"""


async def accept_once(
    redis: Redis, seen_key: str, stream: str, event: Event, *, ttl_s: int, maxlen: int
) -> str | None:
    """Append ``event`` unless ``seen_key`` was already used; returns the entry id, or None for
    a duplicate."""
    result = await cast(
        "Any",
        redis.eval(
            _ACCEPT_ONCE,
            2,
            seen_key,
            stream,
            str(ttl_s),
            str(maxlen),
            DATA_FIELD,
            event.model_dump_json(),
        ),
    )
    if result is None:
        return None
    return result.decode() if isinstance(result, bytes) else str(result)
