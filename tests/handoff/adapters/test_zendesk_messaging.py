"""``zendesk-messaging`` against a fake Sunshine Conversations API (bodies checked against its
OpenAPI spec), and its X-API-Key webhooks."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest

from rapport_contracts import HandoffPacket
from rapport_handoff.adapters.zendesk_messaging import ZendeskMessagingAdapter
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

APP = "5ebee0975ac5304b664a12fa"


def envelope(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "app": {"id": APP},
        "webhook": {"id": "5f4eaef81e3dcc117c7ba48a", "version": "v2"},
        "events": list(events),
    }


def message_event(event_id: str, message_id: str, author: dict[str, Any]) -> dict[str, Any]:
    # Shaped like the spec's conversation:message example.
    return {
        "id": event_id,
        "createdAt": "2026-11-26T10:00:00.000Z",
        "type": "conversation:message",
        "payload": {
            "conversation": {
                "id": "f52b01137aa6c250bc7251fa",
                "type": "personal",
                "activeSwitchboardIntegration": {
                    "id": "5eecde2dcdbffb08f5c3ed37",
                    "name": "bot",
                    "integrationType": "custom",
                },
            },
            "message": {
                "id": message_id,
                "received": "2026-11-26T10:00:00.000Z",
                "author": author,
                "content": {"type": "text", "text": "I need a human, my order never came"},
                "source": {"integrationId": "5ec69c6e12dda33be985cb1a", "type": "whatsapp"},
            },
        },
    }


TRUNCATED_CONVERSATION = {"id": "f52b01137aa6c250bc7251fa", "type": "personal"}


def switchboard(event_id: str, kind: str, active: dict[str, Any] | None) -> dict[str, Any]:
    # Shaped like the spec's switchboard:passControl / releaseControl examples.
    conversation: dict[str, Any] = dict(TRUNCATED_CONVERSATION)
    if active is not None:
        conversation["activeSwitchboardIntegration"] = active
    return {
        "id": event_id,
        "createdAt": "2026-11-26T11:00:00.000Z",
        "type": kind,
        "payload": {"conversation": conversation},
    }


BOT_INTEGRATION = {
    "id": "5eecde2dcdbffb08f5c3ed37",
    "name": "bot",
    "integrationId": "5f11a650e4e987667c2051d1",
    "integrationType": "custom",
}
AGENT_WORKSPACE = {
    "id": "5eecde2dcdbffb08f5c3ed38",
    "name": "zd-agentWorkspace",
    "integrationId": "5f11a650e4e987667c2051d2",
    "integrationType": "zd:agentWorkspace",
}


def postback(event_id: str, payload: str) -> dict[str, Any]:
    # Shaped like the spec's conversation:postback example.
    return {
        "id": event_id,
        "createdAt": "2026-11-26T10:01:00.000Z",
        "type": "conversation:postback",
        "payload": {
            "conversation": {
                **TRUNCATED_CONVERSATION,
                "activeSwitchboardIntegration": BOT_INTEGRATION,
            },
            "postback": {"payload": payload},
            "user": {
                "id": "26508c10541a4b0ff472e5e2",
                "externalId": "912382197",
                "authenticated": True,
            },
            "source": {"type": "telegram", "integrationId": "5ec69c6e12dda33be985cb1a"},
        },
    }


USER = {
    "userId": "26508c10541a4b0ff472e5e2",
    "displayName": "Steve Rogers",
    "type": "user",
    "user": {"id": "26508c10541a4b0ff472e5e2", "externalId": "912382197"},
}


class ZendeskMessagingConfig:
    adapter_cls = ZendeskMessagingAdapter
    env: ClassVar[dict[str, str]] = {"SMOOCH_SECRET": "smooch-secret"}
    spec_file: ClassVar[str | None] = "sunshine-conversations.yaml"
    signs_body: ClassVar[bool] = False
    expected_ids: ClassVar[tuple[str, ...]] = ("conversation_id", "app_id")
    customer_text: ClassVar[str] = "I need a human, my order never came"
    customer_identity: ClassVar[dict[str, str]] = {"id": "912382197", "name": "Steve Rogers"}

    def options(self) -> dict[str, Any]:
        return {
            "app_id": APP,
            "key_id": "app_5f",
            "key_secret": {"env": "SMOOCH_SECRET"},
            "queues": {"billing": "6510394394139"},
            "summary_field_id": "7787437179547",
        }

    def authorised(self, headers: dict[str, str], path: str, body: bytes) -> bool:
        return headers.get("authorization") == basic("app_5f", "smooch-secret")

    def expected_calls(self, packet: HandoffPacket) -> list[tuple[str, str]]:
        return [("POST", f"/v2/apps/{APP}/conversations/f52b01137aa6c250bc7251fa/passControl")]

    def check_bodies(self, fake: FakeVendor, packet: HandoffPacket) -> None:
        [call] = fake.requests
        body = call.json()
        assert body["switchboardIntegration"] == "zd:agentWorkspace"
        metadata = body["metadata"]
        assert metadata["first_message_id"] == packet.transcript[0].message_id
        assert metadata["dataCapture.systemField.group_id"] == "6510394394139"
        assert metadata["dataCapture.systemField.tags"] == "rapport-handoff rapport-queue-billing"
        assert "Customer disputes an invoice" in metadata["dataCapture.ticketField.7787437179547"]
        assert all(isinstance(v, str | int | float | bool) for v in metadata.values())
        assert len(json.dumps(metadata).encode()) <= 4096

    def customer_visible(self, request: Recorded) -> list[str]:
        # Only a message sent into the conversation reaches the customer; passControl
        # metadata goes to the ticket (the summary field must be agent-only: see the docs).
        if request.path.endswith("/messages"):
            content = (request.json() or {}).get("content") or {}
            return [str(content.get("text", ""))]
        return []

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        return {"X-API-Key": secret}

    def customer_sample(self) -> dict[str, Any]:
        return envelope(message_event("5f74a0d52b5315fc007e798a", "5f74c7d84a146f3abd72af1d", USER))

    def agent_sample(self) -> dict[str, Any]:
        return envelope(
            message_event(
                "ev2", "msg2", {"type": "business", "subtypes": ["agent"], "displayName": "Sam"}
            )
        )

    def bot_sample(self) -> dict[str, Any]:
        # The bot's own message echoed back: it must never count as the customer's.
        return envelope(message_event("ev3", "msg3", {"type": "business", "displayName": "Bot"}))

    def status_sample(self) -> dict[str, Any]:
        # The agent hands the conversation back to the bot: the human no longer owns it.
        return envelope(switchboard("ev5", "switchboard:passControl", BOT_INTEGRATION))

    def ignored_sample(self) -> dict[str, Any]:
        # Our own passControl to the agent workspace, echoed back.
        return envelope(switchboard("ev4", "switchboard:passControl", AGENT_WORKSPACE))


class TestZendeskMessaging(
    ZendeskMessagingConfig,
    SignatureContract,
    ParseContract,
    LoopPreventionContract,
    DedupeContract,
    DeliverContract,
    RetriesContract,
    PrivacyContract,
):
    async def test_a_talk_to_an_agent_button_reaches_the_policy_as_the_customers_words(
        self, make: Any
    ) -> None:
        adapter = make()
        body = json.dumps(envelope(postback("ev6", "TALK_TO_AGENT"))).encode()
        [event] = adapter.parse(body, self.sign(body, "smooch")).events
        message = event.message
        assert (message.author, message.text) == ("customer", "talk to agent")
        assert message.message_id == "postback-ev6"
        assert message.customer is not None and message.customer.id == "912382197"
        assert make_packet(message).provider_ids["conversation_id"] == "f52b01137aa6c250bc7251fa"

    async def test_releasing_control_resolves_too(self, make: Any) -> None:
        adapter = make()
        body = json.dumps(envelope(switchboard("ev7", "switchboard:releaseControl", None))).encode()
        [event] = adapter.parse(body, {}).events
        assert (event.kind, event.message.provider_ids["status"]) == ("status", "resolved")

    async def test_a_header_token_equal_to_the_site_secret_is_refused(
        self, make: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with pytest.raises(ConfigError, match="webhook_secret of its own"):
            make(webhook_secret=None)  # defaults to the site's secret
        monkeypatch.setenv("SAME_AS_SITE", SITE_SECRET)
        with pytest.raises(ConfigError, match="webhook_secret of its own"):
            make(webhook_secret={"env": "SAME_AS_SITE"})

    async def test_a_long_note_is_cut_to_the_4kb_metadata_limit(
        self, fake: tuple[FakeVendor, str], make: Any
    ) -> None:
        vendor, _ = fake
        adapter = make()
        packet = self.packet(adapter)
        packet = packet.model_copy(update={"summary": "x " * 5000})
        await adapter.deliver(packet)
        [call] = vendor.requests
        assert len(json.dumps(call.json()["metadata"]).encode()) <= 4096

    async def test_every_event_of_a_request_is_read(self, make: Any) -> None:
        adapter = make()
        body = json.dumps(
            envelope(
                message_event("e1", "m1", USER),
                message_event("e2", "m2", {"type": "business"}),
                message_event("e3", "m3", USER),
            )
        ).encode()
        events = adapter.parse(body, {}).events
        assert [(e.message.message_id, e.message.author) for e in events] == [
            ("m1", "customer"),
            ("m2", "bot"),
            ("m3", "customer"),
        ]
        assert make_packet(events[0].message).provider_ids["app_id"] == APP
