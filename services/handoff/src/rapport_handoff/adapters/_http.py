"""Calling a helpdesk API: one request with jittered retries (stamina), ``Retry-After``
honoured, transient versus permanent answers, and steps that are done once per handoff.

Each documented call of a handoff is retried on its own, so a 429 on the third call never
repeats the first two; the finished steps of a handoff are remembered in Redis, so that a
redelivered handoff (after the retries ran out, or after a crash) resumes where it stopped
instead of posting a second note.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
import stamina
from redis.asyncio import Redis

from rapport_handoff.adapters.base import AdapterContext, PermanentError, TransientError
from rapport_handoff.adapters.webhook import RETRYABLE_STATUS, retry_after_seconds
from rapport_runtime.redis import transaction_client

# Answers worth another try: timeouts and throttling, conflicts (Zendesk answers 409 when two
# updates of one ticket race) and server errors.
TRANSIENT_STATUS = frozenset(RETRYABLE_STATUS | {409})
STEPS_TTL_S = 7 * 24 * 3600


class ApiClient:
    """Requests to one helpdesk API with its auth headers, retried with jittered backoff."""

    def __init__(
        self,
        context: AdapterContext,
        *,
        vendor: str,
        base_url: str,
        headers: Mapping[str, str],
        timeout_s: float,
        attempts: int,
        max_wait_s: float,
        auth: Callable[[], Awaitable[Mapping[str, str]]] | None = None,
        deadline_s: float = 60.0,
    ) -> None:
        self.context = context
        self.vendor = vendor
        self.base_url = base_url.rstrip("/")
        self.headers = {"User-Agent": "rapport-handoff", "Accept": "application/json", **headers}
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.max_wait_s = max_wait_s
        self.deadline_s = deadline_s
        self.auth = auth

    def _backoff(self, exc: Exception) -> bool | float:
        if isinstance(exc, TransientError):
            if exc.retry_after is not None:
                return min(exc.retry_after, self.max_wait_s)
            return True
        return False

    async def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
    ) -> Any:
        """Send one request (retried while transient); returns the decoded JSON answer, or
        None for an empty one. Raises TransientError or PermanentError."""
        async for attempt in stamina.retry_context(
            on=self._backoff,
            attempts=self.attempts,
            # Bounded, so that a failing helpdesk holds its batch up for at most this long;
            # the entry stays pending and the reclaimer tries again later.
            timeout=self.deadline_s,
            wait_initial=0.2,
            wait_max=self.max_wait_s,
        ):
            with attempt:
                return await self._once(method, path, json_body, form, headers or {}, authenticated)
        raise AssertionError("unreachable: stamina re-raises after the last attempt")

    async def _once(
        self,
        method: str,
        path: str,
        json_body: Any,
        form: Mapping[str, str] | None,
        extra: Mapping[str, str],
        authenticated: bool,
    ) -> Any:
        url = f"{self.base_url}{path}"
        headers = dict(self.headers)
        if self.auth is not None and authenticated:
            headers |= await self.auth()
        headers |= extra
        content = None
        if json_body is not None:
            content = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            content = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        where = f"{self.vendor} {method} {path}"
        ids = {"vendor": self.vendor, "method": method, "path": path}
        try:
            response = await self.context.http.request(
                method, url, content=content, headers=headers, timeout=self.timeout_s
            )
        except httpx.TimeoutException as exc:
            raise TransientError(f"{where}: timed out after {self.timeout_s} s", ids=ids) from exc
        except httpx.TransportError as exc:
            raise TransientError(
                f"{where}: could not reach {self.base_url}: {exc!r}", ids=ids
            ) from exc
        if response.is_success:
            if not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                return response.text
        text = response.text[:1000]
        ids["status"] = str(response.status_code)
        if response.status_code in TRANSIENT_STATUS:
            wait = retry_after_seconds(
                response.headers.get("Retry-After")
                # Help Scout names its header differently.
                or response.headers.get("X-RateLimit-Retry-After")
            )
            raise TransientError(f"{where}: HTTP {response.status_code}: {text}", wait, ids=ids)
        raise PermanentError(f"{where}: HTTP {response.status_code}: {text}", ids=ids)


class Steps:
    """The finished steps of one handoff, in a Redis hash: a redelivered handoff skips them
    (and gets back what they returned, e.g. the id of a ticket it created)."""

    def __init__(self, redis: Redis | None, prefix: str, handoff_id: str) -> None:
        self.redis = redis
        self.key = f"{prefix}:handoff-steps:{handoff_id}"

    async def once(self, name: str, action: Callable[[], Awaitable[Any]]) -> str:
        if self.redis is not None:
            done = await self.redis.hget(self.key, name)
            if done is not None:
                return done.decode() if isinstance(done, bytes) else str(done)
        result = await action()
        value = "" if result is None else str(result)
        if self.redis is not None:
            client = await transaction_client(self.redis, self.key)
            async with client.pipeline(transaction=True) as tx:
                tx.hset(self.key, name, value)
                tx.expire(self.key, STEPS_TTL_S)
                await tx.execute()
        return value
