"""On a Redis Cluster, a process's commands and pipelines beyond its pool size wait their turn:
redis-py's cluster nodes raise MaxConnectionsError at their cap instead of waiting, and a
pipeline that met it closed every connection of the client under other tasks' commands (a
burst on the cluster failed handoff batches with "'NoneType' object has no attribute
'writelines'"). ``rapport_runtime.redis._Cluster`` bounds them; this drives many more
concurrent pipelines and commands than connections through a real local cluster."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from rapport_runtime.redis import connect
from tests.helpers import RedisClusterProcess

POOL = 4
TASKS = 200


def test_more_concurrent_pipelines_than_connections_wait_instead_of_failing(
    redis_cluster: RedisClusterProcess,
) -> None:
    tag = uuid.uuid4().hex[:8]

    async def run() -> tuple[list[object], int]:
        client = connect(redis_cluster.url, pool_size=POOL)
        try:

            async def one(i: int) -> object:
                # Keys on several masters: each pipeline holds a connection on each.
                keys = [f"t{tag}:{{k{i}-{j}}}" for j in range(3)]
                async with client.pipeline(transaction=False) as pipe:
                    for key in keys:
                        pipe.set(key, i, ex=60)
                        pipe.get(key)
                    replies = await pipe.execute()
                await client.incr(f"t{tag}:{{count}}")
                await client.expire(f"t{tag}:{{count}}", 60)
                return replies

            results = await asyncio.gather(*(one(i) for i in range(TASKS)), return_exceptions=True)
            nodes = client.get_nodes()  # type: ignore[attr-defined]
            most = max(len(node._connections) for node in nodes)
            total = int(await client.get(f"t{tag}:{{count}}") or 0)
            assert total == TASKS, f"{total} of {TASKS} increments landed"
            return results, most
        finally:
            await client.aclose()

    results, most_connections = asyncio.run(run())
    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures == [], f"{len(failures)} of {TASKS} failed, first: {failures[0]!r}"
    assert all(isinstance(r, list) and len(r) == 6 for r in results)
    assert most_connections <= POOL, f"a node held {most_connections} connections (pool {POOL})"


def test_blocking_reads_beyond_the_pool_size_leave_commands_their_turns(
    redis_cluster: RedisClusterProcess,
) -> None:
    """One blocking read per partition and stage whatever the load: more of them than the pool
    size must not hold every turn (a command waits for a turn, never for a read's BLOCK)."""
    tag = uuid.uuid4().hex[:8]
    stream = f"t{tag}:{{s}}"

    async def run() -> float:
        client = connect(redis_cluster.url, pool_size=POOL)
        try:
            await client.xgroup_create(stream, "g", id="0", mkstream=True)
            await client.expire(stream, 60)
            reads: list[asyncio.Future[Any]] = [
                asyncio.ensure_future(client.xreadgroup("g", f"c{i}", {stream: ">"}, block=3000))
                for i in range(3 * POOL)
            ]
            await asyncio.sleep(0.3)  # every read is now blocked on the server
            started = asyncio.get_running_loop().time()
            await client.set(f"t{tag}:{{k}}", 1, ex=60)
            waited = asyncio.get_running_loop().time() - started
            for read in reads:
                read.cancel()
            await asyncio.gather(*reads, return_exceptions=True)
            return waited
        finally:
            await client.aclose()

    waited = asyncio.run(run())
    assert waited < 1.0, f"a SET behind {3 * POOL} blocking reads waited {waited:.1f} s"
