"""``freshdesk`` against a fake Freshdesk API, and its token-authenticated webhooks."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from rapport_contracts import HandoffPacket
from rapport_handoff.adapters.freshdesk import FreshdeskAdapter
from rapport_runtime.config import ConfigError
from tests.handoff.adapters._sign import basic
from tests.handoff.adapters.contract import (
    SITE_SECRET,
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
    customer_text: ClassVar[str] = "Still no refund. I want a human."
    customer_identity: ClassVar[dict[str, str]] = {
        "id": "80001",
        "email": "jo@example.com",
        "name": "Jo",
    }

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

    def customer_visible(self, request: Recorded) -> list[str]:
        body = request.json() or {}
        if request.path == "/api/v2/tickets" and request.method == "POST":
            return [str(body.get("subject", "")), str(body.get("description", ""))]
        if request.path.endswith("/notes") and body.get("private") is not True:
            return [str(body.get("body", ""))]
        if request.path.endswith("/reply"):
            return [str(body.get("body", ""))]
        return []

    def create_answers(self) -> dict[tuple[str, str], Any]:
        return {("POST", "/api/v2/tickets"): {"id": 99}}

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


class TestFreshdesk(
    FreshdeskConfig,
    SignatureContract,
    ParseContract,
    LoopPreventionContract,
    DedupeContract,
    DeliverContract,
    RetriesContract,
    PrivacyContract,
):
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

    async def test_without_a_ticket_it_is_created_then_noted_privately(
        self, fake: tuple[FakeVendor, str], make: Any
    ) -> None:
        vendor, _ = fake
        vendor.answers[("POST", "/api/v2/tickets")] = {"id": 99}
        adapter = make()
        message = adapter.parse(*self._body(reply("requester"))).events[0].message
        packet = make_packet(message.model_copy(update={"provider_ids": {}}))
        assert (await adapter.deliver(packet)).external_id == "99"
        post, note = vendor.requests
        assert (post.method, post.path) == ("POST", "/api/v2/tickets")
        created = post.json()
        assert created["email"] == "jo@example.com"
        assert created["priority"] == 3 and created["group_id"] == 5001
        # The requester reads the description: their own words, escaped; nothing of ours.
        assert created["description"] == (
            "<p>My invoice is wrong &lt;b&gt;again&lt;/b&gt; &amp; I want a person</p>"
        )
        assert (note.method, note.path) == ("POST", "/api/v2/tickets/99/notes")
        assert note.json()["private"] is True and "Sentiment over time" in note.json()["body"]
        await adapter.deliver(packet)  # redelivered: neither a second ticket nor a second note
        assert len(vendor.requests) == 2

    async def test_a_header_token_equal_to_the_site_secret_is_refused(
        self, make: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with pytest.raises(ConfigError, match="X-Rapport-Token"):
            make(webhook_secret=None)
        monkeypatch.setenv("SAME_AS_SITE", SITE_SECRET)
        with pytest.raises(ConfigError, match="webhook_secret of its own"):
            make(webhook_secret={"env": "SAME_AS_SITE"})

    @staticmethod
    def _body(data: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        import json

        return json.dumps(data).encode(), {}
