"""``jira``: Jira Service Management (Cloud) requests.

Inbound: an admin webhook (System > WebHooks) saved with a secret signs
``X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>``; deliveries are deduped on
``X-Atlassian-Webhook-Identifier`` (unchanged across Atlassian's retries), messages on the
comment id. ``comment_created``: public comments (``jsdPublic``) by ``accountType:
customer`` -> customer, by ``atlassian`` -> agent, by ``app`` or ``bot_ids`` -> bot; internal
comments are ignored. ``jira:issue_updated`` moving the status to Resolved/Done/Closed is a
resolution.

Outbound: ``POST /rest/servicedeskapi/request/{key}/comment`` (``public: false``: the internal
note), then ONE ``PUT /rest/api/3/issue/{key}`` with the priority and ``update.labels``
``add`` operations (appends), plus a component ``add`` for the queue (JSM queues are JQL
views: filter the queue on that component).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from rapport_contracts import Author, HandoffPacket
from rapport_handoff.adapters._note import render_note
from rapport_handoff.adapters._payload import customer_of, dig, slug
from rapport_handoff.adapters._signatures import header, hmac_digest, require_equal
from rapport_handoff.adapters._time import parse_time
from rapport_handoff.adapters._vendor import VendorAdapter, VendorOptions
from rapport_handoff.adapters.base import Delivered, InboundBatch
from rapport_runtime.config import SecretRef

SIGNATURE = "X-Hub-Signature"
DELIVERY = "X-Atlassian-Webhook-Identifier"
PRIORITIES = {"low": "Low", "normal": "Medium", "high": "High", "urgent": "Highest"}
RESOLVED = {"resolved": "solved", "done": "solved", "closed": "closed", "canceled": "closed"}


class JiraOptions(VendorOptions):
    email: str = Field(min_length=3, description="The Atlassian account of the API token.")
    api_token: SecretRef = Field(description="An Atlassian API token.")
    priorities: dict[str, str] = Field(
        default_factory=lambda: dict(PRIORITIES),
        description="Rapport priority -> Jira priority name.",
    )


def adf_text(node: Any) -> str:
    """Plain text of an Atlassian Document Format node (comment bodies in API v3)."""
    if isinstance(node, str):
        return node
    if not isinstance(node, dict):
        return ""
    if node.get("type") == "text":
        return str(node.get("text", ""))
    inner = "".join(adf_text(child) for child in node.get("content") or [])
    return inner + ("\n" if node.get("type") in {"paragraph", "heading", "listItem"} else "")


class JiraAdapter(VendorAdapter):
    name: ClassVar[str] = "jira"
    description: ClassVar[str] = (
        "Jira Service Management: internal comment, then priority, labels and component."
    )
    supports: ClassVar[tuple[str, ...]] = ("note", "priority", "team", "tags")
    Options = JiraOptions
    secrets = ("api_token",)

    def auth_headers(self) -> dict[str, str]:
        raw = f"{self.options.email}:{self.secret_values['api_token']}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    # -- outbound ------------------------------------------------------------------------

    def issue_update(self, packet: HandoffPacket) -> dict[str, Any]:
        priority = self.options.priorities.get(
            packet.decision.priority, PRIORITIES[packet.decision.priority]
        )
        update: dict[str, Any] = {"labels": [{"add": slug(t)} for t in self.tags_for(packet)]}
        if (component := self.team_for(packet)) is not None:
            update["components"] = [{"add": {"name": component}}]
        return {"fields": {"priority": {"name": priority}}, "update": update}

    async def deliver(self, packet: HandoffPacket) -> Delivered:
        key = self.need_id(packet, "issue_key")
        steps = self.steps(packet)
        comment = {"body": render_note(packet, "text"), "public": False}
        await steps.once(
            "note",
            lambda: self.api.call(
                "POST", f"/rest/servicedeskapi/request/{key}/comment", json_body=comment
            ),
        )
        update = self.issue_update(packet)
        await steps.once(
            "update", lambda: self.api.call("PUT", f"/rest/api/3/issue/{key}", json_body=update)
        )
        return Delivered(external_id=key, detail=f"commented and updated {key}")

    # -- inbound -------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        expected = "sha256=" + hmac_digest(self.webhook_secret, body, "sha256").hex()
        require_equal(expected, header(headers, SIGNATURE), SIGNATURE)

    def parse(self, body: bytes, headers: Mapping[str, str]) -> InboundBatch:
        data = self.load_json(body)
        delivery = header(headers, DELIVERY)
        if not isinstance(data, dict):
            return self.ignore(delivery, "not-an-object")
        issue = data.get("issue") or {}
        key = issue.get("key") if isinstance(issue, dict) else None
        if not key:
            return self.ignore(delivery, "no-issue", data.get("webhookEvent"))
        reporter = dig(issue, "fields", "reporter") or {}
        ids = {"issue_key": key, "issue_id": issue.get("id")}
        event = data.get("webhookEvent")
        if event == "jira:issue_updated":
            for item in dig(data, "changelog", "items") or []:
                if isinstance(item, dict) and item.get("field") == "status":
                    status = RESOLVED.get(str(item.get("toString", "")).lower())
                    if status:
                        ev = self.status(
                            conversation_id=key,
                            event_id=delivery or f"{key}-{data.get('timestamp')}",
                            status=status,
                            sent_at=parse_time(data.get("timestamp")),
                            provider_ids=ids,
                        )
                        return InboundBatch(delivery, [ev])
            return self.ignore(delivery, "status-not-resolved", event)
        if event != "comment_created":
            return self.ignore(delivery, "not-a-message", event)
        comment = data.get("comment") or {}
        if not isinstance(comment, dict) or not comment.get("jsdPublic", True):
            return self.ignore(delivery, "internal-note", event)
        author = comment.get("author") or {}
        kind = author.get("accountType")
        role: Author
        if self.is_bot(author.get("accountId")) or kind == "app":
            role = "bot"
        elif kind == "customer":
            role = "customer"
        elif kind == "atlassian":
            role = "agent"
        else:
            return self.ignore(delivery, "unknown-author", event)
        text = adf_text(comment.get("body")).strip()
        if not text or not comment.get("id"):
            return self.ignore(delivery, "no-text", event)
        customer = None
        if role == "customer":
            customer = customer_of(
                author.get("accountId"),
                author.get("emailAddress") or reporter.get("emailAddress"),
                author.get("displayName"),
            )
        return InboundBatch(
            delivery,
            [
                self.message(
                    conversation_id=key,
                    message_id=comment["id"],
                    author=role,
                    text=text,
                    sent_at=parse_time(comment.get("created")),
                    channel="portal",
                    customer=customer,
                    provider_ids={**ids, "comment_id": comment["id"]},
                )
            ],
        )
