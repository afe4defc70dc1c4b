"""``helpscout``: Help Scout conversations (Mailbox API 2.0).

Inbound: webhooks signed with ``X-HelpScout-Signature`` = base64(HMAC-SHA1(secret, raw body))
(the secret is at most 40 characters); the event is in ``X-HelpScout-Event``. Help Scout sends
no delivery id: deliveries are deduped on the body's hash, messages on the thread id.
``convo.created`` / ``convo.customer.reply.created`` -> the newest ``customer`` thread;
``convo.agent.reply.created`` -> the newest ``message`` thread (agent; ``bot_ids`` -> bot);
``convo.status`` to ``closed`` -> resolution.

Outbound (OAuth2 client credentials, token cached until it expires):
``POST /v2/conversations/{id}/notes``; ``PATCH /v2/conversations/{id}`` (``move`` to the
queue's mailbox); ``GET /v2/conversations/{id}`` then ``PUT /v2/conversations/{id}/tags``
with its tags plus ours (the PUT replaces the list). No native priority: the note states it
and a ``priority-<level>`` tag is added.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import AnyHttpUrl, Field

from rapport_contracts import Author, HandoffPacket
from rapport_handoff.adapters._html import html_text
from rapport_handoff.adapters._note import render_note
from rapport_handoff.adapters._payload import customer_of, dig
from rapport_handoff.adapters._signatures import b64, header, hmac_digest, require_equal
from rapport_handoff.adapters._time import parse_time
from rapport_handoff.adapters._vendor import VendorAdapter, VendorOptions
from rapport_handoff.adapters.base import AdapterContext, Delivered, InboundBatch
from rapport_runtime.config import SecretRef, Site

SIGNATURE = "X-HelpScout-Signature"
EVENT = "X-HelpScout-Event"
CUSTOMER_EVENTS = {"convo.created", "convo.customer.reply.created"}
AGENT_EVENTS = {"convo.agent.reply.created"}


class HelpscoutOptions(VendorOptions):
    base_url: AnyHttpUrl = AnyHttpUrl("https://api.helpscout.net")
    app_id: str = Field(min_length=1, description="The OAuth2 app's id (client id).")
    app_secret: SecretRef = Field(description="The OAuth2 app's secret.")


class HelpscoutAdapter(VendorAdapter):
    name: ClassVar[str] = "helpscout"
    description: ClassVar[str] = (
        "Help Scout: note, move to the queue's mailbox, merged tags (priority as a tag)."
    )
    supports: ClassVar[tuple[str, ...]] = ("note", "team", "tags")
    Options = HelpscoutOptions
    secrets = ("app_secret",)

    def __init__(self, site: Site, context: AdapterContext) -> None:
        super().__init__(site, context)
        self._token: tuple[str, float] | None = None
        self.api.auth = self._bearer

    async def _bearer(self) -> Mapping[str, str]:
        if self._token is None or self._token[1] <= time.monotonic():
            answer = await self.api.call(
                "POST",
                "/v2/oauth2/token",
                form={
                    "grant_type": "client_credentials",
                    "client_id": self.options.app_id,
                    "client_secret": self.secret_values["app_secret"],
                },
                authenticated=False,
            )
            token = str(dig(answer, "access_token") or "")
            expires = float(dig(answer, "expires_in") or 3600)
            self._token = (token, time.monotonic() + max(60.0, expires - 60))
        return {"Authorization": f"Bearer {self._token[0]}"}

    # -- outbound ------------------------------------------------------------------------

    def tags_for(self, packet: HandoffPacket) -> list[str]:
        return [*super().tags_for(packet), f"priority-{packet.decision.priority}"]

    async def deliver(self, packet: HandoffPacket) -> Delivered:
        conversation = self.need_id(packet, "conversation_id")
        base = f"/v2/conversations/{conversation}"
        steps = self.steps(packet)
        note = {"text": render_note(packet, "html")}
        await steps.once("note", lambda: self.api.call("POST", f"{base}/notes", json_body=note))
        if (mailbox := self.team_for(packet)) is not None:
            move = {"op": "move", "path": "/mailboxId", "value": _int(mailbox)}
            await steps.once("move", lambda: self.api.call("PATCH", base, json_body=move))

        async def tags() -> Any:
            current = await self.api.call("GET", base)
            existing = [
                str(t.get("tag") or t.get("name"))
                for t in (dig(current, "tags") or [])
                if isinstance(t, dict) and (t.get("tag") or t.get("name"))
            ]
            merged = list(dict.fromkeys([*existing, *self.tags_for(packet)]))
            return await self.api.call("PUT", f"{base}/tags", json_body={"tags": merged})

        await steps.once("tags", tags)
        return Delivered(external_id=conversation, detail=f"noted conversation {conversation}")

    # -- inbound -------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        expected = b64(hmac_digest(self.webhook_secret, body, "sha1"))
        require_equal(expected, header(headers, SIGNATURE), SIGNATURE)

    def parse(self, body: bytes, headers: Mapping[str, str]) -> InboundBatch:
        data = self.load_json(body)
        event = header(headers, EVENT) or ""
        if not isinstance(data, dict) or not data.get("id"):
            return self.ignore(None, "no-conversation", event)
        conversation = data["id"]
        ids = {
            "conversation_id": conversation,
            "mailbox_id": data.get("mailboxId"),
            "customer_id": dig(data, "primaryCustomer", "id"),
        }
        if event == "convo.status":
            closed_at = data.get("closedAt") or data.get("userUpdatedAt")
            if str(data.get("status")) != "closed":
                return self.ignore(None, "status-not-resolved", event)
            status = self.status(
                conversation_id=conversation,
                event_id=f"{conversation}-closed-{closed_at}",
                status="closed",
                noun="conversation",
                sent_at=parse_time(data.get("closedAt")),
                provider_ids=ids,
            )
            return InboundBatch(None, [status])
        author: Author
        if event in CUSTOMER_EVENTS:
            wanted, author = "customer", "customer"
        elif event in AGENT_EVENTS:
            wanted, author = "message", "agent"
        else:
            return self.ignore(None, "not-a-message", event)
        threads = [
            t
            for t in dig(data, "_embedded", "threads") or []
            if isinstance(t, dict) and t.get("type") == wanted and t.get("id")
        ]
        if not threads:
            return self.ignore(None, "no-thread", event)
        thread = max(threads, key=lambda t: str(t.get("createdAt") or ""))
        created_by = thread.get("createdBy") or {}
        if author == "agent" and self.is_bot(created_by.get("id")):
            author = "bot"
        text = html_text(thread.get("body"))
        if not text:
            return self.ignore(None, "no-text", event)
        customer = None
        if author == "customer":
            primary = data.get("primaryCustomer") or {}
            customer = customer_of(
                primary.get("id"),
                primary.get("email") or created_by.get("email"),
                " ".join(str(x) for x in (primary.get("first"), primary.get("last")) if x),
            )
        return InboundBatch(
            None,
            [
                self.message(
                    conversation_id=conversation,
                    message_id=thread["id"],
                    author=author,
                    text=text,
                    sent_at=parse_time(thread.get("createdAt")),
                    channel=str(dig(data, "source", "type") or data.get("type") or "email"),
                    customer=customer,
                    provider_ids={**ids, "thread_id": thread["id"]},
                )
            ],
        )


def _int(value: str) -> int | str:
    return int(value) if value.isdigit() else value
