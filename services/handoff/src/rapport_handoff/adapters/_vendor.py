"""The base of the helpdesk adapters: the options every one takes, its secrets, the API client
and the helpers that turn a vendor's event into Rapport messages (or into a reasoned "nothing").

The free helpers live by purpose beside it: ``_signatures`` (headers, HMAC, freshness),
``_time`` (vendor timestamps), ``_html`` (HTML bodies to text) and ``_payload`` (lookups, ids,
the customer).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, ValidationError

from rapport_contracts import Author, Customer, HandoffPacket, Message
from rapport_handoff.adapters._http import ApiClient, Steps
from rapport_handoff.adapters._payload import ident, slug
from rapport_handoff.adapters.base import (
    FEEDBACK_TAGS,
    AdapterContext,
    Delivered,
    InboundBatch,
    InboundEvent,
    InboundFeedback,
    InboundPayloadError,
    PermanentError,
    adapter_options,
)
from rapport_runtime.config import ConfigError, SecretRef, Site
from rapport_runtime.limits import loads_bounded

DEFAULT_TAGS = ("rapport-handoff",)


class VendorOptions(BaseModel):
    """Options every helpdesk adapter takes (each adds its own)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: AnyHttpUrl = Field(description="The helpdesk API's base URL.")
    queues: dict[str, str] = Field(
        default_factory=dict,
        description="Rapport queue -> the helpdesk's group/team/inbox id. Unmapped queues "
        "leave the assignment alone.",
    )
    tags: list[str] = Field(
        default_factory=lambda: list(DEFAULT_TAGS),
        description="Added to the ticket/conversation (never replacing existing tags).",
    )
    bot_ids: list[str] = Field(
        default_factory=list,
        description="Helpdesk user ids of the site's bot/integration users: their messages "
        "are author `bot`, never `customer` or `agent`.",
    )
    webhook_secret: SecretRef | None = Field(
        default=None,
        description="Verifies the vendor's webhooks; defaults to the site's `secret` (except "
        "for vendors that send it in clear in a header, which need their own).",
    )
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    attempts: int = Field(default=5, ge=1, le=20)
    max_wait_s: float = Field(default=30.0, gt=0)
    deadline_s: float = Field(
        default=60.0,
        gt=0,
        description="Longest time for all attempts of one API call; then the reclaimer retries.",
    )
    signature_tolerance_s: int = Field(
        default=300, ge=1, description="Largest accepted age of a signed timestamp."
    )


def resolve_secret(site: Site, ref: SecretRef | None, field: str) -> str:
    if ref is None:
        return site.secret
    try:
        return ref.resolve()
    except ConfigError as exc:
        raise ConfigError(f"{site.locate(['adapter', field])}: adapter.{field}: {exc}") from None


def refuse_shared_token(site: Site, adapter: str, header: str, webhook_secret: str) -> None:
    """A vendor that sends its webhook secret in clear in a header (no HMAC) must not share it
    with the site's ``secret``: that one signs ``POST /v1/sites/{site}/messages``, so anyone who
    sees the header (a proxy log, the vendor's UI) could post messages as any author."""
    if webhook_secret == site.secret:
        raise ConfigError(
            f"{site.locate(['adapter', 'webhook_secret'])}: site {site.name!r}: the {adapter} "
            f"adapter sends its webhook secret in clear in {header}, so it needs an "
            "adapter.webhook_secret of its own, different from the site's `secret` (which "
            "signs /messages). Set adapter.webhook_secret: {env: ...} to the token the "
            f"{adapter} webhook sends."
        )


