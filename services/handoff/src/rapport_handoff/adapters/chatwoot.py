"""``chatwoot``: Chatwoot conversations (open source; signed webhooks need v4.11.2 or later).

Inbound: account webhooks signed with ``X-Chatwoot-Signature: sha256=<hex HMAC-SHA256(secret,
"{X-Chatwoot-Timestamp}.{raw body}")>`` within the timestamp window; deduped on
``X-Chatwoot-Delivery`` (reused by Chatwoot's retries) and the message ``id``.
``message_created``: ``incoming`` and not private -> customer; ``outgoing`` and not private
-> agent when the sender is a ``user``, bot otherwise (agent bots, automation, API);
private notes and activity messages are ignored. ``conversation_status_changed`` to
``resolved`` is a resolution.

Outbound, under ``/api/v1/accounts/{account}/conversations/{id}``: ``POST messages``
(``private: true``: the note), ``POST toggle_status`` ``open`` (from the bot's ``pending``
to the humans), ``POST assignments`` with ``team_id``, ``POST toggle_priority``, and, as
``POST labels`` replaces the list, ``GET labels`` then ``POST labels`` with theirs plus ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from rapport_contracts import Author, HandoffPacket
from rapport_handoff.adapters._note import render_note
from rapport_handoff.adapters._vendor import (
    VendorAdapter,
    VendorOptions,
    customer_of,
    dig,
    header,
    hmac_digest,
    parse_time,
    require_equal,
    require_fresh,
)
from rapport_handoff.adapters.base import Delivered, InboundBatch
from rapport_runtime.config import SecretRef

SIGNATURE = "X-Chatwoot-Signature"
TIMESTAMP = "X-Chatwoot-Timestamp"
DELIVERY = "X-Chatwoot-Delivery"
PRIORITIES = {"low": "low", "normal": "medium", "high": "high", "urgent": "urgent"}


class ChatwootOptions(VendorOptions):
    api_access_token: SecretRef = Field(description="An agent's or agent bot's access token.")
    account_id: int = Field(ge=1)


class ChatwootAdapter(VendorAdapter):
    name: ClassVar[str] = "chatwoot"
    description: ClassVar[str] = (
        "Chatwoot: private note, pending -> open, team, priority, merged labels."
    )
    supports: ClassVar[tuple[str, ...]] = ("note", "priority", "team", "tags", "bot-to-human")
    Options = ChatwootOptions
    secrets = ("api_access_token",)

    def auth_headers(self) -> dict[str, str]:
        return {"api_access_token": self.secret_values["api_access_token"]}

    # -- outbound ------------------------------------------------------------------------

    async def deliver(self, packet: HandoffPacket) -> Delivered:
        conversation = self.need_id(packet, "conversation_id")
        base = f"/api/v1/accounts/{self.options.account_id}/conversations/{conversation}"
        steps = self.steps(packet)
        note = {
            "content": render_note(packet, "markdown"),
            "message_type": "outgoing",
            "private": True,
        }
        await steps.once("note", lambda: self.api.call("POST", f"{base}/messages", json_body=note))
        await steps.once(
            "open",
            lambda: self.api.call("POST", f"{base}/toggle_status", json_body={"status": "open"}),
        )
        if (team := self.team_for(packet)) is not None:
            await steps.once(
                "team",
                lambda: self.api.call(
                    "POST", f"{base}/assignments", json_body={"team_id": _int(team)}
                ),
            )
        priority = PRIORITIES[packet.decision.priority]
        await steps.once(
            "priority",
            lambda: self.api.call(
                "POST", f"{base}/toggle_priority", json_body={"priority": priority}
            ),
        )

        async def labels() -> Any:
            current = await self.api.call("GET", f"{base}/labels")
            existing = current.get("payload", []) if isinstance(current, dict) else []
            merged = list(dict.fromkeys([*existing, *self.tags_for(packet)]))
            return await self.api.call("POST", f"{base}/labels", json_body={"labels": merged})

        await steps.once("labels", labels)
        return Delivered(external_id=conversation, detail=f"opened conversation {conversation}")

    # -- inbound -------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        timestamp = require_fresh(
            header(headers, TIMESTAMP), TIMESTAMP, self.options.signature_tolerance_s
        )
        digest = hmac_digest(self.webhook_secret, timestamp.encode() + b"." + body, "sha256")
        require_equal("sha256=" + digest.hex(), header(headers, SIGNATURE), SIGNATURE)

    def parse(self, body: bytes, headers: Mapping[str, str]) -> InboundBatch:
        data = self.load_json(body)
        delivery = header(headers, DELIVERY)
        if not isinstance(data, dict):
            return InboundBatch(delivery)
        event = data.get("event")
        conversation = data.get("conversation") if event == "message_created" else data
        if not isinstance(conversation, dict):
            return InboundBatch(delivery)
        conversation_id = conversation.get("display_id") or conversation.get("id")
        ids = {
            "account_id": dig(data, "account", "id"),
            "conversation_id": conversation_id,
            "inbox_id": conversation.get("inbox_id") or dig(data, "inbox", "id"),
            "contact_id": dig(conversation, "meta", "sender", "id"),
        }
        if event == "conversation_status_changed":
            if conversation.get("status") != "resolved" or not conversation_id:
                return InboundBatch(delivery)
            status = self.status(
                conversation_id=conversation_id,
                event_id=delivery or f"{conversation_id}-{conversation.get('updated_at')}",
                status="solved",
                noun="conversation",
                provider_ids=ids,
            )
            return InboundBatch(delivery, [status])
        if event != "message_created" or data.get("private") or not conversation_id:
            return InboundBatch(delivery)
        sender: dict[str, Any] = data["sender"] if isinstance(data.get("sender"), dict) else {}
        kind = data.get("message_type")
        role: Author
        if kind == "incoming":
            role = "customer"
        elif kind == "outgoing":
            is_person = sender.get("type") == "user" and not self.is_bot(sender.get("id"))
            role = "agent" if is_person else "bot"
        else:
            return InboundBatch(delivery)
        text = str(data.get("content") or "").strip()
        if not text or not data.get("id"):
            return InboundBatch(delivery)
        customer = None
        if role == "customer":
            customer = customer_of(sender.get("id"), sender.get("email"), sender.get("name"))
        return InboundBatch(
            delivery,
            [
                self.message(
                    conversation_id=conversation_id,
                    message_id=data["id"],
                    author=role,
                    text=text,
                    sent_at=parse_time(data.get("created_at")),
                    channel=str(conversation.get("channel") or "chat").removeprefix("Channel::"),
                    customer=customer,
                    provider_ids=ids,
                )
            ],
        )


def _int(value: str) -> int | str:
    return int(value) if value.isdigit() else value
