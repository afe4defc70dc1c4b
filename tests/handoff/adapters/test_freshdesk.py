"""``freshdesk`` against a fake Freshdesk API, and its token-authenticated webhooks."""

from __future__ import annotations

from typing import Any, ClassVar

from rapport_contracts import HandoffPacket
from rapport_handoff.adapters.freshdesk import FreshdeskAdapter
from tests.handoff.adapters._sign import basic
from tests.handoff.adapters.contract import AdapterContract, make_packet
from tests.handoff.adapters.fake import FakeVendor


def reply(
    author: str, text: str = "Still no refund. I want a human.", **extra: Any
) -> dict[str, Any]:
    # The body documented in docs/helpdesks/freshdesk.md (an automation rule's webhook).
    return {
        "event": "reply",
        "ticket_id": "4242",
        "author": author,
        "text": text,
        "updated_at": "2026-11-26T10:00:00Z",
        "requester_id": "80001",
        "requester_email": "jo@example.com",
        "requester_name": "Jo",
        "channel": "portal",
        **extra,
    }


class FreshdeskConfig:
    adapter_cls = FreshdeskAdapter
    env: ClassVar[dict[str, str]] = {"FD_KEY": "fd-api-key"}
    expected_ids: ClassVar[tuple[str, ...]] = ("ticket_id",)
    signs_body: ClassVar[bool] = False

    def options(self) -> dict[str, Any]:
        return {"api_key": {"env": "FD_KEY"}, "queues": {"billing": "5001"}, "bot_ids": ["31"]}

    def answers(self) -> dict[tuple[str, str], Any]:
        return {("GET", "/api/v2/tickets/4242"): {"id": 4242, "tags": ["vip", "rapport-handoff"]}}

    def authorised(self, headers: dict[str, str], path: str, body: bytes) -> bool:
        return headers.get("authorization") == basic("fd-api-key", "X")

    def expected_calls(self, packet: HandoffPacket) -> list[tuple[str, str]]:
        return [
            ("POST", "/api/v2/tickets/4242/notes"),
            ("GET", "/api/v2/tickets/4242"),
            ("PUT", "/api/v2/tickets/4242"),
        ]

    def check_bodies(self, fake: FakeVendor, packet: HandoffPacket) -> None:
        note, _, put = fake.requests
        assert note.json()["private"] is True
        assert "Sentiment over time" in note.json()["body"]
        assert put.json() == {
            "priority": 3,
            "group_id": 5001,
            # the ticket's own tags first, ours appended, nothing lost or doubled
            "tags": ["vip", "rapport-handoff", "rapport-queue-billing"],
        }

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        return {"X-Rapport-Token": secret}

    def customer_sample(self) -> dict[str, Any]:
        return reply("requester")

    def agent_sample(self) -> dict[str, Any]:
        return reply("agent", "We are on it.", author_id="12")

    def bot_sample(self) -> dict[str, Any]:
        return reply("agent", "I am the bot.", author_id="31")

    def status_sample(self) -> dict[str, Any]:
        return {
            "event": "status",
            "ticket_id": "4242",
            "status": "Resolved",
            "updated_at": "2026-11-26T11:00:00Z",
        }

    def ignored_sample(self) -> dict[str, Any]:
        return {"event": "status", "ticket_id": "4242", "status": "Pending"}


class TestFreshdesk(FreshdeskConfig, AdapterContract):
    async def test_the_same_text_later_is_a_new_message(self, make: Any) -> None:
        adapter = make()
        first = adapter.parse(*self._body(reply("requester", "yes"))).events[0].message
        again = adapter.parse(*self._body(reply("requester", "yes"))).events[0].message
        later = (
            adapter.parse(*self._body(reply("requester", "yes", updated_at="2026-11-26T10:05:00Z")))
            .events[0]
            .message
        )
        assert first.message_id == again.message_id != later.message_id

    async def test_without_a_ticket_one_post_creates_it(
        self, fake: tuple[FakeVendor, str], make: Any
    ) -> None:
        vendor, _ = fake
        vendor.answers[("POST", "/api/v2/tickets")] = {"id": 99}
        adapter = make()
        message = adapter.parse(*self._body(reply("requester"))).events[0].message
        packet = make_packet(message.model_copy(update={"provider_ids": {}}))
        assert (await adapter.deliver(packet)).external_id == "99"
        [post] = vendor.requests
        assert post.json()["email"] == "jo@example.com"
        assert post.json()["priority"] == 3

    @staticmethod
    def _body(data: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        import json

        return json.dumps(data).encode(), {}
