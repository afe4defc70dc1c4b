"""``intercom``: Intercom conversations (REST API 2.x, ``Intercom-Version`` header).

Inbound: Developer Hub webhooks signed with ``X-Hub-Signature: sha1=<hex HMAC-SHA1(app
client_secret, raw body)>``; deduped on the notification ``id`` (``notif_...``) and the
conversation part id. Topics: ``conversation.user.created`` / ``conversation.user.replied``
(customer), ``conversation.admin.replied`` (agent, or bot for bot/Fin authors and
``bot_ids``), ``conversation.admin.closed`` (resolution). Notes and everything else: 204.
The first message of ``conversation.user.created`` is ``item.source`` in API 2.x and
``item.conversation_message`` (``body`` HTML, ``author.type: user``) in apps still on 1.x:
both are read.

Outbound: ``POST /conversations/{id}/reply`` (``message_type: note``), then
``POST /conversations/{id}/parts`` (``message_type: assignment``, ``type: team``) moving
the conversation from the bot to the team, then ``POST /conversations/{id}/tags`` once per
tag id (tags are attached one at a time; existing tags stay). API 2.x has no priority write:
the priority is in the note, and ``priority_tag_ids`` can tag it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import AnyHttpUrl, Field

from rapport_contracts import Author, HandoffPacket
from rapport_handoff.adapters._html import html_text
from rapport_handoff.adapters._note import render_note
from rapport_handoff.adapters._payload import customer_of, dig, first_dict
from rapport_handoff.adapters._signatures import header, hmac_digest, require_equal
from rapport_handoff.adapters._time import parse_time
from rapport_handoff.adapters._vendor import VendorAdapter, VendorOptions
from rapport_handoff.adapters.base import Delivered, InboundBatch, InboundEvent
from rapport_runtime.config import SecretRef

SIGNATURE = "X-Hub-Signature"
CUSTOMER_TYPES = {"user", "lead", "contact"}


class IntercomOptions(VendorOptions):
    base_url: AnyHttpUrl = AnyHttpUrl("https://api.intercom.io")
    access_token: SecretRef = Field(description="The app's access token.")
    admin_id: str = Field(min_length=1, description="The admin the note and assignment act as.")
    api_version: str = Field(default="2.16", pattern=r"^2\.\d+$")
    tag_ids: list[str] = Field(default_factory=list, description="Intercom tag ids to attach.")
    priority_tag_ids: dict[str, str] = Field(
        default_factory=dict, description="Rapport priority -> an Intercom tag id to attach."
    )


class IntercomAdapter(VendorAdapter):
    name: ClassVar[str] = "intercom"
    description: ClassVar[str] = "Intercom: internal note, assignment to a team, tags."
    supports: ClassVar[tuple[str, ...]] = ("note", "team", "tags", "bot-to-human")
    Options = IntercomOptions
    secrets = ("access_token",)

    def auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.secret_values['access_token']}",
            "Intercom-Version": self.options.api_version,
        }

    # -- outbound ------------------------------------------------------------------------

    def calls(self, packet: HandoffPacket) -> list[tuple[str, str, str, dict[str, Any]]]:
        """(step, method, path, body) of a handoff, in order."""
        conversation = self.need_id(packet, "conversation_id")
        admin = self.options.admin_id
        base = f"/conversations/{conversation}"
        out: list[tuple[str, str, str, dict[str, Any]]] = [
            (
                "note",
                "POST",
                f"{base}/reply",
                {
                    "message_type": "note",
                    "type": "admin",
                    "admin_id": admin,
                    "body": render_note(packet, "html"),
                },
            )
        ]
        if (team := self.team_for(packet)) is not None:
            out.append(
                (
                    "assign",
                    "POST",
                    f"{base}/parts",
                    {
                        "message_type": "assignment",
                        "type": "team",
                        "admin_id": admin,
                        "assignee_id": team,
                    },
                )
            )
        tags = list(self.options.tag_ids)
        if (extra := self.options.priority_tag_ids.get(packet.decision.priority)) is not None:
            tags.append(extra)
        for tag in dict.fromkeys(tags):
            out.append((f"tag:{tag}", "POST", f"{base}/tags", {"id": tag, "admin_id": admin}))
        return out

    async def deliver(self, packet: HandoffPacket) -> Delivered:
        return await self.run_calls(
            packet, self.calls(packet), packet.provider_ids["conversation_id"]
        )

    # -- inbound -------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        expected = "sha1=" + hmac_digest(self.webhook_secret, body, "sha1").hex()
        require_equal(expected, header(headers, SIGNATURE), SIGNATURE)

    def _role(self, author: dict[str, Any], part: dict[str, Any]) -> Author | None:
        kind = str(author.get("type", ""))
        if self.is_bot(author.get("id")) or kind == "bot":
            return "bot"
        if author.get("from_ai_agent") or part.get("is_ai_answer"):
            return "bot"
        if kind in CUSTOMER_TYPES:
            return "customer"
        if kind in {"admin", "team"}:
            return "agent"
        return None

    def parse(self, body: bytes, headers: Mapping[str, str]) -> InboundBatch:
        data = self.load_json(body)
        if not isinstance(data, dict):
            return self.ignore(None, "not-an-object")
        delivery = str(data["id"]) if data.get("id") else None
        topic = str(data.get("topic", ""))
        item = dig(data, "data", "item") or {}
        conversation = item.get("id") if isinstance(item, dict) else None
        if not conversation or item.get("type") not in (None, "conversation"):
            return self.ignore(delivery, "not-a-conversation", topic)
        contact = dig(item, "contacts", "contacts", 0, "id")
        ids = {"conversation_id": conversation, "contact_id": contact}
        channel = dig(item, "source", "type") or "chat"
        events: list[InboundEvent] = []
        if topic == "conversation.admin.closed":
            events.append(
                self.status(
                    conversation_id=conversation,
                    event_id=delivery or f"{conversation}-{item.get('updated_at')}",
                    status="closed",
                    noun="conversation",
                    sent_at=parse_time(data.get("created_at")),
                    provider_ids=ids,
                )
            )
            return InboundBatch(delivery, events)
        if topic == "conversation.user.created":
            # API 2.x: the first message is `source`; 1.x: `conversation_message`.
            source = item.get("source")
            has_body = isinstance(source, dict) and source.get("body")
            part = first_dict(source if has_body else None, item.get("conversation_message"))
        elif topic in {"conversation.user.replied", "conversation.admin.replied"}:
            parts = dig(item, "conversation_parts", "conversation_parts") or []
            comments = [p for p in parts if isinstance(p, dict) and p.get("part_type") == "comment"]
            if not comments:
                return self.ignore(delivery, "no-comment", topic)
            part = max(comments, key=lambda p: p.get("created_at") or 0)
        else:
            return self.ignore(delivery, "not-a-message", topic)
        author = part.get("author") or {}
        role = self._role(author, part)
        text = html_text(part.get("body"))
        if role is None:
            return self.ignore(delivery, "unknown-author", topic)
        if not text or not part.get("id"):
            return self.ignore(delivery, "no-text", topic)
        customer = None
        if role == "customer":
            customer = customer_of(
                author.get("id") or contact, author.get("email"), author.get("name")
            )
        events.append(
            self.message(
                conversation_id=conversation,
                message_id=part["id"],
                author=role,
                text=text,
                sent_at=parse_time(part.get("created_at") or item.get("created_at")),
                channel=str(channel),
                customer=customer,
                provider_ids={**ids, "part_id": part["id"]},
            )
        )
        return InboundBatch(delivery, events)
