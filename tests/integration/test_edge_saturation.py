"""A saturated edge answers 429 with Retry-After, counted by reason; a 503 is kept for a Redis
that cannot take the message. Real Redis, the real app over real HTTP (uvicorn in a thread, as
``serve()`` runs it)."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import redis as redis_sync
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from rapport_handoff.adapters.base import TransientError
from rapport_handoff.app import create_app
from rapport_handoff.breaker import CircuitBreaker, SharedBreakers
from rapport_runtime.limits import uvicorn_options
from rapport_runtime.redis import PoolExhaustedError, connect
from rapport_runtime.settings import RapportSettings
from tests.helpers import message, serving_in_thread, signed, wait_until

pytestmark = pytest.mark.integration


def saturated_count(reason: str) -> float:
    value = REGISTRY.get_sample_value("rapport_edge_saturated_total", {"reason": reason})
    return value or 0.0


@contextmanager
def serving(settings: RapportSettings) -> Iterator[tuple[str, int, Any]]:
    app = create_app(settings)
    # lifespan as the service runs it (the default "auto"), not the helper's "off".
    with serving_in_thread(
        app, start_timeout_s=20, lifespan="auto", **uvicorn_options(settings)
    ) as (url, port):
        yield url, port, app


def held_request(port: int) -> socket.socket:
    """A signed request whose body never arrives: it holds one of the edge's request slots."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        b"POST /v1/sites/demo/messages HTTP/1.1\r\nHost: edge\r\n"
        b"Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"
    )
    return sock


def test_requests_beyond_the_inflight_cap_get_429_at_once(
    make_settings: Callable[..., RapportSettings], redis_client: redis_sync.Redis, prefix: str
) -> None:
    settings = make_settings(edge_max_inflight=3, body_timeout_s=3.0)
    before = saturated_count("inflight")
    with serving(settings) as (base, port, _app), httpx.Client(base_url=base, timeout=10) as http:
        held = [held_request(port) for _ in range(3)]
        try:
            time.sleep(0.3)  # the three are inside the edge, waiting for their bodies
            body, headers = signed(message("sat", "sat-m1", "hello"))
            t0 = time.monotonic()
            reply = http.post("/v1/sites/demo/messages", content=body, headers=headers)
            assert time.monotonic() - t0 < 1.0, "a saturated edge must refuse at once"
            assert reply.status_code == 429, reply.text
            assert reply.headers["Retry-After"] == "1"
            assert reply.json()["error"] == "saturated"
            assert "3 requests at once" in reply.json()["message"]
            # Health checks take no slot.
            assert http.get("/readyz").status_code == 200
        finally:
            for sock in held:
                sock.close()
        # Slots come back: the same message is then accepted, once.
        accepted = wait_until(
            lambda: (
                (
                    r := http.post("/v1/sites/demo/messages", content=body, headers=headers)
                ).status_code
                == 202
                and r
            ),
            timeout=10,
        )
        assert accepted.json()["duplicate"] is False
    # The one above, and retries until the edge saw the held requests' clients leave.
    assert saturated_count("inflight") - before >= 1
    assert redis_client.xlen(f"{prefix}:messages") == 1


def test_an_exhausted_pool_is_a_429_not_redis_unreachable(
    make_settings: Callable[..., RapportSettings], redis_client: redis_sync.Redis, prefix: str
) -> None:
    """Every connection of the edge's pool busy beyond the pool's wait: the edge is saturated,
    Redis is healthy. It answers 429 (reason pool), never 503 "Redis is unreachable"."""
    settings = make_settings(redis_pool_size=2)
    before = saturated_count("pool")
    with serving(settings) as (base, _port, app), httpx.Client(base_url=base, timeout=10) as http:
        runtime = app.state.runtime
        pool = runtime.redis.connection_pool
        # The edge's own loop (its stage runners run on it): the connections are taken and
        # given back there, as a stuck caller in the edge would hold them.
        loop = runtime.runners[0]._tasks[0].get_loop()

        def on_the_edge(coro: Any) -> Any:
            return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=10)

        taken: list[Any] = []
        try:
            pool.timeout = 0.3

            async def take_all() -> None:
                while len(pool._in_use_connections) < pool.max_connections:
                    taken.append(await pool.get_connection())

            on_the_edge(take_all())
            body, headers = signed(message("pool", "pool-m1", "hello"))
            reply = http.post("/v1/sites/demo/messages", content=body, headers=headers)
            assert reply.status_code == 429, reply.text
            assert reply.json()["error"] == "saturated"
            assert "unreachable" not in reply.text
            assert "Redis connection" in reply.json()["message"]
            assert reply.headers["Retry-After"] == "1"
        finally:
            for conn in taken:
                on_the_edge(pool.release(conn))
            pool.timeout = 5.0
        assert (
            http.post("/v1/sites/demo/messages", content=body, headers=headers).status_code == 202
        )
    assert saturated_count("pool") - before == 1
    assert redis_client.xlen(f"{prefix}:messages") == 1


