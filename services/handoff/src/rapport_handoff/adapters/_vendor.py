"""What the helpdesk adapters share: common options, secrets, signature helpers and the
turning of vendor payloads into Rapport messages."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from html.parser import HTMLParser
from typing import Any, ClassVar

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, ValidationError

from rapport_contracts import AttributeValue, Author, Customer, HandoffPacket, Message
from rapport_handoff.adapters._http import ApiClient, Steps
from rapport_handoff.adapters.base import (
    AdapterContext,
    Delivered,
    InboundEvent,
    InboundPayloadError,
    InboundSignatureError,
    PermanentError,
    adapter_options,
)
from rapport_runtime.config import ConfigError, SecretRef, Site

DEFAULT_TAGS = ("rapport-handoff",)
_ID_BAD = re.compile(r"[^A-Za-z0-9._:@/+=-]")


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
        description="Verifies the vendor's webhooks; defaults to the site's `secret`.",
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


class VendorAdapter:
    """Base of the helpdesk adapters: options, secrets, the API client and inbound helpers.
    Subclasses set ``name``, ``description``, ``supports``, ``Options`` and ``secrets`` (the
    option fields holding SecretRefs that must resolve), and implement ``deliver``,
    ``verify`` and ``parse``."""

    name: ClassVar[str]
    description: ClassVar[str]
    supports: ClassVar[tuple[str, ...]] = ()
    Options: ClassVar[type[VendorOptions]] = VendorOptions
    secrets: ClassVar[tuple[str, ...]] = ()

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
            return json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InboundPayloadError(f"the body is not valid JSON: {exc}") from None

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
                sent_at=sent_at or datetime.now(UTC),
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


# -- free helpers ---------------------------------------------------------------------------


def ident(value: Any) -> str:
    """A vendor id as a Rapport identifier (printable, at most 200 characters)."""
    if value is None or value == "":
        raise InboundPayloadError("an id the message needs is missing from the payload")
    return _ID_BAD.sub("-", str(value))[:200]


def slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "queue"


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header, whatever the case of the mapping's keys."""
    value = headers.get(name)
    if value is None:
        lower = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lower), None)
    return value


def hmac_digest(secret: str, message: bytes, algorithm: str) -> bytes:
    return hmac.new(secret.encode(), message, getattr(hashlib, algorithm)).digest()


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def require_equal(expected: str, given: str | None, what: str) -> None:
    """Constant-time comparison; InboundSignatureError naming the header otherwise."""
    if not given:
        raise InboundSignatureError(f"missing {what} header")
    if not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise InboundSignatureError(f"{what} does not match the body; check the webhook secret")


def require_fresh(
    timestamp: str | None, what: str, tolerance_s: int, *, millis: bool = False
) -> str:
    """A signed timestamp (unix seconds, milliseconds or ISO-8601) within the window."""
    if not timestamp:
        raise InboundSignatureError(f"missing {what} header")
    value = timestamp.strip()
    try:
        if value.isdigit():
            when = int(value) / (1000 if millis else 1)
        else:
            when = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise InboundSignatureError(f"{what} is not a timestamp: {value!r}") from None
    skew = abs(time.time() - when)
    if skew > tolerance_s:
        raise InboundSignatureError(
            f"{what} is {int(skew)} s away from now (limit {tolerance_s} s); a replay, or a "
            "clock problem"
        )
    return timestamp


def parse_time(value: Any) -> datetime | None:
    """ISO-8601 strings and unix seconds (or milliseconds) as aware datetimes."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
            number = float(value)
            return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, UTC)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in {"br", "p", "div", "li"}:
            self.parts.append("\n")


def html_text(value: Any) -> str:
    """Plain text of an HTML fragment (message bodies of Intercom, Zammad, Front...)."""
    if not isinstance(value, str):
        return ""
    if "<" not in value:
        return value.strip()
    parser = _Text()
    parser.feed(value)
    parser.close()
    text = "".join(parser.parts)
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def dig(data: Any, *path: str | int) -> Any:
    """``data[path[0]][path[1]]...``, or None when any step is missing."""
    for key in path:
        if isinstance(data, dict) and isinstance(key, str):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def customer_of(
    id_: Any = None, email: Any = None, name: Any = None, **attributes: Any
) -> Customer | None:
    values = {
        "id": str(id_)[:200] if id_ not in (None, "") else None,
        "email": str(email)[:320] if email else None,
        "name": str(name)[:200] if name else None,
    }
    attrs: dict[str, AttributeValue] = {
        k: v
        for k, v in attributes.items()
        if v is not None and isinstance(v, str | int | float | bool)
    }
    if not any(values.values()) and not attrs:
        return None
    return Customer(**values, attributes=attrs)
