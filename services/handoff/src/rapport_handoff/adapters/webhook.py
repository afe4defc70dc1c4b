"""``webhook``: POSTs the handoff packet as signed JSON to a URL the site controls.

The request carries ``X-Rapport-Timestamp``/``X-Rapport-Signature`` (the same scheme as
Rapport's inbound webhook) and ``Idempotency-Key: <handoff_id>``, so the receiver can verify it
and drop a repeat. 2xx is success; 408, 425, 429 and 5xx are retried with jittered backoff
(honouring ``Retry-After``); any other answer is permanent and dead-lettered with its text.
"""

from __future__ import annotations

import email.utils
import time
from typing import ClassVar

import httpx
import stamina
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from rapport_contracts import HandoffPacket
from rapport_handoff.adapters.base import (
    AdapterContext,
    Delivered,
    PermanentError,
    TransientError,
    adapter_options,
)
from rapport_runtime.config import ConfigError, SecretRef, Site
from rapport_runtime.signing import sign

RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}


class WebhookOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: AnyHttpUrl
    secret: SecretRef | None = Field(
        default=None, description="Signs the request; without it the request is unsigned."
    )
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    attempts: int = Field(default=5, ge=1, le=20)
    max_wait_s: float = Field(default=30.0, gt=0, description="Longest wait between attempts.")
    deadline_s: float = Field(
        default=60.0, gt=0, description="Longest time for all attempts of one delivery."
    )


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class WebhookAdapter:
    name: ClassVar[str] = "webhook"
    description: ClassVar[str] = "POSTs the packet as signed JSON to a URL, with retries."

    @classmethod
    def check(cls, site: Site) -> None:
        cls._options(site)

    @staticmethod
    def _options(site: Site) -> tuple[WebhookOptions, str | None]:
        options: WebhookOptions = adapter_options(WebhookOptions, site)
        try:
            secret = options.secret.resolve() if options.secret else None
        except ConfigError as exc:
            raise ConfigError(
                f"{site.locate(['adapter', 'secret'])}: adapter.secret: {exc}"
            ) from None
        return options, secret

    def __init__(self, site: Site, context: AdapterContext) -> None:
        self.options, self.secret = self._options(site)
        self.context = context

    def _backoff(self, exc: Exception) -> bool | float:
        if isinstance(exc, TransientError):
            if exc.retry_after is not None:
                return min(exc.retry_after, self.options.max_wait_s)
            return True
        return False

    async def deliver(self, packet: HandoffPacket) -> Delivered:
        body = packet.model_dump_json().encode()
        async for attempt in stamina.retry_context(
            on=self._backoff,
            attempts=self.options.attempts,
            # Bounded, so that a failing receiver holds its batch up for at most this long;
            # the entry stays pending and the reclaimer tries again later.
            timeout=self.options.deadline_s,
            wait_initial=0.2,
            wait_max=self.options.max_wait_s,
        ):
            with attempt:
                return await self._post(body, packet.handoff_id)
        raise AssertionError("unreachable: stamina re-raises after the last attempt")

    async def _post(self, body: bytes, handoff_id: str) -> Delivered:
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": handoff_id,
            "User-Agent": "rapport-handoff",
        }
        if self.secret:
            headers |= sign(self.secret, body)
        try:
            response = await self.context.http.post(
                str(self.options.url), content=body, headers=headers, timeout=self.options.timeout_s
            )
        except httpx.TimeoutException as exc:
            raise TransientError(f"timed out after {self.options.timeout_s} s: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"could not reach {self.options.url}: {exc!r}") from exc
        if response.is_success:
            return Delivered(
                external_id=response.headers.get("X-Request-Id"),
                detail=f"HTTP {response.status_code}",
            )
        text = response.text[:500]
        if response.status_code in RETRYABLE_STATUS:
            raise TransientError(
                f"HTTP {response.status_code}: {text}",
                retry_after_seconds(response.headers.get("Retry-After")),
            )
        raise PermanentError(f"HTTP {response.status_code}: {text}")
