"""The batch reader's read-ahead (issue 14): a stage that says it is about to send its last
write (``Stage.reading_next``) has the next batch read meanwhile, on a real Redis; batches
still run one after another, in order, each entry once, and nothing read ahead is left
pending when the runner stops."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pytest
import redis as redis_sync
from redis.asyncio import Redis

from rapport_contracts import Message
from rapport_runtime.consumer import Entry, Stage, StageRunner
from rapport_runtime.settings import RapportSettings

pytestmark = pytest.mark.integration

GROUP = "readers"


def message(i: int) -> str:
    return Message(
        site="demo",
        conversation_id="c1",
        message_id=f"m{i}",
        author="customer",
        text="hello",
        sent_at=datetime(2026, 1, 1, tzinfo=UTC),
    ).model_dump_json()


class Recording(Stage[Message]):
    """Acks each batch after saying it is about to write; on its first batch it also adds one
    more entry to the stream and waits (up to 5 s) to see it delivered to this consumer
    while the batch is still in hand: that delivery can only be the read-ahead."""

    event_type = Message
    group = GROUP

    def __init__(self, settings: RapportSettings, redis: Redis, stream: str) -> None:
        super().__init__(settings, redis)
        self.stream = stream
        self.batches: list[list[str]] = []
        self.in_hand = 0
        self.most_in_hand = 0
        self.read_ahead_seen: bool | None = None
        self.asked = asyncio.Event()  # reading_next was called in the first batch

    async def process(self, entries: Sequence[Entry[Message]]) -> None:
        self.in_hand += 1
        self.most_in_hand = max(self.most_in_hand, self.in_hand)
        try:
            self.batches.append([e.event.message_id for e in entries])
            first = len(self.batches) == 1
            if first:
                await self.redis.xadd(self.stream, {"__data__": message(2)})
            self.reading_next()
            self.reading_next()  # once per batch: a second call starts no second read
            self.asked.set()
            if first:
                self.read_ahead_seen = await self._delivered(2)
            async with self.redis.pipeline(transaction=True) as pipe:
                self.ack(pipe, [e.id for e in entries])
                await pipe.execute()
        finally:
            self.in_hand -= 1

    async def _delivered(self, count: int) -> bool:
        for _ in range(100):
            summary = await self.redis.xpending(self.stream, GROUP)
            if int(summary["pending"]) >= count:
                return True
            await asyncio.sleep(0.05)
        return False


async def test_the_next_batch_is_read_while_the_last_one_writes(
    make_settings: Callable[..., RapportSettings], redis_client: redis_sync.Redis, prefix: str
) -> None:
    settings = make_settings(poll_ms=1000)  # a read that waits: the read-ahead must not
    stream = f"{prefix}:read-ahead"
    redis_client.xgroup_create(stream, GROUP, id="0", mkstream=True)
    redis_client.xadd(stream, {"__data__": message(1)})
    client = Redis.from_url(settings.redis_url)
    stage = Recording(settings, client, stream)
    runner = StageRunner(stage, settings)
    try:
        await runner.start()
        for _ in range(100):
            if len(stage.batches) == 2:
                break
            await asyncio.sleep(0.05)
        assert stage.read_ahead_seen is True  # m2 was delivered while m1's batch was in hand
        assert stage.batches == [["m1"], ["m2"]]  # in order, each once
        assert stage.most_in_hand == 1  # one batch at a time
    finally:
        await runner.stop(2.0)
        await client.aclose()
    assert int(redis_client.xpending(stream, GROUP)["pending"]) == 0


async def test_what_was_read_ahead_before_stop_is_processed_not_left_pending(
    make_settings: Callable[..., RapportSettings], redis_client: redis_sync.Redis, prefix: str
) -> None:
    """stop() while a batch is in hand and its read-ahead is out: the entry that read
    delivers is processed before the reader ends (it is this consumer's from the moment it
    was read, and would otherwise wait for the reclaimer)."""
    settings = make_settings(poll_ms=300)
    stream = f"{prefix}:read-ahead-stop"
    redis_client.xgroup_create(stream, GROUP, id="0", mkstream=True)
    redis_client.xadd(stream, {"__data__": message(1)})
    client = Redis.from_url(settings.redis_url)
    stage = Recording(settings, client, stream)
    runner = StageRunner(stage, settings)
    await runner.start()
    try:
        await asyncio.wait_for(stage.asked.wait(), 5)
        await runner.stop(5.0)  # m1's batch is in hand, waiting to see m2 delivered
        assert stage.batches == [["m1"], ["m2"]]
    finally:
        await client.aclose()
    assert int(redis_client.xpending(stream, GROUP)["pending"]) == 0


async def test_reading_next_outside_the_reader_does_nothing(
    make_settings: Callable[..., RapportSettings], redis_client: redis_sync.Redis, prefix: str
) -> None:
    """A batch processed by anyone else (the reclaimer, a replay, a test) reads nothing: no
    entry of the stream is delivered by its reading_next."""
    settings = make_settings()
    stream = f"{prefix}:read-ahead-outside"
    redis_client.xgroup_create(stream, GROUP, id="0", mkstream=True)
    client = Redis.from_url(settings.redis_url)
    try:
        stage = Recording(settings, client, stream)
        stage.batches.append([])  # not the first batch: no entry added, no wait
        stage.reading_next()
        redis_client.xadd(stream, {"__data__": message(9)})
        await asyncio.sleep(0.2)
        assert int(redis_client.xpending(stream, GROUP)["pending"]) == 0
    finally:
        await client.aclose()
