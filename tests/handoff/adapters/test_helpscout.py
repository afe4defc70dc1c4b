"""``helpscout`` against a fake Help Scout Mailbox API 2.0 (OAuth2 client credentials), and
its signed webhooks."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import parse_qs

from rapport_contracts import HandoffPacket
from rapport_handoff.adapters.helpscout import HelpscoutAdapter
from tests.handoff.adapters._sign import b64, hmac_raw
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

BASE = "/v2/conversations/1001"


def convo(threads: list[dict[str, Any]], status: str = "active") -> dict[str, Any]:
    # The v2 Conversation object Help Scout posts.
    return {
        "id": 1001,
        "number": 3,
        "type": "email",
        "status": status,
        "mailboxId": 85,
        "subject": "Invoice",
        "primaryCustomer": {"id": 501, "email": "jo@example.com", "first": "Jo", "last": "Doe"},
        "source": {"type": "email", "via": "customer"},
        "closedAt": "2026-11-26T11:00:00Z" if status == "closed" else None,
        "_embedded": {"threads": threads},
    }


def thread(thread_id: int, kind: str, by: dict[str, Any], created: str) -> dict[str, Any]:
    return {
        "id": thread_id,
        "type": kind,
        "body": "<p>My invoice is wrong</p>",
        "createdBy": by,
        "createdAt": created,
    }


EVENTS = {
    "customer": "convo.customer.reply.created",
    "agent": "convo.agent.reply.created",
    "bot": "convo.agent.reply.created",
    "status": "convo.status",
    "ignored": "convo.note.created",
}


class HelpscoutConfig:
    adapter_cls = HelpscoutAdapter
    env: ClassVar[dict[str, str]] = {"HS_SECRET": "hs-app-secret"}
    expected_ids: ClassVar[tuple[str, ...]] = ("conversation_id",)
    customer_text: ClassVar[str] = "My invoice is wrong"
    customer_identity: ClassVar[dict[str, str]] = {
        "id": "501",
        "email": "jo@example.com",
        "name": "Jo Doe",
    }

    def options(self) -> dict[str, Any]:
        return {
            "app_id": "hs-app-id",
            "app_secret": {"env": "HS_SECRET"},
            "queues": {"billing": "86"},
            "bot_ids": ["9"],
        }

    def answers(self) -> dict[tuple[str, str], Any]:
        return {
            ("POST", "/v2/oauth2/token"): {
                "token_type": "bearer",
                "access_token": "hs-access",
                "expires_in": 7200,
            },
            ("GET", BASE): {"id": 1001, "tags": [{"id": 1, "tag": "vip", "color": "#fff"}]},
        }

    def authorised(self, headers: dict[str, str], path: str, body: bytes) -> bool:
        if path == "/v2/oauth2/token":
            form = parse_qs(body.decode())
            return form == {
                "grant_type": ["client_credentials"],
                "client_id": ["hs-app-id"],
                "client_secret": ["hs-app-secret"],
            }
        return headers.get("authorization") == "Bearer hs-access"

    def expected_calls(self, packet: HandoffPacket) -> list[tuple[str, str]]:
        return [
            ("POST", "/v2/oauth2/token"),
            ("POST", f"{BASE}/notes"),
            ("PATCH", BASE),
            ("GET", BASE),
            ("PUT", f"{BASE}/tags"),
        ]

    def check_bodies(self, fake: FakeVendor, packet: HandoffPacket) -> None:
        _, note, move, _, tags = fake.requests
        assert "Summary" in note.json()["text"]
        assert move.json() == {"op": "move", "path": "/mailboxId", "value": 86}
        assert tags.json() == {
            "tags": ["vip", "rapport-handoff", "rapport-queue-billing", "priority-high"]
        }

    def customer_visible(self, request: Recorded) -> list[str]:
        # Notes are internal; a reply thread is what the customer gets by e-mail.
        body = request.json() if request.body and request.path != "/v2/oauth2/token" else None
        if isinstance(body, dict) and request.path.endswith("/reply"):
            return [str(body.get("text", ""))]
        return []

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        return {"X-HelpScout-Signature": b64(hmac_raw(secret, body, "sha1"))}

    def sample_headers(self, name: str) -> dict[str, str]:
        return {"X-HelpScout-Event": EVENTS[name]}

    def customer_sample(self) -> dict[str, Any]:
        return convo(
            [
                thread(
                    1,
                    "customer",
                    {"id": 501, "type": "customer", "email": "jo@example.com"},
                    "2026-11-26T09:00:00Z",
                ),
                thread(2, "customer", {"id": 501, "type": "customer"}, "2026-11-26T10:00:00Z"),
                thread(3, "note", {"id": 7, "type": "user"}, "2026-11-26T10:30:00Z"),
            ]
        )

    def agent_sample(self) -> dict[str, Any]:
        return convo([thread(4, "message", {"id": 7, "type": "user"}, "2026-11-26T10:40:00Z")])

    def bot_sample(self) -> dict[str, Any]:
        return convo([thread(5, "message", {"id": 9, "type": "user"}, "2026-11-26T10:41:00Z")])

    def status_sample(self) -> dict[str, Any]:
        return convo([], status="closed")

    def ignored_sample(self) -> dict[str, Any]:
        # convo.note.created for Rapport's own note.
        return convo([thread(6, "note", {"id": 7, "type": "user"}, "2026-11-26T10:42:00Z")])


class TestHelpscout(
    HelpscoutConfig,
    SignatureContract,
    ParseContract,
    LoopPreventionContract,
    DedupeContract,
    DeliverContract,
    RetriesContract,
    PrivacyContract,
):
    async def test_the_newest_customer_thread_is_the_message(self, make: Any) -> None:
        adapter = make()
        body, headers = self.signed("customer")
        [event] = adapter.parse(body, headers).events
        assert event.message.message_id == "2"
