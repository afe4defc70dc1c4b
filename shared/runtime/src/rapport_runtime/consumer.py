"""How every Rapport stage consumes a stream: in batches, at least once, with effects that
happen once.

Each stage registers two FastStream subscribers in its consumer group:

* a batch reader (``max_records`` entries per ``XREADGROUP``) on the hot path;
* a reclaimer (``XAUTOCLAIM`` after ``reclaim_idle_ms``) that takes over entries a dead or
  failing consumer left pending, and parks an entry in the dead-letter stream once it has been
  delivered more than ``max_deliveries`` times.

Acks are manual: a stage acknowledges an entry in the same MULTI/EXEC as the effects it caused
(see :func:`ack`). An entry that fails to parse is parked at once (retrying cannot fix it); a
batch that fails is retried entry by entry so one poison entry never holds back the others.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from faststream import AckPolicy
from faststream.redis import RedisBroker, StreamSub
from faststream.redis.annotations import RedisBatchStreamMessage, RedisStreamMessage
from prometheus_client import Counter
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from rapport_contracts import DeadLetter, Event
from rapport_contracts.streams import DATA_FIELD
from rapport_runtime.redis import xadd_event
from rapport_runtime.settings import RapportSettings

log = logging.getLogger("rapport_runtime.consumer")

E = TypeVar("E", bound=Event)

DEAD_LETTERS = Counter(
    "rapport_dead_letters_total", "Entries parked in the dead-letter stream", ["stream", "group"]
)
STAGE_FAILURES = Counter(
    "rapport_stage_failures_total", "Entries whose processing raised", ["stream", "group"]
)


@dataclass(frozen=True, slots=True)
class Entry(Generic[E]):
    id: str
    event: E


class Stage(Generic[E]):
    """One consumer group's work. Subclasses implement :meth:`process`, which must ack (with
    :meth:`ack`, in the same transaction as its effects) every entry it completes."""

    event_type: type[E]
    stream: str
    group: str

    def __init__(self, settings: RapportSettings, redis: Redis) -> None:
        self.settings = settings
        self.redis = redis
        self.streams = settings.streams

    async def process(self, entries: Sequence[Entry[E]]) -> None:
        raise NotImplementedError

    def ack(self, pipe: Pipeline, entry_ids: Sequence[str]) -> None:
        if entry_ids:
            pipe.xack(self.stream, self.group, *entry_ids)

    @property
    def _errors_key(self) -> str:
        return f"{self.settings.prefix}:errors:{self.group}"

    async def dead_letter(
        self, entry_id: str, payload: bytes, deliveries: int, reason: str
    ) -> None:
        letter = DeadLetter(
            stream=self.stream,
            group=self.group,
            entry_id=entry_id,
            deliveries=deliveries,
            reason=reason[:2000],
            # Never cut: a replay must put back exactly what was parked. The edge bounds what
            # can enter the pipeline, so the size is bounded too.
            payload=payload.decode("utf-8", "replace"),
        )
        async with self.redis.pipeline(transaction=True) as pipe:
            xadd_event(pipe, self.streams.dlq, letter, self.settings.stream_maxlen)
            self.dead_letter_effects(pipe, payload, reason)
            pipe.hdel(self._errors_key, entry_id)
            self.ack(pipe, [entry_id])
            await pipe.execute()
        DEAD_LETTERS.labels(self.stream, self.group).inc()
        log.error(
            "dead-lettered %s entry %s after %d deliveries: %s",
            self.stream,
            entry_id,
            deliveries,
            reason,
        )

    def dead_letter_effects(self, pipe: Pipeline, payload: bytes, reason: str) -> None:
        """What else must happen, in the same transaction, when an entry of this stage is
        parked (the handoff stage reports a failed handoff, so the router can act)."""

    async def handle_raw(self, raw: Sequence[tuple[str, bytes]], deliveries: int = 1) -> None:
        entries: list[Entry[E]] = []
        for entry_id, payload in raw:
            try:
                event = self.event_type.read(payload)
            except ValidationError as exc:
                await self.dead_letter(entry_id, payload, deliveries, f"invalid event: {exc}")
                continue
            entries.append(Entry(entry_id, event))
        if not entries:
            return
        try:
            await self.process(entries)
            return
        except Exception as exc:
            if len(entries) == 1:
                await self._remember_failure(entries[0].id, exc)
                raise
            log.warning("batch of %d failed (%r); retrying one by one", len(entries), exc)
        failed: Exception | None = None
        for entry in entries:
            try:
                await self.process([entry])
            except Exception as exc:
                await self._remember_failure(entry.id, exc)
                failed = exc
        if failed is not None:
            # Leaves the failed entries pending: the reclaimer retries them later.
            raise failed

    async def _remember_failure(self, entry_id: str, exc: Exception) -> None:
        STAGE_FAILURES.labels(self.stream, self.group).inc()
        try:
            await self.redis.hset(self._errors_key, entry_id, f"{type(exc).__name__}: {exc}"[:2000])
        except Exception:  # the original error matters more than this bookkeeping
            log.exception("could not record the failure of entry %s", entry_id)

    async def reclaim(self, entry_id: str, payload: bytes) -> None:
        pending = await self.redis.xpending_range(
            self.stream, self.group, min=entry_id, max=entry_id, count=1
        )
        deliveries = int(pending[0]["times_delivered"]) if pending else 1
        if deliveries > self.settings.max_deliveries:
            last = await self.redis.hget(self._errors_key, entry_id)
            reason = (
                f"failed {deliveries - 1} deliveries; last error: {last.decode()}"  # type: ignore[union-attr]
                if last
                else f"left pending through {deliveries - 1} deliveries (consumer died or stalled)"
            )
            await self.dead_letter(entry_id, payload, deliveries, reason)
            return
        await self.handle_raw([(entry_id, payload)], deliveries)


def _raw_entries(raw_message: Any) -> list[tuple[str, bytes]]:
    ids = raw_message.get("message_ids") or []
    data = raw_message.get("data")
    rows = data if isinstance(data, list) else [data]
    out = []
    for entry_id, fields in zip(ids, rows, strict=False):
        payload = fields.get(DATA_FIELD.encode(), b"") if isinstance(fields, dict) else b""
        key = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
        out.append((key, payload))
    return out


def register_stage(broker: RedisBroker, stage: Stage[Any], settings: RapportSettings) -> None:
    """Subscribe the stage's batch reader and its reclaimer in the stage's consumer group."""
    consumer = f"{settings.consumer_name}"

    # No body parameter: FastStream then skips decoding; each stage parses the raw entries
    # itself, so that one bad entry is parked alone instead of failing the whole batch.
    async def read_batch(msg: RedisBatchStreamMessage) -> None:
        await stage.handle_raw(_raw_entries(msg.raw_message))

    async def reclaim_one(msg: RedisStreamMessage) -> None:
        for entry_id, payload in _raw_entries(msg.raw_message):
            await stage.reclaim(entry_id, payload)

    broker.subscriber(
        stream=StreamSub(
            stage.stream,
            group=stage.group,
            consumer=consumer,
            batch=True,
            max_records=settings.max_records,
            polling_interval=settings.poll_ms,
        ),
        ack_policy=AckPolicy.MANUAL,
    )(read_batch)
    broker.subscriber(
        stream=StreamSub(
            stage.stream,
            group=stage.group,
            consumer=f"{consumer}-reclaimer",
            min_idle_time=settings.reclaim_idle_ms,
            polling_interval=settings.reclaim_poll_ms,
        ),
        ack_policy=AckPolicy.MANUAL,
    )(reclaim_one)
