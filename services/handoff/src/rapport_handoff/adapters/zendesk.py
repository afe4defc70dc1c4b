"""``zendesk``: Zendesk Support tickets.

Inbound: event-subscription webhooks (``zen:event-type:ticket.comment_added``,
``ticket.status_changed``, ``ticket.tags_changed``: a ``rapport-unneeded-escalation`` or
``rapport-missed-escalation`` tag on the ticket, read from ``detail.tags`` of any ticket event,
is feedback on Rapport's decision) signed with ``X-Zendesk-Webhook-Signature`` =
base64(HMAC-SHA256(signing secret, timestamp + raw body)) and
``X-Zendesk-Webhook-Signature-Timestamp``; deliveries deduped on
``X-Zendesk-Webhook-Invocation-Id`` (else the event ``id``), messages on the comment id.
Admin Center's "Test webhook" signs with Zendesk's published static test secret
(``TEST_SIGNING_SECRET``), not the webhook's own: such a delivery (fresh timestamp, body signed
with that secret only) is answered 204 and produces no event, so the button works and nothing
signed with a public secret ever becomes a message.

Outbound: ONE ``PUT /api/v2/tickets/{id}.json`` carrying the private note
(``comment.public: false``), ``priority``, ``group_id`` and ``additional_tags`` (which appends;
``tags`` would replace). Without a ticket id, one ``POST /api/v2/tickets.json`` with
``Idempotency-Key: <handoff_id>`` creates the ticket instead, with a neutral subject and the
note as its first, private comment (``public: false``).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from pydantic import Field

from rapport_contracts import Author, HandoffPacket
from rapport_handoff.adapters._note import render_note
from rapport_handoff.adapters._payload import customer_of, dig
from rapport_handoff.adapters._signatures import (
    b64,
    header,
    hmac_digest,
    matches,
    require_equal,
    require_fresh,
)
from rapport_handoff.adapters._time import parse_time
from rapport_handoff.adapters._vendor import VendorAdapter, VendorOptions
from rapport_handoff.adapters.base import Delivered, InboundBatch, InboundEvent
from rapport_runtime.config import SecretRef

PRIORITIES = {"low": "low", "normal": "normal", "high": "high", "urgent": "urgent"}
SIGNATURE = "X-Zendesk-Webhook-Signature"
TIMESTAMP = "X-Zendesk-Webhook-Signature-Timestamp"
INVOCATION = "X-Zendesk-Webhook-Invocation-Id"
RESOLVED = {"solved", "closed"}
# The static secret Zendesk signs "Test webhook" requests with (developer.zendesk.com,
# "Verifying webhook authenticity"): public, so it only ever earns a 204.
TEST_SIGNING_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="  # noqa: S105
NEUTRAL_SUBJECT = "Your conversation with our support team"


class ZendeskOptions(VendorOptions):
    email: str = Field(min_length=3, description="The API user's e-mail (token auth).")
    api_token: SecretRef = Field(description="A Zendesk API token.")


class ZendeskAdapter(VendorAdapter):
    name: ClassVar[str] = "zendesk"
    description: ClassVar[str] = (
        "Zendesk Support: one ticket PUT with private note, priority, group, added tags."
    )
    supports: ClassVar[tuple[str, ...]] = ("note", "priority", "team", "tags", "create")
    Options = ZendeskOptions
    secrets = ("api_token",)

    def auth_headers(self) -> dict[str, str]:
        raw = f"{self.options.email}/token:{self.secret_values['api_token']}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    # -- outbound ------------------------------------------------------------------------

    def ticket_update(self, packet: HandoffPacket) -> dict[str, Any]:
        ticket: dict[str, Any] = {
            "comment": {"html_body": render_note(packet, "html"), "public": False},
            "priority": PRIORITIES[packet.decision.priority],
            "additional_tags": self.tags_for(packet),
        }
        if (group := self.team_for(packet)) is not None:
            ticket["group_id"] = int(group) if group.isdigit() else group
        return ticket

    async def deliver(self, packet: HandoffPacket) -> Delivered:
        ticket = self.ticket_update(packet)
        ticket_id = packet.provider_ids.get("ticket_id")
        if ticket_id:
            await self.steps(packet).once(
                "update",
                lambda: self.api.call(
                    "PUT", f"/api/v2/tickets/{ticket_id}.json", json_body={"ticket": ticket}
                ),
            )
            return Delivered(external_id=ticket_id, detail=f"updated ticket {ticket_id}")
        customer = packet.customer
        ticket["subject"] = NEUTRAL_SUBJECT  # the requester reads the subject
        ticket["tags"] = ticket.pop("additional_tags")  # a new ticket has no tags to keep
        if customer is not None and customer.email:
            ticket["requester"] = {"email": customer.email, "name": customer.name or customer.email}
        answer = await self.api.call(
            "POST",
            "/api/v2/tickets.json",
            json_body={"ticket": ticket},
            headers={"Idempotency-Key": packet.handoff_id},
        )
        created = str(dig(answer, "ticket", "id") or "")
        return Delivered(external_id=created or None, detail=f"created ticket {created}")

    # -- inbound -------------------------------------------------------------------------

    def _signature(self, secret: str, timestamp: str, body: bytes) -> str:
        return b64(hmac_digest(secret, timestamp.encode() + body, "sha256"))

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        timestamp = require_fresh(
            header(headers, TIMESTAMP), TIMESTAMP, self.options.signature_tolerance_s, self.now()
        )
        if self.is_test_delivery(headers, body):
            return
        require_equal(
            self._signature(self.webhook_secret, timestamp, body),
            header(headers, SIGNATURE),
            SIGNATURE,
        )

    def is_test_delivery(self, headers: Mapping[str, str], body: bytes) -> bool:
        """Signed with Zendesk's static test secret and not with the webhook's own."""
        timestamp, given = header(headers, TIMESTAMP) or "", header(headers, SIGNATURE)
        if matches(self._signature(self.webhook_secret, timestamp, body), given):
            return False
        return matches(self._signature(TEST_SIGNING_SECRET, timestamp, body), given)

    def parse(self, body: bytes, headers: Mapping[str, str]) -> InboundBatch:
        if self.is_test_delivery(headers, body):
            return self.ignore(header(headers, INVOCATION), "test-webhook", "test")
        data = self.load_json(body)
        delivery = header(headers, INVOCATION) or (
            str(data.get("id")) if isinstance(data, dict) and data.get("id") else None
        )
        if not isinstance(data, dict):
            return self.ignore(delivery, "not-an-object")
        kind = str(data.get("type", ""))
        ticket_id = dig(data, "detail", "id")
        ids = {"ticket_id": ticket_id, "requester_id": dig(data, "detail", "requester_id")}
        when = parse_time(data.get("time"))
        events: list[InboundEvent] = []
        # Every ticket event's `detail` carries the ticket's tags; `ticket.tags_changed` also
        # lists the ones just added. A feedback tag becomes a Feedback event (issue 16).
        tags = [
            tag
            for found in (dig(data, "detail", "tags"), dig(data, "event", "tags_added"))
            if isinstance(found, list)
            for tag in found
        ]
        feedback = self.feedback_tags(ticket_id, tags, dig(data, "detail", "actor_id"))
        if kind == "zen:event-type:ticket.comment_added":
            comment = dig(data, "event", "comment") or {}
            if not comment.get("is_public", False):
                # internal notes, including Rapport's own
                return replace(self.ignore(delivery, "internal-note", kind), feedback=feedback)
            author = comment.get("author") or {}
            author_id = author.get("id")
            role: Author
            if self.is_bot(author_id):
                role = "bot"
            elif author.get("is_staff"):
                role = "agent"
            else:
                role = "customer"
            events.append(
                self.message(
                    conversation_id=ticket_id,
                    message_id=comment.get("id"),
                    author=role,
                    text=str(comment.get("body") or ""),
                    sent_at=when,
                    channel=dig(data, "detail", "via", "channel"),
                    customer=customer_of(dig(data, "detail", "requester_id"))
                    if role == "customer"
                    else None,
                    provider_ids={**ids, "comment_id": comment.get("id")},
                )
            )
        elif kind == "zen:event-type:ticket.status_changed":
            status = str(dig(data, "event", "current") or dig(data, "detail", "status") or "")
            if status.lower() in RESOLVED:
                events.append(
                    self.status(
                        conversation_id=ticket_id,
                        event_id=data.get("id") or delivery,
                        status=status.lower(),
                        sent_at=when,
                        provider_ids=ids,
                    )
                )
        if not events:
            reason = "feedback-tag" if feedback else "not-a-message"
            return replace(self.ignore(delivery, reason, kind), feedback=feedback)
        return InboundBatch(delivery, events, feedback=feedback)
