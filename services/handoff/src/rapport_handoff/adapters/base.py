"""The interface every helpdesk adapter implements, and the errors it may raise."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import httpx
from pydantic import BaseModel, ValidationError
from redis.asyncio import Redis

from rapport.config import ConfigError, Site, format_validation_error
from rapport.contracts import HandoffPacket
from rapport.settings import RapportSettings


class AdapterError(Exception):
    """A handoff did not happen."""


class TransientError(AdapterError):
    """Worth retrying: timeouts, connection failures, 429 and 5xx answers."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(AdapterError):
    """Retrying cannot help (bad credentials, a refused payload): goes to the dead-letter
    stream with the helpdesk's own error text."""


@dataclass(frozen=True)
class Delivered:
    external_id: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class AdapterContext:
    """What an adapter may use: shared clients, never its own globals."""

    settings: RapportSettings
    redis: Redis
    http: httpx.AsyncClient


class HelpdeskAdapter(Protocol):
    name: ClassVar[str]
    description: ClassVar[str]

    @classmethod
    def check(cls, site: Site) -> None:
        """Raise ConfigError when the site's options or secrets for this adapter are wrong."""
        ...

    def __init__(self, site: Site, context: AdapterContext) -> None: ...

    async def deliver(self, packet: HandoffPacket) -> Delivered:
        """Hand the conversation over; raise TransientError or PermanentError on failure."""
        ...


def adapter_options(
    model: type[BaseModel], site: Site, locate: Callable[[Sequence[str | int]], str] | None = None
) -> Any:
    """Validate an adapter's options from the site config, with errors naming file and line."""
    try:
        return model.model_validate(site.adapter.options())
    except ValidationError as exc:
        where = locate or site.locate
        message = format_validation_error(exc, where, ("adapter",))
        raise ConfigError(f"invalid {site.adapter.type} adapter settings:\n{message}") from None
