"""The edge remembers what it answered 202 for: when Redis restarts without some of it (a host
crash with ``appendfsync everysec``, emulated here by a restart without persistence), the
watch notices the new run, appends exactly the missing messages again with their dedupe keys,
and leaves alone what survived. A Redis of this test's own, so it can be restarted."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis.asyncio import Redis

from rapport_contracts import Message
from rapport_runtime.acceptance import AcceptanceWatch, accept_once
from rapport_runtime.redis import dedupe_key
from tests.helpers import RedisProcess

pytestmark = [pytest.mark.integration, pytest.mark.chaos]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisProcess]:
    own = RedisProcess(tmp_path, "--appendonly", "no")
    own.start()
    try:
        yield own
    finally:
        own.stop()


def message(n: int) -> Message:
    return Message(
        site="demo",
        conversation_id=f"c{n}",
        message_id=f"m{n}",
        author="customer",
        text=f"message {n}",
        sent_at=datetime(2026, 12, 2, 10, 0, tzinfo=UTC),
    )


async def _pong(redis: Redis) -> bool:
    try:
        return bool(await redis.ping())
    except Exception:
        return False


async def _wait(redis: Redis) -> None:
    for _ in range(200):
        if await _pong(redis):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("redis-server did not answer")


async def test_what_a_restarted_redis_lost_is_appended_again_once(server: RedisProcess) -> None:
    redis = Redis.from_url(server.url)
    watch = AcceptanceWatch(window_s=30)
    try:
        await _wait(redis)
        assert await watch.check(redis) == 0  # the first look only learns the run

        async def accept(n: int) -> str | None:
            return await accept_once(
                redis,
                dedupe_key("w", "edge", "demo", f"c{n}", f"m{n}"),
                "w:messages",
                message(n),
                ttl_s=60,
                maxlen=1000,
                watch=watch,
            )

        for n in range(5):
            assert await accept(n) is not None
        assert await watch.check(redis) == 0  # same run: nothing to do

        server.stop()  # comes back empty: all five answered 202 and gone
        server.start()
        await _wait(redis)
        await redis.xadd("w:messages", {"__data__": message(9).model_dump_json()})
        assert await watch.check(redis) == 5
        entries = await redis.xrange("w:messages")
        texts = sorted(Message.read(f[b"__data__"]).message_id for _, f in entries)
        assert texts == ["m0", "m1", "m2", "m3", "m4", "m9"]
        # A sender retrying one of them now is told it is a duplicate.
        assert await accept(3) is None
        assert await watch.check(redis) == 0  # and nothing is appended twice

        server.stop()  # another restart: the restored entries' new ids are the ones checked
        server.start()
        await _wait(redis)
        assert await watch.check(redis) == 5
        assert await redis.xlen("w:messages") == 5
    finally:
        await redis.aclose()


async def test_a_watch_with_no_window_remembers_nothing(server: RedisProcess) -> None:
    redis = Redis.from_url(server.url)
    watch = AcceptanceWatch(window_s=0)
    try:
        await _wait(redis)
        await watch.check(redis)
        await accept_once(redis, "k", "s", message(1), ttl_s=60, maxlen=10, watch=watch)
        assert list(watch.recent) == []
    finally:
        await redis.aclose()
