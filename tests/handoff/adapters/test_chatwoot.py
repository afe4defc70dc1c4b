"""``chatwoot`` against a fake Chatwoot API, and its signed webhooks (v4.11.2+ scheme).

Samples follow Chatwoot's published webhook payloads (chatwoot.com/hc "How to use webhooks":
``created_at`` as ``"2020-03-03 13:05:57 UTC"``; the contact object ``{id, name, avatar, type:
"contact", account}`` without e-mail, which is in ``conversation.meta.sender``) and
``Message#webhook_data`` (``sender``, ``contact``, ``conversation``, ``account``, ``inbox``).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rapport_contracts import HandoffPacket
from rapport_handoff.adapters.chatwoot import ChatwootAdapter
from tests.handoff.adapters._sign import hmac_raw, now_s
from tests.handoff.adapters.contract import (
    DedupeContract,
    DeliverContract,
    LoopPreventionContract,
    ParseContract,
    PrivacyContract,
    RetriesContract,
    SignatureContract,
)
from tests.handoff.adapters.fake import FakeVendor, Recorded

CONTACT = {
    "id": 7,
    "name": "Jo",
    "avatar": "",
    "type": "contact",
    "account": {"id": 1, "name": "Acme"},
}

BASE = "/api/v1/accounts/1/conversations/42"


def message_created(
    message_id: int, message_type: str, sender: dict[str, Any], *, private: bool = False
) -> dict[str, Any]:
    # Shaped like Chatwoot's message_created webhook (Message#webhook_data).
    return {
        "event": "message_created",
        "id": message_id,
        "content": "I was charged twice and want a refund",
        "content_type": "text",
        "message_type": message_type,
        "private": private,
        "created_at": "2026-11-26 10:00:00 UTC",
        "sender": sender,
        "account": {"id": 1, "name": "Acme"},
        "inbox": {"id": 3, "name": "Website"},
        "conversation": {
            "id": 42,
            "display_id": 42,
            "inbox_id": 3,
            "status": "pending",
            "channel": "Channel::WebWidget",
            "meta": {
                "sender": {"id": 7, "name": "Jo", "email": "jo@example.com", "type": "contact"}
            },
        },
    }


class ChatwootConfig:
    adapter_cls = ChatwootAdapter
    env: ClassVar[dict[str, str]] = {"CW_TOKEN": "cw-token"}
    timestamped: ClassVar[bool] = True
    expected_ids: ClassVar[tuple[str, ...]] = ("conversation_id", "account_id", "contact_id")
    customer_text: ClassVar[str] = "I was charged twice and want a refund"
    customer_identity: ClassVar[dict[str, str]] = {
        "id": "7",
        "email": "jo@example.com",
        "name": "Jo",
    }

    def options(self) -> dict[str, Any]:
        return {
            "api_access_token": {"env": "CW_TOKEN"},
            "account_id": 1,
            "queues": {"billing": "4"},
            "bot_ids": ["99"],
        }

    def answers(self) -> dict[tuple[str, str], Any]:
        return {("GET", f"{BASE}/labels"): {"payload": ["vip"]}}

    def authorised(self, headers: dict[str, str], path: str, body: bytes) -> bool:
        return headers.get("api_access_token") == "cw-token"

    def expected_calls(self, packet: HandoffPacket) -> list[tuple[str, str]]:
        return [
            ("POST", f"{BASE}/messages"),
            ("POST", f"{BASE}/toggle_status"),
            ("POST", f"{BASE}/assignments"),
            ("POST", f"{BASE}/toggle_priority"),
            ("GET", f"{BASE}/labels"),
            ("POST", f"{BASE}/labels"),
        ]

    def check_bodies(self, fake: FakeVendor, packet: HandoffPacket) -> None:
        note, status, team, priority, _, labels = (r.json() for r in fake.requests)
        assert note["private"] is True and note["message_type"] == "outgoing"
        assert note["content"].startswith("### Rapport handoff")
        assert status == {"status": "open"}
        assert team == {"team_id": 4}
        assert priority == {"priority": "high"}
        assert labels == {"labels": ["vip", "rapport-handoff", "rapport-queue-billing"]}

    def customer_visible(self, request: Recorded) -> list[str]:
        body = request.json() or {}
        if request.path.endswith("/messages") and body.get("private") is not True:
            return [str(body.get("content", ""))]
        return []

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        ts = now_s()
        digest = hmac_raw(secret, ts.encode() + b"." + body, "sha256").hex()
        return {
            "X-Chatwoot-Signature": f"sha256={digest}",
            "X-Chatwoot-Timestamp": ts,
            "X-Chatwoot-Delivery": "b7b6c1e0",
        }

    def customer_sample(self) -> dict[str, Any]:
        return message_created(1001, "incoming", CONTACT)

    def agent_sample(self) -> dict[str, Any]:
        return message_created(1002, "outgoing", {"id": 5, "name": "Sam", "type": "user"})

    def bot_sample(self) -> dict[str, Any]:
        return message_created(1003, "outgoing", {"id": 2, "name": "Helper", "type": "agent_bot"})

    def status_sample(self) -> dict[str, Any]:
        return {
            "event": "conversation_status_changed",
            "id": 42,
            "display_id": 42,
            "status": "resolved",
            "inbox_id": 3,
            "account": {"id": 1},
        }

    def ignored_sample(self) -> dict[str, Any]:
        # A private note (Rapport's own handoff note comes back like this).
        return message_created(1004, "outgoing", {"id": 5, "type": "user"}, private=True)


class TestChatwoot(
    ChatwootConfig,
    SignatureContract,
    ParseContract,
    LoopPreventionContract,
    DedupeContract,
    DeliverContract,
    RetriesContract,
    PrivacyContract,
):
    async def test_the_message_time_in_rails_format_is_kept(self, make: Any) -> None:
        adapter = make()
        body, headers = self.signed("customer")
        [event] = adapter.parse(body, headers).events
        assert event.message.sent_at.isoformat() == "2026-11-26T10:00:00+00:00"

    async def test_an_older_release_puts_the_customer_in_contact_not_sender(
        self, make: Any
    ) -> None:
        # Message#webhook_data before polymorphic senders: `sender` is the agent (null for a
        # customer's message) and the customer is `contact`.
        adapter = make()
        data = {**message_created(1005, "incoming", {}), "sender": None, "contact": CONTACT}
        data["conversation"] = {**data["conversation"], "meta": {}}
        body = json.dumps(data).encode()
        [event] = adapter.parse(body, self.sign(body, "x")).events
        assert event.message.customer is not None
        assert (event.message.customer.id, event.message.customer.name) == ("7", "Jo")
