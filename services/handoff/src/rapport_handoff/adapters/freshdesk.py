"""``freshdesk``: Freshdesk tickets.

Inbound: Freshdesk signs nothing. An automation rule's "Trigger webhook" action sends a
templated JSON body (documented in docs/helpdesks/freshdesk.md) with a custom header
``X-Rapport-Token: <adapter.webhook_secret>``, compared in constant time. That token travels in
clear, so it must differ from the site's ``secret`` (refused at start-up otherwise). With no
delivery or message id from Freshdesk, messages are deduped on a hash of ticket id, text and
the template's ``updated_at``.

Outbound: ``POST /api/v2/tickets/{id}/notes`` (``private: true``), then ``GET`` and
``PUT /api/v2/tickets/{id}`` with ``priority``, ``group_id`` and the ticket's tags plus ours
(``tags`` on PUT replaces the list, so it is read and merged first). Without a ticket id,
``POST /api/v2/tickets`` creates the ticket for the customer's e-mail with priority, group and
tags and a customer-safe description (the customer's own last words, else a neutral line: the
requester can read the description), then ``POST /api/v2/tickets/{id}/notes`` adds the handoff
note as a private note.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from rapport_contracts import Author, HandoffPacket
from rapport_handoff.adapters._note import render_note
from rapport_handoff.adapters._payload import customer_of
from rapport_handoff.adapters._signatures import header, require_equal
from rapport_handoff.adapters._time import parse_time
from rapport_handoff.adapters._vendor import VendorAdapter, VendorOptions
from rapport_handoff.adapters.base import Delivered, InboundBatch, PermanentError
from rapport_runtime.config import SecretRef

# Freshdesk priorities: 1 Low, 2 Medium, 3 High, 4 Urgent.
PRIORITIES = {"low": 1, "normal": 2, "high": 3, "urgent": 4}
TOKEN_HEADER = "X-Rapport-Token"  # noqa: S105 - a header name, not a secret
AUTHORS: dict[str, Author] = {"requester": "customer", "customer": "customer", "agent": "agent"}
RESOLVED = {"4": "solved", "5": "closed", "resolved": "solved", "closed": "closed"}
# What the requester reads when a ticket is opened for them; never the handoff note.
NEUTRAL_SUBJECT = "Your conversation with our support team"
NEUTRAL_DESCRIPTION = "<p>A member of our support team will follow up on your conversation.</p>"


class FreshdeskOptions(VendorOptions):
    api_key: SecretRef = Field(description="A Freshdesk API key (an agent's profile settings).")


class FreshdeskAdapter(VendorAdapter):
    name: ClassVar[str] = "freshdesk"
    description: ClassVar[str] = (
        "Freshdesk: private note, then priority, group and merged tags on the ticket."
    )
    supports: ClassVar[tuple[str, ...]] = ("note", "priority", "team", "tags", "create")
    Options = FreshdeskOptions
    secrets = ("api_key",)
    token_header = TOKEN_HEADER

    def auth_headers(self) -> dict[str, str]:
        raw = f"{self.secret_values['api_key']}:X".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    # -- outbound ------------------------------------------------------------------------

    def _group(self, packet: HandoffPacket) -> int | None:
        group = self.team_for(packet)
        return int(group) if group is not None and group.isdigit() else None

    async def deliver(self, packet: HandoffPacket) -> Delivered:
        note = render_note(packet, "html")
        ticket_id = packet.provider_ids.get("ticket_id")
        steps = self.steps(packet)
        if not ticket_id:
            return await self._create(packet, note)
        await steps.once(
            "note",
            lambda: self.api.call(
                "POST",
                f"/api/v2/tickets/{ticket_id}/notes",
                json_body={"body": note, "private": True},
            ),
        )

        async def update() -> Any:
            current = await self.api.call("GET", f"/api/v2/tickets/{ticket_id}")
            existing = current.get("tags", []) if isinstance(current, dict) else []
            body: dict[str, Any] = {
                "priority": PRIORITIES[packet.decision.priority],
                "tags": list(dict.fromkeys([*existing, *self.tags_for(packet)])),
            }
            if (group := self._group(packet)) is not None:
                body["group_id"] = group
            return await self.api.call("PUT", f"/api/v2/tickets/{ticket_id}", json_body=body)

        await steps.once("update", update)
        return Delivered(external_id=ticket_id, detail=f"noted and updated ticket {ticket_id}")

    async def _create(self, packet: HandoffPacket, note: str) -> Delivered:
        email = packet.customer.email if packet.customer else None
        if not email:
            raise PermanentError(
                "freshdesk: no provider_ids.ticket_id and no customer e-mail to open a ticket for"
            )
        body: dict[str, Any] = {
            "email": email,
            "subject": NEUTRAL_SUBJECT,
            "description": customer_words(packet),
            "status": 2,
            "priority": PRIORITIES[packet.decision.priority],
            "tags": self.tags_for(packet),
        }
        if (group := self._group(packet)) is not None:
            body["group_id"] = group
        steps = self.steps(packet)
        created = await steps.once(
            "create",
            lambda: self._created_id(self.api.call("POST", "/api/v2/tickets", json_body=body)),
        )
        if not created:
            raise PermanentError("freshdesk POST /api/v2/tickets: the answer has no ticket id")
        await steps.once(
            "note",
            lambda: self.api.call(
                "POST",
                f"/api/v2/tickets/{created}/notes",
                json_body={"body": note, "private": True},
            ),
        )
        return Delivered(external_id=created, detail=f"created ticket {created} with a note")

    @staticmethod
    async def _created_id(call: Any) -> str:
        answer = await call
        return str(answer.get("id", "")) if isinstance(answer, dict) else ""

    # -- inbound -------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        require_equal(self.webhook_secret, header(headers, TOKEN_HEADER), TOKEN_HEADER)

    def parse(self, body: bytes, headers: Mapping[str, str]) -> InboundBatch:
        data = self.load_json(body)
        if not isinstance(data, dict) or not data.get("ticket_id"):
            return self.ignore(None, "no-ticket")
        ticket_id = str(data["ticket_id"])
        ids = {"ticket_id": ticket_id, "requester_id": data.get("requester_id")}
        event = str(data.get("event", "reply"))
        when = parse_time(data.get("updated_at"))
        fingerprint = hashlib.sha256(
            f"{ticket_id}\n{data.get('text', '')}\n{data.get('updated_at', '')}\n{event}".encode()
        ).hexdigest()[:32]
        if event == "status":
            status = RESOLVED.get(str(data.get("status", "")).strip().lower())
            if status is None:
                return self.ignore(None, "status-not-resolved", event)
            return InboundBatch(
                None,
                [
                    self.status(
                        conversation_id=ticket_id,
                        event_id=fingerprint,
                        status=status,
                        sent_at=when,
                        provider_ids=ids,
                    )
                ],
            )
        text = str(data.get("text") or "").strip()
        role = AUTHORS.get(str(data.get("author", "requester")).lower())
        if not text or role is None:
            return self.ignore(None, "no-text" if not text else "unknown-author", event)
        if self.is_bot(data.get("author_id")):
            role = "bot"
        message_id = data.get("message_id") or f"fd-{fingerprint}"
        customer = customer_of(
            data.get("requester_id"), data.get("requester_email"), data.get("requester_name")
        )
        return InboundBatch(
            None,
            [
                self.message(
                    conversation_id=ticket_id,
                    message_id=message_id,
                    author=role,
                    text=text,
                    sent_at=when,
                    channel=str(data.get("channel") or "email"),
                    customer=customer if role == "customer" else None,
                    provider_ids=ids,
                )
            ],
        )


def customer_words(packet: HandoffPacket) -> str:
    """The customer's own recent words as a ticket description (HTML-escaped), or a neutral
    line: never the bot's turns, Rapport's scores, signals or reasons."""
    said = [t.text for t in packet.transcript if t.author == "customer" and t.text.strip()]
    if not said:
        return NEUTRAL_DESCRIPTION
    return "".join(f"<p>{html.escape(' '.join(t.split()))}</p>" for t in said[-3:])
