"""``zammad``: Zammad tickets (open source, self-hosted or cloud).

Inbound: a Trigger with a Webhook action. With an HMAC token set on the webhook, Zammad sends
``X-Hub-Signature: sha1=<hex HMAC-SHA1(token, raw body)>`` and ``X-Zammad-Delivery`` (the
same id across its retries, used for dedupe); messages are deduped on ``article.id``.
``article.sender`` ``Customer`` -> customer, ``Agent`` -> agent (``bot_ids`` -> bot);
internal articles and ``System`` are ignored; an empty article on a ``closed`` ticket is a
resolution.

Outbound: ONE ``PUT /api/v1/tickets/{id}`` with ``priority``, ``group`` and an ``article``
(``type: note``, ``internal: true``: the note), then ``POST /api/v1/tags/add`` per tag (Zammad
adds tags one at a time; existing tags stay).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, ClassVar

from pydantic import Field

from rapport_contracts import Author, HandoffPacket
from rapport_handoff.adapters._html import html_text
from rapport_handoff.adapters._note import render_note
from rapport_handoff.adapters._payload import customer_of
from rapport_handoff.adapters._signatures import header, hmac_digest, require_equal
from rapport_handoff.adapters._time import parse_time
from rapport_handoff.adapters._vendor import VendorAdapter, VendorOptions
from rapport_handoff.adapters.base import Delivered, InboundBatch
from rapport_runtime.config import SecretRef

SIGNATURE = "X-Hub-Signature"
DELIVERY = "X-Zammad-Delivery"
TRIGGER = "X-Zammad-Trigger"
# Zammad ships three priorities; "urgent" maps to the highest unless configured otherwise.
PRIORITIES = {"low": "1 low", "normal": "2 normal", "high": "3 high", "urgent": "3 high"}
RESOLVED = {"closed": "closed", "solved": "solved"}
SENDERS: dict[str, Author] = {"customer": "customer", "agent": "agent"}


class ZammadOptions(VendorOptions):
    api_token: SecretRef = Field(description="A Zammad access token (ticket.agent permission).")
    priorities: dict[str, str] = Field(
        default_factory=lambda: dict(PRIORITIES),
        description="Rapport priority -> Zammad priority name.",
    )


class ZammadAdapter(VendorAdapter):
    name: ClassVar[str] = "zammad"
    description: ClassVar[str] = (
        "Zammad: one ticket PUT with internal note, priority and group; tags added."
    )
    supports: ClassVar[tuple[str, ...]] = ("note", "priority", "team", "tags")
    Options = ZammadOptions
    secrets = ("api_token",)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Token token={self.secret_values['api_token']}"}

    # -- outbound ------------------------------------------------------------------------

    def ticket_update(self, packet: HandoffPacket) -> dict[str, Any]:
        body: dict[str, Any] = {
            "priority": self.options.priorities.get(
                packet.decision.priority, PRIORITIES[packet.decision.priority]
            ),
            "article": {
                "subject": "Rapport handoff",
                "body": render_note(packet, "html"),
                "content_type": "text/html",
                "type": "note",
                "internal": True,
            },
        }
        if (group := self.team_for(packet)) is not None:
            body["group"] = group
        return body

    async def deliver(self, packet: HandoffPacket) -> Delivered:
        ticket = self.need_id(packet, "ticket_id")
        steps = self.steps(packet)
        body = self.ticket_update(packet)
        await steps.once(
            "update", lambda: self.api.call("PUT", f"/api/v1/tickets/{ticket}", json_body=body)
        )
        for tag in self.tags_for(packet):
            await steps.once(
                f"tag:{tag}",
                partial(
                    self.api.call,
                    "POST",
                    "/api/v1/tags/add",
                    json_body={"item": tag, "object": "Ticket", "o_id": _int(ticket)},
                ),
            )
        return Delivered(external_id=ticket, detail=f"updated ticket {ticket}")

    # -- inbound -------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        expected = "sha1=" + hmac_digest(self.webhook_secret, body, "sha1").hex()
        require_equal(expected, header(headers, SIGNATURE), SIGNATURE)

    def parse(self, body: bytes, headers: Mapping[str, str]) -> InboundBatch:
        data = self.load_json(body)
        delivery = header(headers, DELIVERY)
        trigger = header(headers, TRIGGER)
        if not isinstance(data, dict):
            return self.ignore(delivery, "not-an-object", trigger)
        ticket = data.get("ticket") or {}
        article = data.get("article") or {}
        ticket_id = ticket.get("id") if isinstance(ticket, dict) else None
        if not ticket_id:
            return self.ignore(delivery, "no-ticket", trigger)
        customer_data: dict[str, Any] = (
            ticket["customer"] if isinstance(ticket.get("customer"), dict) else {}
        )
        ids = {
            "ticket_id": ticket_id,
            "ticket_number": ticket.get("number"),
            "customer_id": ticket.get("customer_id"),
        }
        if not isinstance(article, dict) or not article.get("id"):
            state = ticket.get("state")
            name = str(state.get("name") if isinstance(state, dict) else state or "").lower()
            if name in RESOLVED:
                event = self.status(
                    conversation_id=ticket_id,
                    event_id=f"{ticket_id}-{name}-{ticket.get('updated_at')}",
                    status=RESOLVED[name],
                    sent_at=parse_time(ticket.get("updated_at")),
                    provider_ids=ids,
                )
                return InboundBatch(delivery, [event])
            return self.ignore(delivery, "no-article", trigger)
        if article.get("internal"):
            return self.ignore(delivery, "internal-note", trigger)
        sender = article.get("sender")
        sender_name = str(sender.get("name") if isinstance(sender, dict) else sender or "")
        role = SENDERS.get(sender_name.lower())
        if role is not None and self.is_bot(article.get("created_by_id")):
            role = "bot"
        text = html_text(article.get("body"))
        if role is None or not text:
            return self.ignore(
                delivery, "no-text" if role else f"sender-{sender_name or 'none'}", trigger
            )
        customer = None
        if role == "customer":
            customer = customer_of(
                ticket.get("customer_id"),
                customer_data.get("email"),
                " ".join(
                    str(x)
                    for x in (customer_data.get("firstname"), customer_data.get("lastname"))
                    if x
                ),
            )
        article_type = article.get("type")
        channel = article_type.get("name") if isinstance(article_type, dict) else article_type
        return InboundBatch(
            delivery,
            [
                self.message(
                    conversation_id=ticket_id,
                    message_id=article["id"],
                    author=role,
                    text=text,
                    sent_at=parse_time(article.get("created_at")),
                    channel=str(channel or "web"),
                    customer=customer,
                    provider_ids={**ids, "article_id": article["id"]},
                )
            ],
        )


def _int(value: str) -> int | str:
    return int(value) if value.isdigit() else value
