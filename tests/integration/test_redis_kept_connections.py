"""The services' Redis client keeps a connection between its commands (``rapport_runtime.redis``
``_Client``, issue 14: the pool's round per command was about 30 % of a round trip's CPU).
What that must never change, against a real Redis: a kept connection that Redis closed is
reconnected, a command cancelled or failed mid-reply never leaves its reply for the next
command, and the kept connections never starve the pool that pipelines and transactions use."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from rapport_runtime.redis import KEPT_CONNECTIONS, connect

pytestmark = pytest.mark.integration


async def test_commands_reuse_one_connection_instead_of_a_pool_round(
    redis_url: str, prefix: str
) -> None:
    client = connect(redis_url)
    pool = client.connection_pool
    taken_from_pool = 0
    get_connection = pool.get_connection

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal taken_from_pool
        taken_from_pool += 1
        return await get_connection(*args, **kwargs)  # type: ignore[no-untyped-call]

    pool.get_connection = counted  # type: ignore[method-assign]
    try:
        for i in range(20):
            await client.set(f"{prefix}:k{i}", i, ex=60)
        assert await client.get(f"{prefix}:k7") == b"7"
        # One connection taken for the first command and kept: redis-py's own client takes
        # one from the pool (and gives it back) for each of the 21.
        assert taken_from_pool == 1
    finally:
        await client.aclose()


async def test_a_kept_connection_redis_closed_is_reconnected(redis_url: str, prefix: str) -> None:
    client = connect(redis_url)
    admin = Redis.from_url(redis_url)
    try:
        await client.set(f"{prefix}:a", "before", ex=60)
        kept_id = await client.client_id()
        await admin.client_kill_filter(_id=str(kept_id))  # Redis drops the kept connection
        assert await client.get(f"{prefix}:a") == b"before"  # redis-py's retry reconnects
        assert await client.client_id() != kept_id
    finally:
        await client.aclose()
        await admin.aclose()


async def test_a_command_cancelled_mid_reply_leaves_no_stale_reply(
    redis_url: str, prefix: str
) -> None:
    """An outcome test: redis-py's ``read_response`` itself disconnects on a cancel, and the
    client disconnects again before anything is kept; either one keeps this passing, so it
    fails only if both stop doing so (a redis-py upgrade, say, and the client's own line)."""
    client = connect(redis_url)
    admin = Redis.from_url(redis_url)
    try:
        await client.set(f"{prefix}:answer", "right", ex=60)

        async def wait_for_an_item() -> Any:
            return await client.blpop([f"{prefix}:list"], timeout=2)

        waiting = asyncio.create_task(wait_for_an_item())
        await asyncio.sleep(0.2)  # the BLPOP is on the wire, its reply not yet sent
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        # Its reply would now arrive on the connection it was sent on; a kept connection that
        # still held it would hand it to the next command.
        await admin.rpush(f"{prefix}:list", "late")
        await admin.expire(f"{prefix}:list", 60)
        await asyncio.sleep(0.1)
        for _ in range(3):
            assert await client.get(f"{prefix}:answer") == b"right"
    finally:
        await client.aclose()
        await admin.aclose()


async def test_an_error_reply_does_not_shift_the_replies_after_it(
    redis_url: str, prefix: str
) -> None:
    """An error reply is read whole before it is raised, so the connection stays in step."""
    client = connect(redis_url)
    try:
        await client.set(f"{prefix}:text", "not a list", ex=60)
        with pytest.raises(ResponseError, match="WRONGTYPE"):
            await client.lpush(f"{prefix}:text", "x")
        assert await client.get(f"{prefix}:text") == b"not a list"
        assert await client.incr(f"{prefix}:n") == 1
        await client.expire(f"{prefix}:n", 60)
    finally:
        await client.aclose()


async def test_kept_connections_never_starve_pipelines(redis_url: str, prefix: str) -> None:
    """A burst of concurrent commands keeps at most a quarter of the pool; the rest go back, so
    a pipeline afterwards gets a connection at once (not after the pool's wait)."""
    pool_size = 8
    client = connect(redis_url, pool_size=pool_size, wait_s=0.5)
    try:
        await asyncio.gather(*(client.set(f"{prefix}:b{i}", i, ex=60) for i in range(50)))
        assert len(client._kept) <= min(KEPT_CONNECTIONS, pool_size // 4)  # type: ignore[attr-defined]
        in_pipelines = await asyncio.gather(
            *(_pipelined_get(client, f"{prefix}:b{i}") for i in range(pool_size - 2))
        )
        assert in_pipelines == [str(i).encode() for i in range(pool_size - 2)]
    finally:
        await client.aclose()


async def _pipelined_get(client: Redis, key: str) -> bytes:
    async with client.pipeline(transaction=True) as pipe:
        await pipe.watch(key)  # takes a connection of the pool and holds it until the end
        await asyncio.sleep(0.05)  # while the other pipelines take theirs
        pipe.multi()  # type: ignore[no-untyped-call]
        pipe.get(key)
        (value,) = await pipe.execute()
    return bytes(value)


async def test_a_pool_too_small_to_share_keeps_nothing(redis_url: str, prefix: str) -> None:
    client = connect(redis_url, pool_size=2, wait_s=0.5)
    try:
        await client.set(f"{prefix}:c", "v", ex=60)
        assert client._kept == []  # type: ignore[attr-defined]
        async with client.pipeline(transaction=True) as pipe:
            pipe.get(f"{prefix}:c")
            pipe.get(f"{prefix}:c")
            assert await pipe.execute() == [b"v", b"v"]
    finally:
        await client.aclose()
