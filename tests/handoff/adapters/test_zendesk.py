"""``zendesk`` against a fake Zendesk Support API, and its signed webhooks."""

from __future__ import annotations

from typing import Any, ClassVar

from rapport_contracts import HandoffPacket
from rapport_handoff.adapters.zendesk import ZendeskAdapter
from tests.handoff.adapters._sign import b64, basic, hmac_raw, now_iso
from tests.handoff.adapters.contract import (
    DedupeContract,
    DeliverContract,
    LoopPreventionContract,
    ParseContract,
    PrivacyContract,
    RetriesContract,
    SignatureContract,
    make_packet,
)
from tests.handoff.adapters.fake import FakeVendor, Recorded


def comment_added(
    author: dict[str, Any], *, public: bool = True, comment_id: str = "9876543210"
) -> dict[str, Any]:
    # Shaped like the documented zen:event-type:ticket.comment_added example.
    return {
        "type": "zen:event-type:ticket.comment_added",
        "account_id": 22129848,
        "id": f"d4f5c389-0000-4000-8000-{comment_id[-12:].zfill(12)}",
        "time": "2026-11-26T10:00:00.123456789Z",
        "zendesk_event_version": "2022-11-06",
        "subject": "zen:ticket:5158",
        "detail": {
            "id": "5158",
            "requester_id": "8447388090494",
            "priority": "NORMAL",
            "status": "OPEN",
            "group_id": "8447320466430",
            "tags": ["mobile"],
            "via": {"channel": "web_service"},
        },
        "event": {
            "comment": {
                "id": comment_id,
                "body": "My invoice is wrong, I want to talk to a person",
                "is_public": public,
                "author": author,
            }
        },
    }


class ZendeskConfig:
    adapter_cls = ZendeskAdapter
    env: ClassVar[dict[str, str]] = {"ZD_TOKEN": "zd-api-token"}
    timestamped: ClassVar[bool] = True
    expected_ids: ClassVar[tuple[str, ...]] = ("ticket_id", "requester_id")
    customer_text: ClassVar[str] = "My invoice is wrong, I want to talk to a person"
    customer_identity: ClassVar[dict[str, str]] = {"id": "8447388090494"}

    def options(self) -> dict[str, Any]:
        return {
            "email": "agent@acme.test",
            "api_token": {"env": "ZD_TOKEN"},
            "queues": {"billing": "360001"},
            "bot_ids": ["777"],
        }

    def authorised(self, headers: dict[str, str], path: str, body: bytes) -> bool:
        return headers.get("authorization") == basic("agent@acme.test/token", "zd-api-token")

    def expected_calls(self, packet: HandoffPacket) -> list[tuple[str, str]]:
        return [("PUT", "/api/v2/tickets/5158.json")]

    def check_bodies(self, fake: FakeVendor, packet: HandoffPacket) -> None:
        [put] = fake.requests
        ticket = put.json()["ticket"]
        assert ticket["comment"]["public"] is False
        assert "Customer disputes an invoice" in ticket["comment"]["html_body"]
        assert "&lt;b&gt;again&lt;/b&gt;" in ticket["comment"]["html_body"]  # escaped
        assert ticket["priority"] == "high"
        assert ticket["group_id"] == 360001
        assert ticket["additional_tags"] == ["rapport-handoff", "rapport-queue-billing"]
        assert "tags" not in ticket  # `tags` would replace the agent's tags

    def customer_visible(self, request: Recorded) -> list[str]:
        ticket = (request.json() or {}).get("ticket") or {}
        visible = [str(ticket.get("subject", ""))]
        comment = ticket.get("comment") or {}
        if comment.get("public", True) is not False:  # Zendesk's default is public
            visible += [str(comment.get("body", "")), str(comment.get("html_body", ""))]
        return visible

    def create_answers(self) -> dict[tuple[str, str], Any]:
        return {("POST", "/api/v2/tickets.json"): {"ticket": {"id": 6001}}}

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        timestamp = now_iso()
        return {
            "X-Zendesk-Webhook-Signature": b64(
                hmac_raw(secret, timestamp.encode() + body, "sha256")
            ),
            "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
            "X-Zendesk-Webhook-Invocation-Id": "inv-1",
        }

    def customer_sample(self) -> dict[str, Any]:
        return comment_added({"id": "8447388090494", "is_staff": False, "name": "Jo"})

    def agent_sample(self) -> dict[str, Any]:
        return comment_added(
            {"id": "900", "is_staff": True, "name": "Sam Agent"}, comment_id="9876543211"
        )

    def bot_sample(self) -> dict[str, Any]:
        return comment_added(
            {"id": "777", "is_staff": True, "name": "Bot"}, comment_id="9876543212"
        )

    def status_sample(self) -> dict[str, Any]:
        return {
            "type": "zen:event-type:ticket.status_changed",
            "id": "e0b4a3b2-0000-4000-8000-000000000001",
            "time": "2026-11-26T11:00:00Z",
            "subject": "zen:ticket:5158",
            "detail": {"id": "5158", "requester_id": "8447388090494", "status": "SOLVED"},
            "event": {"current": "SOLVED", "previous": "OPEN"},
        }

    def ignored_sample(self) -> dict[str, Any]:
        # An internal note (Rapport's own handoff note comes back like this).
        return comment_added({"id": "900", "is_staff": True}, public=False, comment_id="9876543213")


