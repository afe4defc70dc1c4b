"""``chatwoot``: Chatwoot conversations (open source; signed webhooks need v4.11.2 or later).

Inbound: account webhooks signed with ``X-Chatwoot-Signature: sha256=<hex HMAC-SHA256(secret,
"{X-Chatwoot-Timestamp}.{raw body}")>`` within the timestamp window; deduped on
``X-Chatwoot-Delivery`` (reused by Chatwoot's retries) and the message ``id``.
``message_created``: ``incoming`` and not private -> customer; ``outgoing`` and not private
-> agent when the sender is a ``user``, bot otherwise (agent bots, automation, API);
private notes and activity messages are ignored. ``conversation_status_changed`` to
``resolved`` is a resolution. The customer is the message's ``sender`` when it is a contact,
else its ``contact`` (``Message#webhook_data`` of older releases puts only the agent in
``sender``), else ``conversation.meta.sender``. ``created_at`` comes as ISO-8601 or as Rails'
``2020-03-03 13:05:57 UTC``; the conversation's own times are unix seconds.

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
from rapport_handoff.adapters._payload import customer_of, dig, first_dict
from rapport_handoff.adapters._signatures import (
    header,
    hmac_digest,
    require_equal,
    require_fresh,
)
from rapport_handoff.adapters._time import parse_time
from rapport_handoff.adapters._vendor import VendorAdapter, VendorOptions
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
            header(headers, TIMESTAMP), TIMESTAMP, self.options.signature_tolerance_s, self.now()
        )
        digest = hmac_digest(self.webhook_secret, timestamp.encode() + b"." + body, "sha256")
        require_equal("sha256=" + digest.hex(), header(headers, SIGNATURE), SIGNATURE)

    def parse(self, body: bytes, headers: Mapping[str, str]) -> InboundBatch:
        data = self.load_json(body)
        delivery = header(headers, DELIVERY)
        if not isinstance(data, dict):
            return self.ignore(delivery, "not-an-object")
        event = data.get("event")
        conversation = data.get("conversation") if event == "message_created" else data
        if not isinstance(conversation, dict):
            return self.ignore(delivery, "no-conversation", event)
        conversation_id = conversation.get("display_id") or conversation.get("id")
        contact = first_dict(
            data.get("contact"),
            dig(conversation, "meta", "sender"),
            dig(conversation, "contact"),
        )
        ids = {
            "account_id": dig(data, "account", "id"),
            "conversation_id": conversation_id,
            "inbox_id": conversation.get("inbox_id") or dig(data, "inbox", "id"),
            "contact_id": contact.get("id") or dig(conversation, "contact_inbox", "contact_id"),
        }
        if event == "conversation_status_changed":
            if conversation.get("status") != "resolved" or not conversation_id:
                return self.ignore(delivery, "status-not-resolved", event)
            status = self.status(
                conversation_id=conversation_id,
                event_id=delivery or f"{conversation_id}-{conversation.get('updated_at')}",
                status="solved",
                noun="conversation",
                sent_at=parse_time(conversation.get("updated_at")),
                provider_ids=ids,
            )
            return InboundBatch(delivery, [status])
        if event != "message_created" or not conversation_id:
            return self.ignore(delivery, "not-a-message", event)
        if data.get("private"):
            return self.ignore(delivery, "internal-note", event)
        sender: dict[str, Any] = data["sender"] if isinstance(data.get("sender"), dict) else {}
        kind = data.get("message_type")
        role: Author
        if kind == "incoming":
            role = "customer"
        elif kind == "outgoing":
            is_person = sender.get("type") == "user" and not self.is_bot(sender.get("id"))
            role = "agent" if is_person else "bot"
        else:
            return self.ignore(delivery, f"message-type-{kind or 'missing'}", event)
        text = str(data.get("content") or "").strip()
        if not text or not data.get("id"):
            return self.ignore(delivery, "no-text", event)
        customer = None
        if role == "customer":
            person = sender if sender.get("type") in (None, "contact") and sender else contact
            customer = customer_of(
                person.get("id") or ids["contact_id"],
                person.get("email") or contact.get("email"),
                person.get("name") or contact.get("name"),
            )
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
