"""``zendesk-messaging`` against a fake Sunshine Conversations API (bodies checked against its
OpenAPI spec), and its X-API-Key webhooks."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rapport_contracts import HandoffPacket
from rapport_handoff.adapters.zendesk_messaging import ZendeskMessagingAdapter
from tests.handoff.adapters._sign import basic
from tests.handoff.adapters.contract import AdapterContract, make_packet
from tests.handoff.adapters.fake import FakeVendor

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
    has_status_events: ClassVar[bool] = False
    expected_ids: ClassVar[tuple[str, ...]] = ("conversation_id", "app_id")

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

    def ignored_sample(self) -> dict[str, Any]:
        return envelope(
            {
                "id": "ev4",
                "type": "switchboard:passControl",
                "payload": {"conversation": {"id": "f52b01137aa6c250bc7251fa"}},
            }
        )


class TestZendeskMessaging(ZendeskMessagingConfig, AdapterContract):
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
