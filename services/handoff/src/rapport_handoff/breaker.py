"""A circuit breaker per site, so that one broken helpdesk does not stall the others.

After ``threshold`` consecutive transient failures (timeouts, 429/5xx after the adapter's own
retries) the circuit opens: for ``cooldown_s`` every handoff of that site fails at once with
a TransientError (its entry stays pending and is retried later) instead of tying up a
delivery slot for the whole retry schedule. After the cool-down one trial delivery goes
through (half-open): success closes the circuit, failure opens it again. A PermanentError is
an answer from a working helpdesk, so it closes the circuit like a success.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from rapport_handoff.adapters.base import PermanentError, TransientError

T = TypeVar("T")

DEFAULT_THRESHOLD = 5
DEFAULT_COOLDOWN_S = 30.0


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