# The static secret Zendesk documents for its "Test webhook" requests
# (developer.zendesk.com/documentation/webhooks/verifying/).
ZENDESK_TEST_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="


class TestZendesk(
    ZendeskConfig,
    SignatureContract,
    ParseContract,
    LoopPreventionContract,
    DedupeContract,
    DeliverContract,
    RetriesContract,
    PrivacyContract,
):
    async def test_the_test_webhook_button_is_answered_and_makes_nothing(self, make: Any) -> None:
        import json

        adapter = make()
        body = json.dumps(comment_added({"id": "1", "is_staff": False})).encode()
        headers = self.sign(body, ZENDESK_TEST_SECRET)
        adapter.verify(headers, body)  # no 401 for the admin's first click
        batch = adapter.parse(body, headers)
        assert (batch.events, batch.ignored) == ([], "test-webhook")
        # A real delivery with the webhook's secret is a message as always.
        real, real_headers = self.signed("customer")
        assert adapter.parse(real, real_headers).events

    async def test_a_policy_rules_tags_are_added_not_replacing(
        self, fake: tuple[FakeVendor, str], make: Any
    ) -> None:
        vendor, _ = fake
        adapter = make()
        body, headers = self.signed("customer")
        packet = make_packet(adapter.parse(body, headers).events[0].message)
        decision = packet.decision.model_copy(update={"tags": ("VIP customer", "callback")})
        await adapter.deliver(packet.model_copy(update={"decision": decision}))
        ticket = vendor.requests[-1].json()["ticket"]
        assert ticket["additional_tags"] == [
            "rapport-handoff",
            "rapport-queue-billing",
            "vip-customer",
            "callback",
        ]
        assert "tags" not in ticket

    async def test_without_a_ticket_one_post_creates_it_idempotently(
        self, fake: tuple[FakeVendor, str], make: Any
    ) -> None:
        vendor, _ = fake
        vendor.answers[("POST", "/api/v2/tickets.json")] = {"ticket": {"id": 6001}}
        adapter = make()
        body, headers = self.signed("customer")
        [event] = adapter.parse(body, headers).events
        message = event.message.model_copy(update={"provider_ids": {}})
        packet = make_packet(message)
        delivered = await adapter.deliver(packet)
        assert delivered.external_id == "6001"
        [post] = vendor.requests
        assert (post.method, post.path) == ("POST", "/api/v2/tickets.json")
        assert post.headers["idempotency-key"] == packet.handoff_id
        ticket = post.json()["ticket"]
        assert ticket["requester"]["email"] == "jo@example.com"
        assert ticket["comment"]["public"] is False
        assert ticket["tags"] == ["rapport-handoff", "rapport-queue-billing"]
