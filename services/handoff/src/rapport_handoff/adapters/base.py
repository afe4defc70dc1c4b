"""The interface every helpdesk adapter implements, and the errors it may raise."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

import httpx
from pydantic import BaseModel, ValidationError
from redis.asyncio import Redis

from rapport_contracts import HandoffPacket, Message
from rapport_contracts.events import FeedbackVerdict
from rapport_runtime.config import ConfigError, Site, format_validation_error
from rapport_runtime.settings import RapportSettings


class AdapterError(Exception):
    """A handoff did not happen. ``ids`` names the vendor call (``vendor``, ``method``,
    ``path``, ``status``) as separate fields, so a log line can print them as ids instead of
    leaving them inside redacted text."""

    def __init__(self, message: str, *, ids: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.ids: dict[str, str] = dict(ids or {})


class TransientError(AdapterError):
    """Worth retrying: timeouts, connection failures, 429 and 5xx answers."""

    def __init__(
        self,
        message: str,
        retry_after: float | None = None,
        *,
        ids: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, ids=ids)
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
    # Unix seconds now: signature freshness and default message times (tests inject one).
    clock: Callable[[], float] = time.time


class InboundSignatureError(ValueError):
    """A vendor webhook's signature (or token) is missing, stale or wrong: answered with 401.
    The message is safe to show to the caller."""


class InboundPayloadError(ValueError):
    """A correctly signed webhook whose body cannot be understood: answered with 422."""


@dataclass(frozen=True)
class InboundEvent:
    """One thing a helpdesk told Rapport, already in Rapport's terms.

    ``message`` events are turns of the conversation (customer, agent or bot); ``status``
    events are Messages with author ``system`` (e.g. text ``ticket solved`` and
    ``provider_ids["status"] == "solved"``) that feed the router's ownership state.
    """

    kind: Literal["message", "status"]
    message: Message


# Helpdesk tags an agent adds to judge Rapport's decision on the conversation (issue 16).
FEEDBACK_TAGS: dict[str, FeedbackVerdict] = {
    "rapport-unneeded-escalation": "unneeded-escalation",
    "rapport-missed-escalation": "missed-escalation",
}


@dataclass(frozen=True)
class InboundFeedback:
    """A feedback tag found on the helpdesk's ticket or conversation: the verdict on
    Rapport's decision about ``conversation_id`` (written as a ``Feedback`` event on the
    feedback stream by :mod:`rapport_handoff.adapters.feedback`)."""

    conversation_id: str
    verdict: FeedbackVerdict
    tag: str
    author: str = ""  # the vendor's id of who tagged, when the webhook says


@dataclass(frozen=True)
class InboundBatch:
    """What one webhook request carried: its delivery id (for dedupe), its events (possibly
    none: a ping, or an event that is not a new message), and an optional JSON reply the
    vendor expects (a subscription handshake). A batch without events says why in
    ``ignored`` (a short slug: ``internal-note``, ``not-a-message``...) and carries the
    vendor's own ``event_type``, both counted and logged by the inbound route. ``feedback``
    holds the feedback tags the ticket carries (``FEEDBACK_TAGS``), with or without events."""

    delivery_id: str | None = None
    events: list[InboundEvent] = field(default_factory=list)
    reply: dict[str, Any] | None = None
    ignored: str | None = None
    event_type: str | None = None
    feedback: list[InboundFeedback] = field(default_factory=list)


@runtime_checkable
class InboundAdapter(Protocol):
    """The optional inbound side of an adapter: ``POST /v1/sites/{site}/webhooks/{name}``.

    ``verify`` runs on the raw body before anything is parsed and raises
    :class:`InboundSignatureError`; ``parse`` raises :class:`InboundPayloadError`.
    """

    def verify(self, headers: Mapping[str, str], body: bytes) -> None: ...

    def parse(self, body: bytes, headers: Mapping[str, str]) -> InboundBatch: ...


class HelpdeskAdapter(Protocol):
    name: ClassVar[str]
    description: ClassVar[str]
    # What ``rapport adapters`` shows, e.g. ("inbound", "note", "priority", "team", "tags").
    # Optional on a class: adapters without it support the handoff only.

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


def supports(cls: type[Any]) -> tuple[str, ...]:
    """The capabilities an adapter class declares (``supports``), plus ``inbound`` when it
    implements the inbound side."""
    declared: tuple[str, ...] = tuple(getattr(cls, "supports", ("handoff",)))
    inbound = callable(getattr(cls, "verify", None)) and callable(getattr(cls, "parse", None))
    if inbound and "inbound" not in declared:
        declared = ("inbound", *declared)
    return declared
