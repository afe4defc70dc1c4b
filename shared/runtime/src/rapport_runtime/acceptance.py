"""The edge's short memory of what it answered 202 for, so that a Redis which comes back
without some of it is noticed, said out loud, and repaired.

Why: with ``appendfsync everysec`` (the default durability), a crash of Redis's *host* loses up
to the last second or two of writes that Redis had already acknowledged. The edge answered 202
for those messages, so their senders will not retry: without this, they vanish and nothing
says so. The edge keeps every message it accepted in the last ``RAPPORT_ACCEPT_WINDOW_S``
seconds (bounded in count too), watches Redis's ``run_id`` (it changes on every restart), and
after a restart checks each remembered entry with ``XRANGE``: what is missing is appended again
(with its dedupe key), logged as an ERROR with the count, and counted in
``rapport_accepted_messages_restored_total``.

What it cannot do: if the edge's process dies in the same crash (the edge on the same host as
Redis), its memory dies with it; only ``RAPPORT_DURABILITY=always`` (``appendfsync always``)
covers that. A restored message is processed again downstream if its effects were lost too
(they were written after it, so they are, unless the crash fell between): the bot can see one
instruction twice for that window, and a handoff is re-posted with the same Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, cast

import stamina
from prometheus_client import Counter
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from rapport_contracts import Event, Message
from rapport_contracts.streams import DATA_FIELD
from rapport_runtime.errors import ConnectionClosedError, is_closed_connection
from rapport_runtime.logs import Id
from rapport_runtime.tracing import current_traceparent

log = logging.getLogger("rapport_runtime.acceptance")

RESTARTS = Counter(
    "rapport_redis_restarts_detected_total",
    "Redis restarts noticed by the edge (its run_id changed)",
)
RESTORED = Counter(
    "rapport_accepted_messages_restored_total",
    "Messages answered 202 that a restarted Redis had lost, appended again by the edge",
)

# Accept a message at the edge exactly once: mark the id as seen and append the entry in one
# atomic step, so a retried webhook never produces a second event and a failed append never
# marks the id as seen.
_ACCEPT_ONCE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', ARGV[3], ARGV[4])
end
return false
"""

# Put back an entry Redis lost. The seen-key is set unconditionally: it was lost with the
# entry (both were one atomic write), and a sender retrying now must get "duplicate".
_RESTORE = """
redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', ARGV[3], ARGV[4])
"""


@dataclass(slots=True)
class Accepted:
    at: float  # time.monotonic() when answered
    stream: str
    entry_id: str
    seen_key: str
    ttl_s: int
    maxlen: int
    payload: str


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def _run_id(redis: Redis) -> str:
    """Redis's ``run_id``; on a cluster, those of every master, so that a fail-over (a replica
    that may lack the master's last writes becomes master) counts as a restart too."""
    if isinstance(redis, RedisCluster):
        infos: Any = await redis.info("server", target_nodes=RedisCluster.PRIMARIES)
        if isinstance(infos, dict) and "run_id" not in infos:
            return ",".join(sorted(_text(i.get("run_id", "")) for i in infos.values()))
        return _text(infos.get("run_id", ""))
    info: Any = await redis.info("server")
    return _text(info.get("run_id", ""))


