"""An accept whose Redis connection redis-py closed under it (its cluster client under a burst:
"handler is closed" under uvloop) is tried again on another connection, on a real Redis; after
the last try the sender hears 503 with the reason, never a 500, and nothing is half-written."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import redis as redis_sync
from redis.asyncio import Redis

from rapport_contracts import Message, utc_now
from rapport_handoff.app import create_app
from rapport_runtime.acceptance import CLOSED_CONNECTION_ATTEMPTS, accept_once
from rapport_runtime.errors import ConnectionClosedError
from rapport_runtime.limits import uvicorn_options
from rapport_runtime.settings import RapportSettings
from tests.helpers import message, serving_in_thread, signed

pytestmark = pytest.mark.integration

CLOSED = "unable to perform operation on <TCPTransport closed=True>; the handler is closed"


def closing_first(redis: Any, times: int, error: str = CLOSED) -> list[int]:
    """Make ``redis.eval`` raise what redis-py raises for a connection closed under it (or
    another RuntimeError), the first ``times`` calls; the calls are counted in the returned
    list."""
    real = redis.eval
    calls = [0]

    async def eval_(*args: Any) -> Any:
        calls[0] += 1
        if calls[0] <= times:
            raise RuntimeError(error)
        return await real(*args)

    redis.eval = eval_
    return calls


def a_message(conversation: str, message_id: str) -> Message:
    return Message(
        site="demo",
        conversation_id=conversation,
        message_id=message_id,
        author="customer",
        text="hello",
        sent_at=utc_now(),
    )


def test_a_connection_closed_under_the_accept_is_tried_again(redis_url: str, prefix: str) -> None:
    async def run() -> tuple[str | None, int, int]:
        redis = Redis.from_url(redis_url)
        try:
            calls = closing_first(redis, CLOSED_CONNECTION_ATTEMPTS - 1)
            stream = f"{prefix}:messages"
            entry = await accept_once(
                redis, f"{prefix}:seen:1", stream, a_message("c1", "m1"), ttl_s=60, maxlen=100
            )
            return entry, calls[0], await redis.xlen(stream)
        finally:
            await redis.aclose()

    entry, calls, length = asyncio.run(run())
    assert entry is not None
    assert calls == CLOSED_CONNECTION_ATTEMPTS
    assert length == 1


def test_it_gives_up_after_its_attempts_as_a_connection_error_that_says_why(
    redis_url: str, prefix: str
) -> None:
    async def run() -> tuple[int, int]:
        redis = Redis.from_url(redis_url)
        try:
            calls = closing_first(redis, 100)
            stream = f"{prefix}:messages"
            with pytest.raises(ConnectionClosedError, match="closed under the write 3 times"):
                await accept_once(
                    redis, f"{prefix}:seen:1", stream, a_message("c1", "m1"), ttl_s=60, maxlen=100
                )
            return calls[0], await redis.exists(stream)
        finally:
            await redis.aclose()

    calls, exists = asyncio.run(run())
    assert calls == CLOSED_CONNECTION_ATTEMPTS
    assert exists == 0


def test_any_other_runtime_error_is_a_bug_and_is_not_retried(redis_url: str, prefix: str) -> None:
    async def run() -> int:
        redis = Redis.from_url(redis_url)
        calls = closing_first(redis, 100, error="something of ours")
        try:
            with pytest.raises(RuntimeError, match="something of ours"):
                await accept_once(
                    redis,
                    f"{prefix}:seen:1",
                    f"{prefix}:messages",
                    a_message("c", "m"),
                    ttl_s=60,
                    maxlen=100,
                )
        finally:
            await redis.aclose()
        return calls[0]

    assert asyncio.run(run()) == 1


@contextmanager
def serving(settings: RapportSettings) -> Iterator[tuple[str, Any]]:
    app = create_app(settings)
    with serving_in_thread(
        app, start_timeout_s=20, lifespan="auto", **uvicorn_options(settings)
    ) as (url, _port):
        yield url, app


def test_the_edge_answers_503_with_the_reason_after_the_last_try_then_accepts_once(
    make_settings: Callable[..., RapportSettings], redis_client: redis_sync.Redis, prefix: str
) -> None:
    settings = make_settings()
    with serving(settings) as (base, app), httpx.Client(base_url=base, timeout=10) as http:
        calls = closing_first(app.state.runtime.redis, CLOSED_CONNECTION_ATTEMPTS)
        body, headers = signed(message("closed", "closed-m1", "hello"))
        reply = http.post("/v1/sites/demo/messages", content=body, headers=headers)
        assert reply.status_code == 503, reply.text
        assert reply.headers["Retry-After"] == "5"
        problem = reply.json()
        assert problem["error"] == "unavailable"
        assert "closed under the write 3 times" in problem["message"]
        assert "Nothing was accepted; retry." in problem["message"]
        assert calls[0] == CLOSED_CONNECTION_ATTEMPTS
        assert redis_client.xlen(f"{prefix}:messages") == 0
        # The sender's retry: the connection is healthy again, the message is accepted, once.
        again = http.post("/v1/sites/demo/messages", content=body, headers=headers)
        assert again.status_code == 202, again.text
        assert again.json()["duplicate"] is False
    assert redis_client.xlen(f"{prefix}:messages") == 1
