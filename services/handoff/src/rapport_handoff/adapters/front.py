"""``front``: Front conversations.

Inbound: application webhooks signed with ``X-Front-Signature`` =
base64(HMAC-SHA256(app signing secret, "{X-Front-Request-Timestamp}:" + raw body)); the
timestamp is in milliseconds and must be within the window. The ``sync`` validation request
(with ``X-Front-Challenge``) is answered ``{"challenge": ...}`` once its signature holds.
Application webhooks wrap every event in an envelope ``{"type", "authorization": {"id":
"cmp_..."}, "payload": <the event>}``; the bare event (what rule webhooks and the Events API
return) is read too. Deduped on the event ``id`` (``evt_...``) and the message id.
``tag`` events (and any event's ``conversation.tags``) with ``rapport-unneeded-escalation``
or ``rapport-missed-escalation`` -> feedback on Rapport's decision. ``inbound`` -> customer;
``outbound``/``out_reply`` -> agent (teammates in ``bot_ids``, and messages without a teammate
author, are the bot); ``archive`` -> resolution.

Outbound: ``POST /conversations/{id}/comments`` (the internal comment, markdown),
``PATCH /conversations/{id}`` with ``inbox_id`` (the queue's team inbox), and
``POST /conversations/{id}/tags`` with ``tag_ids`` (adds; ``PATCH tag_ids`` would replace).
Front has no priority field: the note states it and ``priority_tag_ids`` can tag it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from pydantic import AnyHttpUrl, Field

from rapport_contracts import Author, HandoffPacket
from rapport_handoff.adapters._html import html_text
from rapport_handoff.adapters._note import render_note
from rapport_handoff.adapters._payload import customer_of, dig
from rapport_handoff.adapters._signatures import (
    b64,
    header,
    hmac_digest,
    require_equal,
    require_fresh,
)
from rapport_handoff.adapters._time import parse_time
from rapport_handoff.adapters._vendor import VendorAdapter, VendorOptions
from rapport_handoff.adapters.base import Delivered, InboundBatch
from rapport_runtime.config import SecretRef

SIGNATURE = "X-Front-Signature"
TIMESTAMP = "X-Front-Request-Timestamp"
CHALLENGE = "X-Front-Challenge"
OUTBOUND = {"outbound", "out_reply"}


class FrontOptions(VendorOptions):
    base_url: AnyHttpUrl = AnyHttpUrl("https://api2.frontapp.com")
    api_token: SecretRef = Field(description="A Front API token (or OAuth access token).")
    author_id: str | None = Field(default=None, description="Teammate id the comment is from.")
    tag_ids: list[str] = Field(default_factory=list, description="Front tag ids to add.")
    priority_tag_ids: dict[str, str] = Field(
        default_factory=dict, description="Rapport priority -> a Front tag id to add."
    )


class FrontAdapter(VendorAdapter):
    name: ClassVar[str] = "front"
    description: ClassVar[str] = "Front: internal comment, move to the team inbox, add tags."
    supports: ClassVar[tuple[str, ...]] = ("note", "team", "tags")
    Options = FrontOptions
    secrets = ("api_token",)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret_values['api_token']}"}

    # -- outbound ------------------------------------------------------------------------

    def calls(self, packet: HandoffPacket) -> list[tuple[str, str, str, dict[str, Any]]]:
        conversation = self.need_id(packet, "conversation_id")
        base = f"/conversations/{conversation}"
        comment: dict[str, Any] = {"body": render_note(packet, "markdown")}
        if self.options.author_id:
            comment["author_id"] = self.options.author_id
        out = [("note", "POST", f"{base}/comments", comment)]
        if (inbox := self.team_for(packet)) is not None:
            out.append(("move", "PATCH", base, {"inbox_id": inbox}))
        tags = list(self.options.tag_ids)
        if (extra := self.options.priority_tag_ids.get(packet.decision.priority)) is not None:
            tags.append(extra)
        if tags:
            out.append(("tags", "POST", f"{base}/tags", {"tag_ids": list(dict.fromkeys(tags))}))
        return out

    async def deliver(self, packet: HandoffPacket) -> Delivered:
        return await self.run_calls(
            packet, self.calls(packet), packet.provider_ids["conversation_id"]
        )

    # -- inbound -------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        timestamp = require_fresh(
            header(headers, TIMESTAMP),
            TIMESTAMP,
            self.options.signature_tolerance_s,
            self.now(),
            millis=True,
        )
        digest = hmac_digest(self.webhook_secret, timestamp.encode() + b":" + body, "sha256")
        require_equal(b64(digest), header(headers, SIGNATURE), SIGNATURE)

    def parse(self, body: bytes, headers: Mapping[str, str]) -> InboundBatch:
        envelope = self.load_json(body)
        if not isinstance(envelope, dict):
            return self.ignore(None, "not-an-object")
        if envelope.get("type") == "sync":
            return InboundBatch(reply={"challenge": header(headers, CHALLENGE) or ""})
        # Application webhooks: {"type", "authorization", "payload": <event>}; rule
        # webhooks and the Events API: the event itself.
        payload = envelope.get("payload")
        data: dict[str, Any] = payload if isinstance(payload, dict) else envelope
        delivery = str(data["id"]) if data.get("id") else None
        kind = data.get("type") or envelope.get("type")
        conversation = dig(data, "conversation", "id")
        if not conversation:
            return self.ignore(delivery, "no-conversation", kind)
        # The event's conversation carries its tags (objects with a `name`); a `tag` event's
        # target is the tag just added. A feedback tag is feedback on Rapport's decision.
        tags = dig(data, "conversation", "tags")
        added = dig(data, "target", "data") if kind == "tag" else None
        feedback = self.feedback_tags(
            conversation,
            [*(tags if isinstance(tags, list) else []), *([added] if added else [])],
            dig(data, "source", "data", "id"),
        )
        if feedback and kind in ("tag", "untag"):
            return replace(self.ignore(delivery, "feedback-tag", kind), feedback=feedback)
        message = dig(data, "target", "data") or {}
        recipients = message.get("recipients") if isinstance(message, dict) else None
        sender = next(
            (r for r in recipients or [] if isinstance(r, dict) and r.get("role") == "from"), {}
        )
        ids = {"conversation_id": conversation}
        if kind == "archive":
            status = self.status(
                conversation_id=conversation,
                event_id=delivery or conversation,
                status="closed",
                noun="conversation",
                sent_at=parse_time(data.get("emitted_at")),
                provider_ids=ids,
            )
            return InboundBatch(delivery, [status], feedback=feedback)
        if dig(data, "target", "_meta", "type") != "message" or not isinstance(message, dict):
            return replace(self.ignore(delivery, "not-a-message", kind), feedback=feedback)
        role: Author
        if kind == "inbound":
            role = "customer"
        elif kind in OUTBOUND:
            author_id = dig(message, "author", "id")
            role = "bot" if author_id is None or self.is_bot(author_id) else "agent"
        else:
            return self.ignore(delivery, "not-a-message", kind)
        text = str(message.get("text") or "").strip() or html_text(message.get("body"))
        if not text or not message.get("id"):
            return self.ignore(delivery, "no-text", kind)
        customer = None
        if role == "customer":
            contact = dig(sender, "_links", "related", "contact")
            customer = customer_of(
                contact.rsplit("/", 1)[-1] if isinstance(contact, str) else None,
                sender.get("handle") if "@" in str(sender.get("handle", "")) else None,
                sender.get("name"),
            )
        return InboundBatch(
            delivery,
            [
                self.message(
                    conversation_id=conversation,
                    message_id=message["id"],
                    author=role,
                    text=text,
                    sent_at=parse_time(message.get("created_at")),
                    channel=str(message.get("type") or "email"),
                    customer=customer,
                    provider_ids={**ids, "message_id": message["id"]},
                )
            ],
            feedback=feedback,
        )
