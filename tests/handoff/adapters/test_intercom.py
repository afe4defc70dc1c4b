"""``intercom`` against a fake Intercom API (bodies checked against the 2.16 OpenAPI spec),
and its signed webhooks."""

from __future__ import annotations

from typing import Any, ClassVar

from rapport_contracts import HandoffPacket
from rapport_handoff.adapters.intercom import IntercomAdapter
from tests.handoff.adapters._sign import hmac_raw
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


def notification(
    topic: str, item: dict[str, Any], notif: str = "notif_ccd8a4d2-0001"
) -> dict[str, Any]:
    return {
        "type": "notification_event",
        "app_id": "abc123",
        "id": notif,
        "topic": topic,
        "delivery_attempts": 1,
        "created_at": 1795687200,
        "data": {"type": "notification_event_data", "item": item},
    }


def conversation(
    parts: list[dict[str, Any]] | None = None, source: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "type": "conversation",
        "id": "215469963462",
        "created_at": 1795687000,
        "updated_at": 1795687200,
        "source": source
        or {
            "type": "conversation",
            "id": "3004617042",
            "delivered_as": "customer_initiated",
            "body": "<p>My invoice is wrong</p>",
            "author": {
                "type": "user",
                "id": "6762f0dd1bb69f9f2193bb7c",
                "name": "Jo",
                "email": "jo@example.com",
            },
        },
        "contacts": {
            "type": "contact.list",
            "contacts": [{"type": "contact", "id": "6762f0dd1bb69f9f2193bb7c"}],
        },
        "admin_assignee_id": None,
        "team_assignee_id": None,
        "conversation_parts": {
            "type": "conversation_part.list",
            "conversation_parts": parts or [],
            "total_count": len(parts or []),
        },
    }


def part(
    part_id: str, author: dict[str, Any], body: str, created: int, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "conversation_part",
        "id": part_id,
        "part_type": "comment",
        "body": body,
        "created_at": created,
        "author": author,
        **extra,
    }


class IntercomConfig:
    adapter_cls = IntercomAdapter
    env: ClassVar[dict[str, str]] = {"IC_TOKEN": "ic-access-token"}
    spec_file: ClassVar[str | None] = "intercom-2.16.yaml"
    expected_ids: ClassVar[tuple[str, ...]] = ("conversation_id",)
    customer_text: ClassVar[str] = "My invoice is wrong"
    customer_identity: ClassVar[dict[str, str]] = {
        "id": "6762f0dd1bb69f9f2193bb7c",
        "email": "jo@example.com",
        "name": "Jo",
    }

    def options(self) -> dict[str, Any]:
        return {
            "access_token": {"env": "IC_TOKEN"},
            "admin_id": "991267",
            "queues": {"billing": "5017691"},
            "tag_ids": ["7522907"],
            "priority_tag_ids": {"high": "7522908"},
            "bot_ids": ["991999"],
        }

    def authorised(self, headers: dict[str, str], path: str, body: bytes) -> bool:
        return (
            headers.get("authorization") == "Bearer ic-access-token"
            and headers.get("intercom-version") == "2.16"
        )

    def expected_calls(self, packet: HandoffPacket) -> list[tuple[str, str]]:
        base = "/conversations/215469963462"
        return [
            ("POST", f"{base}/reply"),
            ("POST", f"{base}/parts"),
            ("POST", f"{base}/tags"),
            ("POST", f"{base}/tags"),
        ]

    def check_bodies(self, fake: FakeVendor, packet: HandoffPacket) -> None:
        note, assign, tag1, tag2 = (r.json() for r in fake.requests)
        assert note["message_type"] == "note" and note["admin_id"] == "991267"
        assert "<b>Why</b>" in note["body"]
        assert assign == {
            "message_type": "assignment",
            "type": "team",
            "admin_id": "991267",
            "assignee_id": "5017691",
        }
        assert [tag1["id"], tag2["id"]] == ["7522907", "7522908"]

    def customer_visible(self, request: Recorded) -> list[str]:
        body = request.json() or {}
        if request.path.endswith("/reply") and body.get("message_type") != "note":
            return [str(body.get("body", ""))]
        if request.path.endswith("/parts"):  # an assignment's body is shown to the customer
            return [str(body.get("body", ""))]
        return []

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        return {"X-Hub-Signature": "sha1=" + hmac_raw(secret, body, "sha1").hex()}

    def customer_sample(self) -> dict[str, Any]:
        return notification("conversation.user.created", conversation())

    def agent_sample(self) -> dict[str, Any]:
        parts = [
            part(
                "101",
                {"type": "user", "id": "6762f0dd1bb69f9f2193bb7c"},
                "<p>hello?</p>",
                1795687100,
            ),
            part(
                "102",
                {"type": "admin", "id": "814860", "name": "Sam"},
                "<p>I can help</p>",
                1795687150,
            ),
        ]
        return notification("conversation.admin.replied", conversation(parts), "notif_2")

    def bot_sample(self) -> dict[str, Any]:
        parts = [
            part(
                "103",
                {"type": "bot", "id": "991999", "name": "Fin"},
                "<p>Try this article</p>",
                1795687160,
            )
        ]
        return notification("conversation.admin.replied", conversation(parts), "notif_3")

    def status_sample(self) -> dict[str, Any]:
        return notification("conversation.admin.closed", conversation(), "notif_4")

    def ignored_sample(self) -> dict[str, Any]:
        # Rapport's own note coming back.
        note = part(
            "104", {"type": "admin", "id": "991267"}, "<h3>Rapport handoff</h3>", 1795687170
        )
        note["part_type"] = "note"
        return notification("conversation.admin.noted", conversation([note]), "notif_5")


