"""The handoff stage's group commit: outcomes of deliveries that finish while a transaction is
out go out together in the next one, each still applied, and a failed transaction fails every
outcome in it (so each delivery's entry stays pending, as its own failed transaction left it)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from rapport_handoff.app import HandoffStage
from rapport_runtime.service import Runtime
from rapport_runtime.settings import RapportSettings


async def test_outcomes_arriving_during_a_transaction_share_the_next_one(
    make_settings: Callable[..., RapportSettings], prefix: str
) -> None:
    settings = make_settings()
    redis = Redis.from_url(settings.redis_url)
    stage = HandoffStage(settings, Runtime(settings, redis), {})
    sizes: list[int] = []
    real = stage._transaction

    async def counted(outcomes: Sequence[Callable[[Pipeline], None]]) -> None:
        sizes.append(len(outcomes))
        await real(outcomes)

    stage._transaction = counted  # type: ignore[method-assign]

    def setting(i: int) -> Callable[[Pipeline], None]:
        def outcome(tx: Pipeline) -> None:
            tx.set(f"{prefix}:outcome:{i}", str(i))

        return outcome

    try:
        await asyncio.gather(*(stage._commit(setting(i)) for i in range(6)))
        # The first commits alone, at once; the five that came while it was out, together.
        assert sizes == [1, 5]
        values = await redis.mget([f"{prefix}:outcome:{i}" for i in range(6)])
        assert values == [str(i).encode() for i in range(6)]
        assert not stage._committing  # the next outcome commits at once again
        await stage._commit(setting(6))
        assert sizes == [1, 5, 1]
    finally:
        await redis.aclose()


async def test_a_failed_transaction_fails_each_outcome_in_it_and_not_the_next(
    make_settings: Callable[..., RapportSettings], prefix: str
) -> None:
    settings = make_settings()
    redis = Redis.from_url(settings.redis_url)
    stage = HandoffStage(settings, Runtime(settings, redis), {})
    key = f"{prefix}:outcome:list"
    await redis.rpush(key, "x")  # INCR on a list fails inside the transaction

    def good(i: int) -> Callable[[Pipeline], None]:
        def outcome(tx: Pipeline) -> None:
            tx.set(f"{prefix}:outcome:{i}", "ok")

        return outcome

    def bad(tx: Pipeline) -> None:
        tx.incr(key)

    try:
        results: Any = await asyncio.gather(
            stage._commit(good(0)),
            stage._commit(bad),
            stage._commit(good(1)),
            return_exceptions=True,
        )
        assert results[0] is None
        assert all(isinstance(r, Exception) for r in results[1:]), results
        await stage._commit(good(2))  # a later outcome is not held by the failure
        assert await redis.get(f"{prefix}:outcome:2") == b"ok"
    finally:
        await redis.aclose()
