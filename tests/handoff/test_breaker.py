"""The per-site circuit breaker: opens after consecutive transient failures, fails fast while
open, lets one trial through after the cool-down, and keeps sites apart."""

from __future__ import annotations

import pytest

from rapport_handoff.adapters.base import PermanentError, TransientError
from rapport_handoff.breaker import Breakers, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def ok() -> str:
    return "ok"


async def down() -> str:
    raise TransientError("HTTP 503: down")


async def refused() -> str:
    raise PermanentError("HTTP 422: bad")


async def test_opens_after_the_threshold_and_fails_fast() -> None:
    clock = Clock()
    breaker = CircuitBreaker("acme", threshold=3, cooldown_s=30, clock=clock)
    calls = 0

    async def counted() -> str:
        nonlocal calls
        calls += 1
        return await down()

    for _ in range(3):
        with pytest.raises(TransientError, match="503"):
            await breaker.call(counted)
    assert breaker.state == "open"
    with pytest.raises(TransientError, match="circuit open for site acme") as exc:
        await breaker.call(counted)
    assert calls == 3  # the open circuit did not call the helpdesk
    assert exc.value.retry_after == pytest.approx(30)


async def test_a_success_resets_the_count() -> None:
    breaker = CircuitBreaker("acme", threshold=2, clock=Clock())
    with pytest.raises(TransientError):
        await breaker.call(down)
    assert await breaker.call(ok) == "ok"
    with pytest.raises(TransientError):
        await breaker.call(down)
    assert breaker.state == "closed"


async def test_half_open_trial_closes_or_reopens() -> None:
    clock = Clock()
    breaker = CircuitBreaker("acme", threshold=1, cooldown_s=10, clock=clock)
    with pytest.raises(TransientError):
        await breaker.call(down)
    clock.now += 11
    assert breaker.state == "half-open"
    with pytest.raises(TransientError, match="503"):
        await breaker.call(down)  # the trial fails: open again for a full cool-down
    assert breaker.state == "open"
    clock.now += 11
    assert await breaker.call(ok) == "ok"
    assert breaker.state == "closed"


async def test_a_permanent_refusal_is_an_answer_not_an_outage() -> None:
    breaker = CircuitBreaker("acme", threshold=1, clock=Clock())
    with pytest.raises(PermanentError):
        await breaker.call(refused)
    assert breaker.state == "closed"


async def test_one_broken_site_does_not_stop_another() -> None:
    breakers = Breakers(threshold=1, cooldown_s=60)
    with pytest.raises(TransientError):
        await breakers.get("broken").call(down)
    with pytest.raises(TransientError, match="circuit open"):
        await breakers.get("broken").call(ok)
    assert await breakers.get("healthy").call(ok) == "ok"