class AcceptanceWatch:
    """What this process accepted recently, and the Redis run it was accepted on."""

    def __init__(
        self,
        window_s: float,
        max_entries: int = 50_000,
        *,
        require_always: bool = False,
        durability_every_s: float = 5.0,
    ) -> None:
        self.window_s = window_s
        self.recent: deque[Accepted] = deque(maxlen=max_entries)
        self.run_id: str | None = None
        self.restored = 0  # for tests and `rapport status`: restored since start
        # RAPPORT_DURABILITY=always: the services checked Redis's fsync policy at start, but a
        # restart with another config or a CONFIG SET can undo it. While it is undone, `refusal`
        # says why and the edge answers 503 rather than promise what Redis cannot keep.
        self.require_always = require_always
        self.durability_every_s = durability_every_s
        self.refusal: str | None = None
        self._durability_checked = float("-inf")

    def remember(self, accepted: Accepted) -> None:
        if self.window_s <= 0:
            return
        self.recent.append(accepted)
        self._prune(accepted.at)

    def _prune(self, now: float) -> None:
        horizon = now - self.window_s
        while self.recent and self.recent[0].at < horizon:
            self.recent.popleft()

    async def check(self, redis: Redis) -> int:
        """Compare Redis's run with the last one seen; after a restart, put back what it lost.
        Returns how many entries were restored."""
        run_id = await _run_id(redis)
        now = time.monotonic()
        self._prune(now)
        if self.require_always and (
            run_id != self.run_id or now - self._durability_checked >= self.durability_every_s
        ):
            self._durability_checked = now
            await self._check_durability(redis)
        if self.run_id is None or run_id == self.run_id:
            self.run_id = run_id
            return 0
        self.run_id = run_id
        RESTARTS.inc()
        candidates = list(self.recent)
        async with redis.pipeline(transaction=False) as read:
            for item in candidates:
                read.xrange(item.stream, item.entry_id, item.entry_id, count=1)
            found = await read.execute()
        missing = [item for item, rows in zip(candidates, found, strict=True) if not rows]
        for item in missing:
            new_id = await cast(
                "Any",
                redis.eval(
                    _RESTORE,
                    2,
                    item.seen_key,
                    item.stream,
                    str(item.ttl_s),
                    str(item.maxlen),
                    DATA_FIELD,
                    item.payload,
                ),
            )
            item.entry_id = _text(new_id)
        if missing:
            RESTORED.inc(len(missing))
            self.restored += len(missing)
            log.error(
                "Redis restarted without %d of the %d messages this edge accepted in the last "
                "%g s (a crash of Redis's host with appendfsync everysec loses its last second): "
                "appended them again, first lost entry %s. Set RAPPORT_DURABILITY=always to "
                "lose nothing even when the edge dies too.",
                len(missing),
                len(candidates),
                self.window_s,
                Id(missing[0].entry_id),
            )
        else:
            log.warning(
                "Redis restarted; all %d messages accepted in the last %g s are still there",
                len(candidates),
                self.window_s,
            )
        return len(missing)

    async def _check_durability(self, redis: Redis) -> None:
        config: Any = await redis.config_get("append*")
        values = {_text(k): _text(v) for k, v in config.items()}
        appendonly, appendfsync = values.get("appendonly"), values.get("appendfsync")
        refusal = None
        if appendonly != "yes" or appendfsync != "always":
            refusal = (
                "RAPPORT_DURABILITY=always, but Redis now runs with "
                f"appendonly={appendonly} appendfsync={appendfsync}"
            )
        if refusal != self.refusal:
            if refusal:
                log.error("%s: the edge refuses messages (503) until it is fixed", refusal)
            else:
                log.warning("Redis fsyncs every write again: the edge accepts messages")
        self.refusal = refusal

    async def run(self, redis: Redis, interval_s: float) -> None:
        """Check every ``interval_s`` for as long as the service runs."""
        while True:
            try:
                await self.check(redis)
            except RedisError as exc:  # Redis away: the stages say so; look again shortly
                log.debug("acceptance watch: Redis not answering: %r", exc)
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # redis-py shields its commands, so a cancel landing in one can be swallowed.
                raise asyncio.CancelledError
            await asyncio.sleep(interval_s)


# A connection redis-py closed under the command using it (its cluster client re-reading the
# topology under a burst or a fail-over: "handler is closed" under uvloop, "'NoneType' object
# has no attribute 'writelines'" on asyncio) is not Redis refusing, and redis-py's own retry does
# not cover it. The accept is idempotent (its seen-key), so it is tried again on another
# connection: if the first try did reach Redis, the second reads as a duplicate, and the message
# is on the stream once either way. After the last try it becomes the ConnectionError it is, so
# every caller answers it as Redis being unavailable (503 with the reason), never a 500.
CLOSED_CONNECTION_ATTEMPTS = 3


async def _eval_on_an_open_connection(redis: Redis, script: str, *keys_and_args: str) -> Any:
    # The first try outside stamina: building its retry context (tenacity's Retrying and its
    # hooks) for every accept was ~15 % of the edge's CPU per webhook (py-spy, issue 14), and
    # almost every accept succeeds at once. A closed connection goes on to stamina's tries.
    try:
        return await cast("Any", redis.eval(script, 2, *keys_and_args))
    except (RuntimeError, AttributeError) as exc:
        if not is_closed_connection(exc):
            raise
        log.warning("a Redis connection closed under an accept; trying again")
    try:
        async for attempt in stamina.retry_context(
            on=is_closed_connection,
            attempts=CLOSED_CONNECTION_ATTEMPTS - 1,  # the first was above
            timeout=None,
            wait_initial=0.005,
            wait_max=0.05,
            wait_jitter=0.005,
        ):
            with attempt:
                if attempt.num > 1:
                    log.warning("a Redis connection closed under an accept; trying again")
                return await cast("Any", redis.eval(script, 2, *keys_and_args))
    except (RuntimeError, AttributeError) as exc:
        if not is_closed_connection(exc):
            raise
        raise ConnectionClosedError(
            f"the Redis connection closed under the write {CLOSED_CONNECTION_ATTEMPTS} times in a"
            f" row ({exc})"
        ) from exc
    raise AssertionError("unreachable: stamina re-raises after the last attempt")


async def accept_once(
    redis: Redis,
    seen_key: str,
    stream: str,
    event: Event,
    *,
    ttl_s: int,
    maxlen: int,
    watch: AcceptanceWatch | None = None,
) -> str | None:
    """Append ``event`` unless ``seen_key`` was already used; returns the entry id, or None for
    a duplicate. A message accepted inside a traced request carries that trace onward; with a
    ``watch``, the accepted entry is remembered for the restart check above."""
    if isinstance(event, Message) and event.traceparent is None:
        traceparent = current_traceparent()
        if traceparent is not None:
            event = event.model_copy(update={"traceparent": traceparent})
    payload = event.compact_json()
    result = await _eval_on_an_open_connection(
        redis, _ACCEPT_ONCE, seen_key, stream, str(ttl_s), str(maxlen), DATA_FIELD, payload
    )
    if result is None:
        return None
    entry_id = _text(result)
    if watch is not None:
        watch.remember(
            Accepted(time.monotonic(), stream, entry_id, seen_key, ttl_s, maxlen, payload)
        )
    return entry_id
