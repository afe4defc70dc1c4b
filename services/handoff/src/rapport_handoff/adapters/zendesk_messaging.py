"""``zendesk-messaging``: Zendesk Messaging through Sunshine Conversations (API v2).

Inbound: a custom-integration webhook (triggers ``conversation:message``,
``conversation:postback``, ``switchboard:passControl``, ``switchboard:releaseControl``).
Sunshine does not sign: it sends the webhook's secret in ``X-API-Key``, compared in constant
time; as that header travels in clear, ``adapter.webhook_secret`` must differ from the site's
``secret``. Every event of ``events[]`` is read; messages are deduped on
``payload.message.id``. ``author.type: user`` -> customer; ``business`` -> agent when its
subtype is ``agent``, bot otherwise (the bot's own echoes never count as the customer).
A postback (a button the customer pressed, e.g. "talk to an agent") is a customer message whose
text is the button's payload in words (``TALK_TO_AGENT`` -> ``talk to agent``), so the policy
reads it like typed text. Control passed to any integration other than ``switchboard_integration``
(back to the bot), or released, resolves the human's ownership (``conversation resolved``);
control passed to the agent workspace is our own handoff coming back and is ignored. Ticket
status lives in Zendesk Support: use the ``zendesk`` webhook for solved/closed.

Outbound: ONE ``POST /v2/apps/{appId}/conversations/{id}/passControl`` to
``zd:agentWorkspace`` (configurable), with flat metadata (at most 4 KB): ``first_message_id``
(so the ticket gets the whole conversation, not only the last 10 messages),
``dataCapture.systemField.tags`` / ``group_id`` / ``priority`` and, when
``summary_field_id`` is set, the note in ``dataCapture.ticketField.<id>``. Sunshine has no
private-comment endpoint.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import AnyHttpUrl, Field

from rapport_contracts import Author, HandoffPacket
from rapport_handoff.adapters._note import render_note
from rapport_handoff.adapters._payload import customer_of, dig
from rapport_handoff.adapters._signatures import header, require_equal
from rapport_handoff.adapters._time import parse_time
from rapport_handoff.adapters._vendor import VendorAdapter, VendorOptions
from rapport_handoff.adapters.base import Delivered, InboundBatch, InboundEvent
from rapport_runtime.config import SecretRef

API_KEY = "X-API-Key"
PRIORITIES = {"low": "low", "normal": "normal", "high": "high", "urgent": "urgent"}
METADATA_LIMIT = 4096
SWITCHBOARD = {"switchboard:passControl", "switchboard:releaseControl"}


class ZendeskMessagingOptions(VendorOptions):
    base_url: AnyHttpUrl = AnyHttpUrl("https://api.smooch.io")
    app_id: str = Field(min_length=1)
    key_id: str = Field(min_length=1, description="API key id (basic auth user).")
    key_secret: SecretRef = Field(description="API key secret.")
    switchboard_integration: str = Field(default="zd:agentWorkspace")
    summary_field_id: str | None = Field(
        default=None, description="Zendesk ticket field id that receives the note."
    )


class ZendeskMessagingAdapter(VendorAdapter):
    name: ClassVar[str] = "zendesk-messaging"
    description: ClassVar[str] = (
        "Zendesk Messaging (Sunshine): passControl to the agent workspace with ticket fields."
    )
    supports: ClassVar[tuple[str, ...]] = ("note", "priority", "team", "tags", "bot-to-human")
    Options = ZendeskMessagingOptions
    secrets = ("key_secret",)
    token_header = API_KEY

    def auth_headers(self) -> dict[str, str]:
        raw = f"{self.options.key_id}:{self.secret_values['key_secret']}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    # -- outbound ------------------------------------------------------------------------

    def pass_control(self, packet: HandoffPacket) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "dataCapture.systemField.tags": " ".join(self.tags_for(packet)),
            "dataCapture.systemField.priority": PRIORITIES[packet.decision.priority],
        }
        if packet.provider == self.name and packet.transcript:
            metadata["first_message_id"] = packet.transcript[0].message_id
        if (group := self.team_for(packet)) is not None:
            metadata["dataCapture.systemField.group_id"] = group
        if self.options.summary_field_id:
            room = METADATA_LIMIT - len(json.dumps(metadata).encode()) - 100
            field = f"dataCapture.ticketField.{self.options.summary_field_id}"
            note = render_note(packet, "text", max_chars=max(200, room))
            while len(json.dumps({**metadata, field: note}).encode()) > METADATA_LIMIT:
                note = note[: int(len(note) * 0.9) - 1] + "…"
            metadata[field] = note
        return {
            "switchboardIntegration": self.options.switchboard_integration,
            "metadata": metadata,
        }

    async def deliver(self, packet: HandoffPacket) -> Delivered:
        conversation = self.need_id(packet, "conversation_id")
        app = packet.provider_ids.get("app_id") or self.options.app_id
        body = self.pass_control(packet)
        await self.steps(packet).once(
            "pass",
            lambda: self.api.call(
                "POST", f"/v2/apps/{app}/conversations/{conversation}/passControl", json_body=body
            ),
        )
        return Delivered(
            external_id=conversation,
            detail=f"passed control of {conversation} to {body['switchboardIntegration']}",
        )

    # -- inbound -------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        require_equal(self.webhook_secret, header(headers, API_KEY), API_KEY)

    def parse(self, body: bytes, headers: Mapping[str, str]) -> InboundBatch:
        data = self.load_json(body)
        if not isinstance(data, dict):
            return self.ignore(None, "not-an-object")
        raw_events = [e for e in data.get("events") or [] if isinstance(e, dict)]
        delivery = str(raw_events[0].get("id")) if len(raw_events) == 1 else None
        app = dig(data, "app", "id")
        events: list[InboundEvent] = []
        for event in raw_events:
            kind = event.get("type")
            if kind == "conversation:message":
                found = self._message(event, app)
            elif kind == "conversation:postback":
                found = self._postback(event, app)
            elif kind in SWITCHBOARD:
                found = self._control(event, app)
            else:
                found = None
            if found is not None:
                events.append(found)
        if not events:
            kinds = sorted({str(e.get("type")) for e in raw_events})
            return self.ignore(delivery, "no-message", ",".join(kinds) or None)
        return InboundBatch(delivery, events)

    def _message(self, event: dict[str, Any], app: Any) -> InboundEvent | None:
        payload = event.get("payload") or {}
        conversation = dig(payload, "conversation", "id")
        message = payload.get("message") or {}
        author = message.get("author") or {}
        text = dig(message, "content", "text") or dig(message, "content", "altText")
        if not conversation or not message.get("id") or not text:
            return None
        role: Author
        if author.get("type") == "user":
            role = "customer"
        elif "agent" in (author.get("subtypes") or []):
            role = "agent"
        else:
            role = "bot"
        customer = None
        if role == "customer":
            user = author.get("user") or {}
            profile = user.get("profile") or {}
            customer = customer_of(
                user.get("externalId") or author.get("userId"),
                profile.get("email"),
                author.get("displayName"),
            )
        return self.message(
            conversation_id=conversation,
            message_id=message["id"],
            author=role,
            text=str(text),
            sent_at=parse_time(message.get("received") or event.get("createdAt")),
            channel=str(dig(message, "source", "type") or "chat"),
            customer=customer,
            provider_ids={
                "app_id": app,
                "conversation_id": conversation,
                "user_id": author.get("userId"),
            },
        )

    def _postback(self, event: dict[str, Any], app: Any) -> InboundEvent | None:
        payload = event.get("payload") or {}
        conversation = dig(payload, "conversation", "id")
        said = postback_words(dig(payload, "postback", "payload"))
        if not conversation or not event.get("id") or not said:
            return None
        user = payload.get("user") or {}
        profile = user.get("profile") or {}
        name = " ".join(str(x) for x in (profile.get("givenName"), profile.get("surname")) if x)
        return self.message(
            conversation_id=conversation,
            message_id=f"postback-{event['id']}",
            author="customer",
            text=said,
            sent_at=parse_time(event.get("createdAt")),
            channel=str(dig(payload, "source", "type") or "chat"),
            customer=customer_of(
                user.get("externalId") or user.get("id"), profile.get("email"), name
            ),
            provider_ids={
                "app_id": app,
                "conversation_id": conversation,
                "user_id": user.get("id"),
            },
        )

    def _control(self, event: dict[str, Any], app: Any) -> InboundEvent | None:
        """Control leaving the agents (passed to another integration, or released) ends the
        human's ownership; control reaching the agents is our own passControl coming back."""
        payload = event.get("payload") or {}
        conversation = dig(payload, "conversation", "id")
        if not conversation:
            return None
        active = dig(payload, "conversation", "activeSwitchboardIntegration") or {}
        target = self.options.switchboard_integration
        if event.get("type") == "switchboard:passControl" and target in {
            str(active.get(k)) for k in ("id", "name", "integrationId", "integrationType")
        }:
            return None
        return self.status(
            conversation_id=conversation,
            event_id=event.get("id") or conversation,
            status="resolved",
            noun="conversation",
            sent_at=parse_time(event.get("createdAt")),
            provider_ids={
                "app_id": app,
                "conversation_id": conversation,
                "switchboard": active.get("name") or active.get("integrationType") or "none",
                "reason": payload.get("reason"),
            },
        )


def postback_words(value: Any) -> str:
    """A postback payload as words: ``TALK_TO_AGENT`` or ``talk-to-agent`` -> ``talk to
    agent``; free text stays as it is."""
    if not isinstance(value, str) or not value.strip():
        return ""
    words = value.replace("_", " ").replace("-", " ").replace(":", " ")
    text = " ".join(words.split())
    return text.lower() if text.isupper() else text
