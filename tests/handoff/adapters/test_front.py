"""``front`` against a fake Front API (bodies checked against the Core API OpenAPI spec), and
its signed application webhooks."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rapport_contracts import HandoffPacket
from rapport_handoff.adapters.front import FrontAdapter
from tests.handoff.adapters._sign import b64, hmac_raw, now_ms
from tests.handoff.adapters.contract import WEBHOOK_SECRET, AdapterContract
from tests.handoff.adapters.fake import FakeVendor

BASE = "/conversations/cnv_55c8c149"


def event(kind: str, message: dict[str, Any] | None, event_id: str = "evt_1") -> dict[str, Any]:
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

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        ts = now_ms()
        return {
            "X-Front-Signature": b64(hmac_raw(secret, ts.encode() + b":" + body, "sha256")),
            "X-Front-Request-Timestamp": ts,
        }

    def customer_sample(self) -> dict[str, Any]:
        return event("inbound", message("msg_1", inbound=True, author=None))

    def agent_sample(self) -> dict[str, Any]:
        return event(
            "outbound",
            message("msg_2", inbound=False, author={"id": "tea_sam", "email": "sam@acme.test"}),
            "evt_2",
        )

    def bot_sample(self) -> dict[str, Any]:
        return event(
            "out_reply", message("msg_3", inbound=False, author={"id": "tea_bot"}), "evt_3"
        )

    def status_sample(self) -> dict[str, Any]:
        return event("archive", None, "evt_4")

    def ignored_sample(self) -> dict[str, Any]:
        return event("tag", None, "evt_5")


class TestFront(FrontConfig, AdapterContract):
    async def test_the_sync_challenge_is_answered_after_verification(self, make: Any) -> None:
        adapter = make()
        body = json.dumps({"type": "sync", "authorization": {"id": "cmp_abc"}}).encode()
        headers = {**self.sign(body, WEBHOOK_SECRET), "X-Front-Challenge": "c-123"}
        adapter.verify(headers, body)
        assert adapter.parse(body, headers).reply == {"challenge": "c-123"}
