"""``zammad`` against a fake Zammad API, and its signed trigger webhooks."""

from __future__ import annotations

from typing import Any, ClassVar

from rapport_contracts import HandoffPacket
from rapport_handoff.adapters.zammad import ZammadAdapter
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


def payload(article: dict[str, Any], state: str = "open") -> dict[str, Any]:
    # Zammad's default webhook payload: {ticket: {...}, article: {...}}.
    return {
        "ticket": {
            "id": 5,
            "number": "31005",
            "title": "Invoice",
            "state": state,
            "customer_id": 12,
            "customer": {"id": 12, "firstname": "Jo", "lastname": "Doe", "email": "jo@example.com"},
            "updated_at": "2026-11-26T10:00:00.000Z",
        },
        "article": article,
    }


def article(
    article_id: int, sender: str, *, internal: bool = False, by: int = 12
) -> dict[str, Any]:
    return {
        "id": article_id,
        "ticket_id": 5,
        "sender": sender,
        "type": "web",
        "internal": internal,
        "content_type": "text/html",
        "body": "<div>My invoice is wrong, <b>please</b> get me a person</div>",
        "created_by_id": by,
        "created_at": "2026-11-26T10:00:00.000Z",
    }


class ZammadConfig:
    adapter_cls = ZammadAdapter
    env: ClassVar[dict[str, str]] = {"ZAMMAD_TOKEN": "zm-token"}
    expected_ids: ClassVar[tuple[str, ...]] = ("ticket_id",)
    customer_text: ClassVar[str] = "My invoice is wrong, please get me a person"
    customer_identity: ClassVar[dict[str, str]] = {
        "id": "12",
        "email": "jo@example.com",
        "name": "Jo Doe",
    }

    def options(self) -> dict[str, Any]:
        return {
            "api_token": {"env": "ZAMMAD_TOKEN"},
            "queues": {"billing": "2nd Level"},
            "bot_ids": ["3"],
        }

    def authorised(self, headers: dict[str, str], path: str, body: bytes) -> bool:
        return headers.get("authorization") == "Token token=zm-token"

    def expected_calls(self, packet: HandoffPacket) -> list[tuple[str, str]]:
        return [
            ("PUT", "/api/v1/tickets/5"),
            ("POST", "/api/v1/tags/add"),
            ("POST", "/api/v1/tags/add"),
        ]

    def check_bodies(self, fake: FakeVendor, packet: HandoffPacket) -> None:
        put, tag1, tag2 = (r.json() for r in fake.requests)
        assert put["priority"] == "3 high" and put["group"] == "2nd Level"
        assert put["article"]["internal"] is True and put["article"]["type"] == "note"
        assert [tag1, tag2] == [
            {"item": "rapport-handoff", "object": "Ticket", "o_id": 5},
            {"item": "rapport-queue-billing", "object": "Ticket", "o_id": 5},
        ]

    def customer_visible(self, request: Recorded) -> list[str]:
        article = (request.json() or {}).get("article") or {}
        if article and article.get("internal") is not True:
            return [str(article.get("subject", "")), str(article.get("body", ""))]
        return []

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        return {"X-Hub-Signature": "sha1=" + hmac_raw(secret, body, "sha1").hex()}

    def sample_headers(self, name: str) -> dict[str, str]:
        return {"X-Zammad-Trigger": "rapport", "X-Zammad-Delivery": f"job-{name}"}

    def customer_sample(self) -> dict[str, Any]:
        return payload(article(77, "Customer"))

    def agent_sample(self) -> dict[str, Any]:
        return payload(article(78, "Agent", by=4))

    def bot_sample(self) -> dict[str, Any]:
        return payload(article(79, "Agent", by=3))

    def status_sample(self) -> dict[str, Any]:
        return payload({}, state="closed")

    def ignored_sample(self) -> dict[str, Any]:
        return payload(article(80, "Agent", internal=True, by=4))


class TestZammad(
    ZammadConfig,
    SignatureContract,
    ParseContract,
    LoopPreventionContract,
    DedupeContract,
    DeliverContract,
    RetriesContract,
    PrivacyContract,
):
    async def test_html_bodies_become_text(self, make: Any) -> None:
        adapter = make()
        body, headers = self.signed("customer")
        [event] = adapter.parse(body, headers).events
        assert event.message.text == "My invoice is wrong, please get me a person"
        assert (
            event.message.customer is not None and event.message.customer.email == "jo@example.com"
        )
