"""A circuit breaker per site, so that one broken helpdesk does not stall the others.

After ``threshold`` consecutive transient failures (timeouts, 429/5xx after the adapter's own
retries) the circuit opens: for ``cooldown_s`` every handoff of that site fails at once with
a TransientError (the handoff waits on the retry schedule) instead of tying up a
delivery slot for the whole retry schedule. After the cool-down one trial delivery goes
through (half-open): success closes the circuit, failure opens it again. A PermanentError is
an answer from a working helpdesk, so it closes the circuit like a success.

Neither breaker ever counts this process's own saturation (a Redis connection pool with no
free connection, :class:`rapport_runtime.redis.PoolExhaustedError`), nor any Redis error: those
say nothing about the helpdesk, and counting them opened circuits with every helpdesk healthy.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar, TypeVar

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from rapport_handoff.adapters.base import PermanentError, TransientError
from rapport_runtime.redis import is_saturation, transaction_client

T = TypeVar("T")

DEFAULT_THRESHOLD = 5
DEFAULT_COOLDOWN_S = 30.0


def _not_the_helpdesk(exc: BaseException) -> bool:
    """A Redis error or this process's saturation, raised as such or as the cause of a
    TransientError: not the helpdesk's failure."""
    return any(isinstance(e, RedisError) or is_saturation(e) for e in (exc, exc.__cause__) if e)


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        threshold: int = DEFAULT_THRESHOLD,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self.trial = False
        self.last_error = ""

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "open" if self.clock() - self.opened_at < self.cooldown_s else "half-open"

    async def call(self, action: Callable[[], Awaitable[T]]) -> T:
        state = self.state
        if state == "open" or (state == "half-open" and self.trial):
            assert self.opened_at is not None
            wait = max(0.0, self.cooldown_s - (self.clock() - self.opened_at))
            raise TransientError(
                f"circuit open for site {self.name}: {self.failures} consecutive failures, "
                f"last: {self.last_error}; next try in {wait:.0f} s",
                retry_after=wait,
            )
        self.trial = state == "half-open"
        try:
            result = await action()
        except PermanentError:
            self._close()
            raise
        except Exception as exc:
            if not _not_the_helpdesk(exc):
                self._fail(exc)
            raise
        self._close()
        return result

    def _close(self) -> None:
        self.failures, self.opened_at, self.trial = 0, None, False

    def _fail(self, exc: BaseException) -> None:
        self.failures += 1
        self.last_error = str(exc)[:300]
        if self.trial or self.failures >= self.threshold:
            self.opened_at = self.clock()
        self.trial = False


class Breakers:
    """One breaker per site, created on first use."""

    def __init__(
        self, threshold: int = DEFAULT_THRESHOLD, cooldown_s: float = DEFAULT_COOLDOWN_S
    ) -> None:
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self._by_site: dict[str, CircuitBreaker] = {}

    def get(self, site: str) -> CircuitBreaker:
        if site not in self._by_site:
            self._by_site[site] = CircuitBreaker(site, self.threshold, self.cooldown_s)
        return self._by_site[site]


class SharedBreaker:
    """The same circuit, kept in Redis so that every handoff replica shares it: one replica's
    failures open it for all, and a single trial delivery (one replica, by an NX key) probes a
    half-open circuit. Only the helpdesk's own transient answers count: a Redis error inside a
    delivery is not the helpdesk's failure and leaves the circuit alone."""

    def __init__(
        self,
        redis: Redis,
        key: str,
        name: str,
        threshold: int = DEFAULT_THRESHOLD,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis, self.key, self.trial_key = redis, key, f"{key}:trial"
        self.name, self.threshold, self.cooldown_s, self.clock = name, threshold, cooldown_s, clock

    FIELDS: ClassVar[list[str]] = ["failures", "open_until", "last_error"]

    def read(self, pipe: Pipeline) -> None:
        """Queue the circuit's state on ``pipe``: its answer is :meth:`call`'s ``state``, so
        that the handoff stage reads it in the round trip that takes the create-once lock
        (issue 14: a round trip less per handoff)."""
        pipe.hmget(self.key, self.FIELDS)

    async def call(
        self, action: Callable[[], Awaitable[T]], state: Sequence[Any] | None = None
    ) -> T:
        """``action`` unless the circuit is open. ``state``: the answer of :meth:`read`, when
        the caller read it already (else it is read here)."""
        if state is None:
            state = await self.redis.hmget(self.key, self.FIELDS)
        failures_raw, open_raw, last_raw = state
        now, open_until = self.clock(), float(open_raw or 0)
        last = last_raw.decode() if isinstance(last_raw, bytes) else str(last_raw or "")
        trial = False
        if open_until:
            wait = open_until - now
            if wait > 0 or not await self.redis.set(
                self.trial_key, "1", nx=True, px=int(self.cooldown_s * 1000)
            ):
                raise TransientError(
                    f"circuit open for site {self.name}: {int(failures_raw or 0)} consecutive "
                    f"failures, last: {last}; next try in {max(wait, 0):.0f} s",
                    retry_after=max(wait, 0.0),
                )
            trial = True
        try:
            result = await action()
        except PermanentError:
            await self.redis.delete(self.key, self.trial_key)  # a working helpdesk answered
            raise
        except TransientError as exc:
            if not _not_the_helpdesk(exc):
                await self._fail(exc, trial, now)
            raise
        if failures_raw or open_raw:
            await self.redis.delete(self.key, self.trial_key)
        return result

    async def _fail(self, exc: BaseException, trial: bool, now: float) -> None:
        client = await transaction_client(self.redis, self.key)
        async with client.pipeline(transaction=True) as tx:
            tx.hincrby(self.key, "failures", 1)
            tx.hset(self.key, "last_error", str(exc)[:300])
            tx.expire(self.key, int(self.cooldown_s * 10) + 60)
            failures = (await tx.execute())[0]
        if trial or failures >= self.threshold:
            await self.redis.hset(self.key, "open_until", str(now + self.cooldown_s))
            await self.redis.delete(self.trial_key)


class SharedBreakers:
    """One shared breaker per site."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        threshold: int = DEFAULT_THRESHOLD,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis, self.prefix, self.clock = redis, prefix, clock
        self.threshold, self.cooldown_s = threshold, cooldown_s

    def get(self, site: str) -> SharedBreaker:
        key = f"{self.prefix}:breaker:{site}"
        return SharedBreaker(self.redis, key, site, self.threshold, self.cooldown_s, self.clock)