def conversation_v1() -> dict[str, Any]:
    """A conversation as API 1.x apps receive it: the first message is
    ``conversation_message`` (``body`` HTML, ``author.type: user``), there is no ``source``."""
    return {
        "type": "conversation",
        "id": "215469963463",
        "created_at": 1795687000,
        "updated_at": 1795687200,
        "user": {"type": "user", "id": "5a1b2c3d4e5f"},
        "assignee": {"type": "nobody_admin", "id": None},
        "conversation_message": {
            "type": "conversation_message",
            "id": "3004617043",
            "subject": "",
            "body": "<p>Hello, my parcel never arrived</p>",
            "author": {"type": "user", "id": "5a1b2c3d4e5f"},
            "attachments": [],
            "url": None,
        },
        "conversation_parts": {"type": "conversation_part.list", "conversation_parts": []},
        "open": True,
        "read": False,
    }


class TestIntercom(
    IntercomConfig,
    SignatureContract,
    ParseContract,
    LoopPreventionContract,
    DedupeContract,
    DeliverContract,
    RetriesContract,
    PrivacyContract,
):
    async def test_the_first_message_of_an_api_1_app_is_read(self, make: Any) -> None:
        import json

        adapter = make()
        body = json.dumps(notification("conversation.user.created", conversation_v1())).encode()
        [event] = adapter.parse(body, self.sign(body, "x")).events
        message = event.message
        assert (message.message_id, message.author) == ("3004617043", "customer")
        assert message.text == "Hello, my parcel never arrived"
        assert message.customer is not None and message.customer.id == "5a1b2c3d4e5f"

    async def test_the_newest_customer_part_is_the_message(self, make: Any) -> None:
        import json

        adapter = make()
        parts = [
            part("201", {"type": "lead", "id": "l1"}, "<p>first</p>", 1795687100),
            part("202", {"type": "lead", "id": "l1"}, "<p>second &amp; last</p>", 1795687190),
        ]
        body = json.dumps(notification("conversation.user.replied", conversation(parts))).encode()
        [event] = adapter.parse(body, self.sign(body, "x")).events
        assert (event.message.message_id, event.message.text) == ("202", "second & last")