def test_a_backlog_beyond_the_limit_is_a_429_until_it_drains(
    make_settings: Callable[..., RapportSettings], redis_client: redis_sync.Redis, prefix: str
) -> None:
    """No sentiment stage runs: the backlog grows with each accepted message. Past
    RAPPORT_EDGE_MAX_BACKLOG the edge refuses (429, Retry-After 5); once the group reads the
    entries, it accepts again."""
    settings = make_settings(edge_max_backlog=5)
    before = saturated_count("backlog")
    with serving(settings) as (base, _port, _app), httpx.Client(base_url=base, timeout=10) as http:

        def post(i: int) -> httpx.Response:
            body, headers = signed(message("bl", f"bl-m{i}", "hello"))
            return http.post("/v1/sites/demo/messages", content=body, headers=headers)

        codes = [post(i).status_code for i in range(5)]
        assert codes == [202] * 5
        # The backlog is read every 0.5 s: a message or two more may get in before it is seen.
        sent = 5
        while (reply := post(sent)).status_code == 202:
            sent += 1
            assert sent < 50, "the edge never refused"
            time.sleep(0.05)
        assert reply.status_code == 429, reply.text
        assert reply.json()["error"] == "saturated"
        assert re.search(r"\d+ accepted messages are waiting to be classified \(limit 5\)",
                         reply.json()["message"]), reply.text  # fmt: skip
        assert reply.headers["Retry-After"] == "5"
        # The stage catches up (here: the group reads everything).
        redis_client.xreadgroup("sentiment", "test", {f"{prefix}:messages": ">"}, count=100)
        wait_until(lambda: post(100).status_code == 202, timeout=5)
    assert redis_client.xlen(f"{prefix}:messages") == sent + 1
    assert saturated_count("backlog") - before >= 1


async def test_pool_exhaustion_and_redis_errors_never_open_a_circuit(
    redis_url: str, prefix: str
) -> None:
    """A delivery that fails because this process's pool is exhausted (raised as such, or as
    the cause of a TransientError) says nothing about the helpdesk: the shared and the
    in-process breakers both stay closed, however often it happens."""
    exhausted_pool = connect(redis_url, pool_size=1, wait_s=0.1)
    redis = Redis.from_url(redis_url)
    blocker = await exhausted_pool.connection_pool.get_connection()  # type: ignore[no-untyped-call]
    try:

        async def via_exhausted_pool() -> str:
            await exhausted_pool.get("x")  # waits 0.1 s, then PoolExhaustedError
            return "never"

        async def wrapped() -> str:
            try:
                return await via_exhausted_pool()
            except PoolExhaustedError as exc:
                raise TransientError("could not record the attempt") from exc

        shared = SharedBreakers(redis, prefix, threshold=2, cooldown_s=30).get("acme")
        local = CircuitBreaker("acme", threshold=2)
        for _ in range(4):
            for breaker in (shared, local):
                with pytest.raises(PoolExhaustedError, match="were busy"):
                    await breaker.call(via_exhausted_pool)
                with pytest.raises(TransientError):
                    await breaker.call(wrapped)
        assert await redis.exists(f"{prefix}:breaker:acme") == 0
        assert local.state == "closed" and local.failures == 0

        async def helpdesk_down() -> str:
            raise TransientError("HTTP 503 from the helpdesk")

        # The helpdesk's own failures still count.
        for _ in range(2):
            with pytest.raises(TransientError, match="HTTP 503"):
                await shared.call(helpdesk_down)
        with pytest.raises(TransientError, match="circuit open"):
            await shared.call(helpdesk_down)
    finally:
        await exhausted_pool.connection_pool.release(blocker)
        await exhausted_pool.aclose()
        await redis.delete(f"{prefix}:breaker:acme", f"{prefix}:breaker:acme:trial")
        await redis.aclose()
