"""``jira`` against a fake Jira Service Management Cloud API, and its signed admin webhooks."""

from __future__ import annotations

from typing import Any, ClassVar

from rapport_contracts import HandoffPacket
from rapport_handoff.adapters.jira import JiraAdapter
from tests.handoff.adapters._sign import basic, hmac_raw
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


def issue() -> dict[str, Any]:
    return {
        "id": "10042",
        "key": "SUP-42",
        "fields": {
            "summary": "Invoice",
            "reporter": {"accountId": "qm:1", "emailAddress": "jo@example.com"},
        },
    }


def comment_created(comment_id: str, author: dict[str, Any], public: bool = True) -> dict[str, Any]:
    return {
        "timestamp": 1795687200000,
        "webhookEvent": "comment_created",
        "issue": issue(),
        "comment": {
            "id": comment_id,
            "author": author,
            "body": {
                "type": "doc",
                "version": 1,
                "content": [
                    {
                        "type": "paragraph",
                        "content": [{"type": "text", "text": "My invoice is wrong"}],
                    }
                ],
            },
            "created": "2026-11-26T10:00:00.000+0000",
            "jsdPublic": public,
        },
    }


class JiraConfig:
    adapter_cls = JiraAdapter
    env: ClassVar[dict[str, str]] = {"JIRA_TOKEN": "jira-token"}
    expected_ids: ClassVar[tuple[str, ...]] = ("issue_key",)
    customer_text: ClassVar[str] = "My invoice is wrong"
    customer_identity: ClassVar[dict[str, str]] = {
        "id": "qm:1",
        "email": "jo@example.com",
        "name": "Jo",
    }

    def options(self) -> dict[str, Any]:
        return {
            "email": "bot@acme.test",
            "api_token": {"env": "JIRA_TOKEN"},
            "queues": {"billing": "Billing"},
            "bot_ids": ["557058:bot"],
        }

    def authorised(self, headers: dict[str, str], path: str, body: bytes) -> bool:
        return headers.get("authorization") == basic("bot@acme.test", "jira-token")

    def expected_calls(self, packet: HandoffPacket) -> list[tuple[str, str]]:
        return [
            ("POST", "/rest/servicedeskapi/request/SUP-42/comment"),
            ("PUT", "/rest/api/3/issue/SUP-42"),
        ]

    def check_bodies(self, fake: FakeVendor, packet: HandoffPacket) -> None:
        comment, update = (r.json() for r in fake.requests)
        assert comment["public"] is False and "WHY" in comment["body"]
        assert update == {
            "fields": {"priority": {"name": "High"}},
            "update": {
                "labels": [{"add": "rapport-handoff"}, {"add": "rapport-queue-billing"}],
                "components": [{"add": {"name": "Billing"}}],
            },
        }

    def customer_visible(self, request: Recorded) -> list[str]:
        body = request.json() or {}
        if request.path.endswith("/comment") and body.get("public") is not False:
            return [str(body.get("body", ""))]
        return []

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        return {
            "X-Hub-Signature": "sha256=" + hmac_raw(secret, body, "sha256").hex(),
            "X-Atlassian-Webhook-Identifier": "wh-1",
        }

    def customer_sample(self) -> dict[str, Any]:
        return comment_created(
            "20001", {"accountId": "qm:1", "displayName": "Jo", "accountType": "customer"}
        )

    def agent_sample(self) -> dict[str, Any]:
        return comment_created(
            "20002", {"accountId": "557058:sam", "displayName": "Sam", "accountType": "atlassian"}
        )

    def bot_sample(self) -> dict[str, Any]:
        return comment_created(
            "20003", {"accountId": "557058:bot", "displayName": "Bot", "accountType": "atlassian"}
        )

    def status_sample(self) -> dict[str, Any]:
        return {
            "timestamp": 1795690800000,
            "webhookEvent": "jira:issue_updated",
            "issue": issue(),
            "changelog": {
                "id": "300",
                "items": [
                    {"field": "status", "fromString": "Waiting for support", "toString": "Resolved"}
                ],
            },
        }

    def ignored_sample(self) -> dict[str, Any]:
        return comment_created(
            "20004", {"accountId": "557058:sam", "accountType": "atlassian"}, public=False
        )


class TestJira(
    JiraConfig,
    SignatureContract,
    ParseContract,
    LoopPreventionContract,
    DedupeContract,
    DeliverContract,
    RetriesContract,
    PrivacyContract,
):
    pass
