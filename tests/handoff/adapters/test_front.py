"""``front`` against a fake Front API (bodies checked against the Core API OpenAPI spec), and
its signed application webhooks."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rapport_contracts import HandoffPacket
from rapport_handoff.adapters.front import FrontAdapter
from tests.handoff.adapters._sign import b64, hmac_raw, now_ms
from tests.handoff.adapters.contract import (
    WEBHOOK_SECRET,
    DedupeContract,
    DeliverContract,
    LoopPreventionContract,
    ParseContract,
    PrivacyContract,
    RetriesContract,
    SignatureContract,
)
from tests.handoff.adapters.fake import FakeVendor, Recorded

BASE = "/conversations/cnv_55c8c149"


def envelope(event: dict[str, Any]) -> dict[str, Any]:
    """What a Front application webhook POSTs (dev.frontapp.com/docs/application-webhooks):
    the event type, the company that authorised the app, and the event as ``payload``."""
    return {"type": event["type"], "authorization": {"id": "cmp_3f4a2b"}, "payload": event}


def event(kind: str, message: dict[str, Any] | None, event_id: str = "evt_1") -> dict[str, Any]:
    # An Event as the Core API documents it (EventResponse in front-core-api.json).
    body: dict[str, Any] = {
        "_links": {"self": f"https://api2.frontapp.com/events/{event_id}"},
        "id": event_id,
        "type": kind,
        "emitted_at": 1795687200.5,
        "conversation": {
            "id": "cnv_55c8c149",
            "subject": "Invoice",
            "status": "unassigned",
            "tags": [],
        },
        "source": {"_meta": {"type": "inboxes"}, "data": [{"id": "inb_55c8c149"}]},
    }
    if message is not None:
        body["target"] = {"_meta": {"type": "message"}, "data": message}
    return body


def message(message_id: str, *, inbound: bool, author: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "_links": {"self": f"https://api2.frontapp.com/messages/{message_id}"},
        "id": message_id,
        "type": "email",
        "is_inbound": inbound,
        "created_at": 1795687200.0,
        "blurb": "My invoice is wrong",
        "author": author,
        "recipients": [
            {
                "_links": {"related": {"contact": "https://api2.frontapp.com/contacts/crd_123"}},
                "name": "Jo",
                "handle": "jo@example.com",
                "role": "from",
            }
        ],
        "body": "<p>My invoice is wrong, I want a person</p>",
        "text": "My invoice is wrong, I want a person",
    }


class FrontConfig:
    adapter_cls = FrontAdapter
    env: ClassVar[dict[str, str]] = {"FRONT_TOKEN": "front-token"}
    spec_file: ClassVar[str | None] = "front-core-api.json"
    timestamped: ClassVar[bool] = True
    expected_ids: ClassVar[tuple[str, ...]] = ("conversation_id",)
    customer_text: ClassVar[str] = "My invoice is wrong, I want a person"
    customer_identity: ClassVar[dict[str, str]] = {
        "id": "crd_123",
        "email": "jo@example.com",
        "name": "Jo",
    }

    def options(self) -> dict[str, Any]:
        return {
            "api_token": {"env": "FRONT_TOKEN"},
            "queues": {"billing": "inb_billing"},
            "tag_ids": ["tag_handoff"],
            "priority_tag_ids": {"high": "tag_high"},
            "author_id": "tea_rapport",
            "bot_ids": ["tea_bot"],
        }

    def authorised(self, headers: dict[str, str], path: str, body: bytes) -> bool:
        return headers.get("authorization") == "Bearer front-token"

    def expected_calls(self, packet: HandoffPacket) -> list[tuple[str, str]]:
        return [("POST", f"{BASE}/comments"), ("PATCH", BASE), ("POST", f"{BASE}/tags")]

    def check_bodies(self, fake: FakeVendor, packet: HandoffPacket) -> None:
        comment, move, tags = (r.json() for r in fake.requests)
        assert comment["author_id"] == "tea_rapport" and "**Why**" in comment["body"]
        assert move == {"inbox_id": "inb_billing"}
        assert tags == {"tag_ids": ["tag_handoff", "tag_high"]}

    def customer_visible(self, request: Recorded) -> list[str]:
        # Comments are internal; only a reply (POST /conversations/{id}/messages) is seen.
        body = request.json() or {}
        return [str(body.get("body", ""))] if request.path.endswith("/messages") else []

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        ts = now_ms()
        return {
            "X-Front-Signature": b64(hmac_raw(secret, ts.encode() + b":" + body, "sha256")),
            "X-Front-Request-Timestamp": ts,
        }

    def customer_sample(self) -> dict[str, Any]:
        return envelope(event("inbound", message("msg_1", inbound=True, author=None)))

    def agent_sample(self) -> dict[str, Any]:
        return envelope(
            event(
                "outbound",
                message("msg_2", inbound=False, author={"id": "tea_sam", "email": "sam@acme.test"}),
                "evt_2",
            )
        )

    def bot_sample(self) -> dict[str, Any]:
        return envelope(
            event("out_reply", message("msg_3", inbound=False, author={"id": "tea_bot"}), "evt_3")
        )

    def status_sample(self) -> dict[str, Any]:
        return envelope(event("archive", None, "evt_4"))

    def ignored_sample(self) -> dict[str, Any]:
        # Rapport's own internal comment, echoed back as a `comment` event.
        comment = {"_meta": {"type": "comment"}, "data": {"id": "com_1", "body": "Rapport handoff"}}
        return envelope({**event("comment", None, "evt_5"), "target": comment})


class TestFront(
    FrontConfig,
    SignatureContract,
    ParseContract,
    LoopPreventionContract,
    DedupeContract,
    DeliverContract,
    RetriesContract,
    PrivacyContract,
):
    async def test_the_sync_challenge_is_answered_after_verification(self, make: Any) -> None:
        adapter = make()
        body = json.dumps({"type": "sync", "authorization": {"id": "cmp_abc"}}).encode()
        headers = {**self.sign(body, WEBHOOK_SECRET), "X-Front-Challenge": "c-123"}
        adapter.verify(headers, body)
        assert adapter.parse(body, headers).reply == {"challenge": "c-123"}

    async def test_the_bare_event_of_a_rule_webhook_is_read_too(self, make: Any) -> None:
        adapter = make()
        body = json.dumps(event("inbound", message("msg_9", inbound=True, author=None))).encode()
        [got] = adapter.parse(body, self.sign(body, WEBHOOK_SECRET)).events
        assert (got.message.message_id, got.message.author) == ("msg_9", "customer")

    async def test_the_envelope_is_what_the_delivery_id_comes_from(self, make: Any) -> None:
        adapter = make()
        body, headers = self.signed("customer")
        assert adapter.parse(body, headers).delivery_id == "evt_1"