class VendorAdapter:
    """Base of the helpdesk adapters: options, secrets, the API client and inbound helpers.
    Subclasses set ``name``, ``description``, ``supports``, ``Options`` and ``secrets`` (the
    option fields holding SecretRefs that must resolve), ``token_header`` when the vendor sends
    the webhook secret itself in a header, and implement ``deliver``, ``verify`` and
    ``parse``."""

    name: ClassVar[str]
    description: ClassVar[str]
    supports: ClassVar[tuple[str, ...]] = ()
    Options: ClassVar[type[VendorOptions]] = VendorOptions
    secrets: ClassVar[tuple[str, ...]] = ()
    token_header: ClassVar[str | None] = None

    @classmethod
    def check(cls, site: Site) -> None:
        cls._load(site)

    @classmethod
    def _load(cls, site: Site) -> tuple[Any, dict[str, str]]:
        options = adapter_options(cls.Options, site)
        resolved = {
            field: resolve_secret(site, getattr(options, field), field) for field in cls.secrets
        }
        resolved["webhook_secret"] = resolve_secret(site, options.webhook_secret, "webhook_secret")
        if cls.token_header is not None:
            refuse_shared_token(site, cls.name, cls.token_header, resolved["webhook_secret"])
        return options, resolved

    def __init__(self, site: Site, context: AdapterContext) -> None:
        self.site = site
        self.context = context
        self.options, self.secret_values = self._load(site)
        self.webhook_secret = self.secret_values["webhook_secret"]
        self.api = ApiClient(
            context,
            vendor=self.name,
            base_url=str(self.options.base_url),
            headers=self.auth_headers(),
            timeout_s=self.options.timeout_s,
            attempts=self.options.attempts,
            max_wait_s=self.options.max_wait_s,
            deadline_s=self.options.deadline_s,
        )

    def auth_headers(self) -> dict[str, str]:
        return {}

    def now(self) -> float:
        """Unix seconds, from the context's clock (tests inject one instead of sleeping)."""
        return self.context.clock()

    def steps(self, packet: HandoffPacket) -> Steps:
        return Steps(self.context.redis, self.context.settings.prefix, packet.handoff_id)

    async def run_calls(
        self, packet: HandoffPacket, calls: list[tuple[str, str, str, Any]], on: str
    ) -> Delivered:
        """Make each (step, method, path, JSON body) call once per handoff, in order."""
        steps = self.steps(packet)
        for step, method, path, body in calls:
            await steps.once(step, partial(self.api.call, method, path, json_body=body))
        return Delivered(external_id=on, detail=f"{len(calls)} calls on {on}")

    # -- outbound helpers ------------------------------------------------------------------

    def need_id(self, packet: HandoffPacket, key: str) -> str:
        """A vendor id the handoff needs, from the packet's provider ids (set by this
        adapter's inbound parsing); a PermanentError naming it when missing."""
        value = packet.provider_ids.get(key)
        if not value:
            raise PermanentError(
                f"{self.name}: the handoff packet has no provider_ids[{key!r}]; messages for "
                f"this conversation must arrive through POST /v1/sites/{packet.site}/webhooks/"
                f"{self.name} (or carry provider_ids.{key})"
            )
        return value

    def team_for(self, packet: HandoffPacket) -> str | None:
        queue = packet.decision.queue
        return self.options.queues.get(queue) if queue else None

    def tags_for(self, packet: HandoffPacket) -> list[str]:
        tags = list(self.options.tags)
        if packet.decision.queue:
            tags.append(f"rapport-queue-{slug(packet.decision.queue)}")
        tags += [slug(tag) for tag in packet.decision.tags]  # the policy rule's own tags
        return list(dict.fromkeys(tags))

    # -- inbound helpers -------------------------------------------------------------------

    def load_json(self, body: bytes) -> Any:
        try:
            # Bounded: deep nesting and huge numbers are refused before they cost anything.
            return loads_bounded(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InboundPayloadError(f"the body is not valid JSON: {exc}") from None

    @staticmethod
    def feedback_tags(conversation_id: Any, tags: Any, author: Any = None) -> list[InboundFeedback]:
        """The feedback tags (``FEEDBACK_TAGS``) among ``tags``: names, or objects with a
        ``name`` (or ``tag``), as the vendor's payload gives them; case and spaces ignored."""
        if not conversation_id or not isinstance(tags, list):
            return []
        found: dict[str, InboundFeedback] = {}
        for tag in tags:
            name = tag.get("name") or tag.get("tag") if isinstance(tag, dict) else tag
            key = str(name or "").strip().lower()
            if key in FEEDBACK_TAGS and key not in found:
                who = "" if author in (None, "") else str(author)[:100]
                found[key] = InboundFeedback(str(conversation_id), FEEDBACK_TAGS[key], key, who)
        return list(found.values())

    @staticmethod
    def ignore(delivery: str | None, reason: str, event_type: Any = None) -> InboundBatch:
        """A delivery that carries nothing for Rapport, with why (counted and logged as
        ``ignored:<reason>``) and the vendor's own event type."""
        kind = str(event_type)[:100] if event_type not in (None, "") else None
        return InboundBatch(delivery, [], ignored=reason, event_type=kind)

    def message(
        self,
        *,
        conversation_id: Any,
        message_id: Any,
        author: Author,
        text: str,
        sent_at: datetime | None = None,
        channel: str | None = None,
        customer: Customer | None = None,
        provider_ids: Mapping[str, Any] | None = None,
    ) -> InboundEvent:
        try:
            message = Message(
                site=self.site.name,
                conversation_id=ident(conversation_id),
                message_id=ident(message_id),
                author=author,
                text=text[:100_000],
                sent_at=sent_at or datetime.fromtimestamp(self.now(), UTC),
                channel=(channel or "chat")[:64],
                customer=customer,
                provider=self.name,
                provider_ids={k: str(v) for k, v in (provider_ids or {}).items() if v is not None},
            )
        except ValidationError as exc:
            raise InboundPayloadError(f"cannot make a message of this event: {exc}") from None
        return InboundEvent("status" if author == "system" else "message", message)

    def status(
        self,
        *,
        conversation_id: Any,
        event_id: Any,
        status: str,
        noun: str = "ticket",
        sent_at: datetime | None = None,
        provider_ids: Mapping[str, Any] | None = None,
    ) -> InboundEvent:
        """A resolution: author ``system``, text ``<noun> <status>``, provider_ids.status."""
        return self.message(
            conversation_id=conversation_id,
            message_id=f"status-{event_id}",
            author="system",
            text=f"{noun} {status}",
            sent_at=sent_at,
            provider_ids={**(provider_ids or {}), "status": status},
        )

    def is_bot(self, author_id: Any) -> bool:
        return author_id is not None and str(author_id) in self.options.bot_ids
