"""The circuit breaker lives in Redis, so replicas share it: failures seen by one replica open
the circuit for another; after the cool-down exactly one replica gets the trial delivery; a
permanent answer or a success closes it."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from rapport_handoff.adapters.base import PermanentError, TransientError
from rapport_handoff.breaker import SharedBreakers

pytestmark = pytest.mark.integration


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def fails() -> str:
    raise TransientError("503 from the helpdesk")


async def works() -> str:
    return "ok"


async def test_replicas_share_one_circuit(redis_url: str, prefix: str) -> None:
    clock = Clock()
    redis = Redis.from_url(redis_url)
    try:
        one = SharedBreakers(redis, prefix, threshold=3, cooldown_s=30, clock=clock).get("acme")
        two = SharedBreakers(redis, prefix, threshold=3, cooldown_s=30, clock=clock).get("acme")
        other_site = SharedBreakers(redis, prefix, 3, 30, clock).get("beta")
        for breaker in (one, two, one):
            with pytest.raises(TransientError, match="503"):
                await breaker.call(fails)
        # Open for everyone, without calling the helpdesk.
        calls = 0

        async def counted() -> str:
            nonlocal calls
            calls += 1
            return "ok"

        with pytest.raises(TransientError, match="circuit open for site acme") as opened:
            await two.call(counted)
        assert calls == 0 and opened.value.retry_after == pytest.approx(30)
        assert await other_site.call(works) == "ok"  # another helpdesk is not affected

        clock.now += 31  # half-open: one trial for all replicas
        release = asyncio.Event()

        async def slow_trial() -> str:
            await release.wait()
            return await counted()

        trial = asyncio.create_task(one.call(slow_trial))
        await asyncio.sleep(0.05)
        with pytest.raises(TransientError, match="circuit open"):
            await two.call(counted)  # the other replica waits for the trial's outcome
        release.set()
        assert await trial == "ok"
        assert calls == 1
        assert await two.call(counted) == "ok"  # the success closed it for every replica
        assert calls == 2
    finally:
        await redis.aclose()


async def test_a_failed_trial_reopens_and_a_permanent_answer_closes(
    redis_url: str, prefix: str
) -> None:
    clock = Clock()
    redis = Redis.from_url(redis_url)
    try:
        breakers = SharedBreakers(redis, prefix, threshold=1, cooldown_s=10, clock=clock)
        with pytest.raises(TransientError):
            await breakers.get("acme").call(fails)
        clock.now += 11
        with pytest.raises(TransientError, match="503"):
            await breakers.get("acme").call(fails)  # the trial fails
        with pytest.raises(TransientError, match="circuit open"):
            await breakers.get("acme").call(works)  # open again
        clock.now += 11

        async def refused() -> str:
            raise PermanentError("403 bad credentials")

        with pytest.raises(PermanentError):
            await breakers.get("acme").call(refused)
        assert await breakers.get("acme").call(works) == "ok"
    finally:
        await redis.aclose()
