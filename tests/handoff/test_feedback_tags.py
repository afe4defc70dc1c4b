"""Helpdesk feedback tags (issue 16 item 4): an agent tags the ticket
``rapport-unneeded-escalation`` or ``rapport-missed-escalation`` and the signed webhook the
helpdesk then sends becomes one ``Feedback`` event on the feedback stream.

Posted to the real handoff edge (its ASGI app with its lifespan, its signature checks and its
dedupe) on a real Redis, with the conversation's decisions written where the router writes them.
The payloads follow the vendors' documented webhook shapes: Zendesk's
``zen:event-type:ticket.tags_changed`` (``event.tags_added`` / ``tags_removed``, the ticket's
``detail`` with its ``tags``; developer.zendesk.com webhooks, ticket events) and Front's ``tag``
event (``target._meta.type: tag``, the tag in ``target.data``, the teammate in ``source``;
dev.frontapp.com application webhooks and the Core API's EventResponse), each in the envelope
the existing adapter tests use."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis as redis_sync
from redis.asyncio import Redis
from starlette.testclient import TestClient

from rapport_contracts import DATA_FIELD, Decision, Reason
from rapport_contracts.events import Feedback
from rapport_handoff.adapters._feedback import record_feedback
from rapport_handoff.adapters.base import InboundFeedback
from rapport_handoff.app import create_app
from rapport_runtime.redis import ConversationKeys
from rapport_runtime.settings import RapportSettings
from tests.handoff.adapters._sign import b64, hmac_raw, now_iso, now_ms
from tests.handoff.adapters.test_front import envelope
from tests.handoff.adapters.test_front import event as front_event
from tests.handoff.adapters.test_zendesk import comment_added

pytestmark = pytest.mark.integration

ZD_SECRET = "zd-signing-secret-0123456789"
FRONT_SECRET = "front-app-secret-0123456789"
TICKET = "5158"
FRONT_CONVERSATION = "cnv_55c8c149"
T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)

SITES = """
sites:
  acme:
    secret: {env: FB_ZD_SIGNING}
    adapter:
      type: zendesk
      base_url: https://acme.zendesk.example
      email: agent@acme.test
      api_token: {env: FB_ZD_TOKEN}
  north:
    secret: {env: FB_FRONT_SECRET}
    adapter:
      type: front
      api_token: {env: FB_FRONT_TOKEN}
"""


@pytest.fixture
def client(
    make_settings: Callable[..., RapportSettings],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[TestClient]:
    monkeypatch.setenv("FB_ZD_SIGNING", ZD_SECRET)
    monkeypatch.setenv("FB_ZD_TOKEN", "zd-api-token")
    monkeypatch.setenv("FB_FRONT_SECRET", FRONT_SECRET)
    monkeypatch.setenv("FB_FRONT_TOKEN", "front-token")
    config = tmp_path / "sites.yaml"
    config.write_text(SITES)
    with TestClient(create_app(make_settings(config=str(config)))) as c:
        yield c


def decision(
    site: str, conversation: str, n: int, route: str, rule: str, *, shadow: bool = False
) -> Decision:
    human = route == "human"
    return Decision(
        decision_id=f"d-{site}-{n}{'-shadow' if shadow else ''}",
        site=site,
        conversation_id=conversation,
        message_id=f"m-{n}",
        route=route,  # type: ignore[arg-type]
        queue="support" if human else None,
        priority="high" if human else "low",
        reasons=(Reason(rule=rule, signal="frustration", value=0.8, threshold=0.6),),
        policy_id="default",
        policy_version="5",
        classifier_version="lexicon-3.2",
        shadow=shadow,
        decided_at=T0 + timedelta(minutes=n),
    )


def record(client: redis_sync.Redis, prefix: str, *decisions: Decision) -> None:
    """Decisions where the router's stage writes them (a hash per conversation)."""
    for d in decisions:
        keys = ConversationKeys(prefix, d.site, d.conversation_id)
        client.hset(keys.decisions, d.decision_id, d.model_dump_json())


def history(client: redis_sync.Redis, site: str, conversation: str, prefix: str) -> None:
    """Two automated turns, then an escalation by rule ``frustrated``, then the router's own
    ``human-owns-conversation`` decision and a shadow verdict (neither is what a tag judges)."""
    record(
        client,
        prefix,
        decision(site, conversation, 1, "automation", "default"),
        decision(site, conversation, 2, "automation", "default"),
        decision(site, conversation, 3, "human", "frustrated"),
        decision(site, conversation, 4, "human", "human-owns-conversation"),
        decision(site, conversation, 5, "human", "frustrated", shadow=True),
    )


def feedback(client: redis_sync.Redis, prefix: str) -> list[Feedback]:
    return [Feedback.read(f[DATA_FIELD.encode()]) for _, f in client.xrange(f"{prefix}:feedback")]


def zendesk_tags_changed(
    added: list[str], tags: list[str], event_id: str = "e-tags-1"
) -> dict[str, Any]:
    # zen:event-type:ticket.tags_changed as Zendesk documents it: the ticket in `detail`
    # (tags as they now are, actor_id the agent who changed them), the change in `event`.
    return {
        "type": "zen:event-type:ticket.tags_changed",
        "account_id": 22129848,
        "id": event_id,
        "time": "2026-11-26T11:00:00.000000000Z",
        "zendesk_event_version": "2022-11-06",
        "subject": f"zen:ticket:{TICKET}",
        "detail": {
            "actor_id": "8447388090495",
            "id": TICKET,
            "requester_id": "8447388090494",
            "priority": "HIGH",
            "status": "OPEN",
            "group_id": "8447320466430",
            "tags": tags,
            "via": {"channel": "web_service"},
        },
        "event": {"tags_added": added, "tags_removed": []},
    }


def zendesk_post(c: TestClient, payload: dict[str, Any], invocation: str) -> int:
    body = json.dumps(payload).encode()
    ts = now_iso()
    headers = {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Signature": b64(hmac_raw(ZD_SECRET, ts.encode() + body, "sha256")),
        "X-Zendesk-Webhook-Signature-Timestamp": ts,
        "X-Zendesk-Webhook-Invocation-Id": invocation,
    }
    response = c.post("/v1/sites/acme/webhooks/zendesk", content=body, headers=headers)
    assert response.status_code in (200, 202, 204), response.text
    return int(response.status_code)


def front_tag(tag: str, conversation_tags: list[str], event_id: str) -> dict[str, Any]:
    # A Front `tag` event: the tag just added is the target, the teammate who added it the
    # source; the conversation carries its tags (objects with a name).
    body = front_event("tag", None, event_id)
    body["target"] = {
        "_meta": {"type": "tag"},
        "data": {"id": f"tag_{abs(hash(tag)) % 10**6}", "name": tag, "is_private": False},
    }
    body["source"] = {"_meta": {"type": "teammate"}, "data": {"id": "tea_55c8", "email": "s@x"}}
    body["conversation"]["tags"] = [
        {"id": f"tag_{i}", "name": t} for i, t in enumerate(conversation_tags)
    ]
    return envelope(body)


def front_post(c: TestClient, payload: dict[str, Any]) -> int:
    body = json.dumps(payload).encode()
    ts = now_ms()
    headers = {
        "Content-Type": "application/json",
        "X-Front-Signature": b64(hmac_raw(FRONT_SECRET, ts.encode() + b":" + body, "sha256")),
        "X-Front-Request-Timestamp": ts,
    }
    response = c.post("/v1/sites/north/webhooks/front", content=body, headers=headers)
    assert response.status_code in (200, 202, 204), response.text
    return int(response.status_code)


def test_a_zendesk_unneeded_escalation_tag_is_one_feedback_event(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str
) -> None:
    history(redis_client, "acme", TICKET, prefix)
    tag = "rapport-unneeded-escalation"
    assert zendesk_post(client, zendesk_tags_changed([tag], ["mobile", tag]), "inv-1") == 204
    [event] = feedback(redis_client, prefix)
    assert (event.site, event.conversation_id, event.verdict) == (
        "acme",
        TICKET,
        "unneeded-escalation",
    )
    # The rule's escalation, not the router's ownership decision nor the shadow verdict.
    assert (event.decision_id, event.route, event.rule) == ("d-acme-3", "human", "frustrated")
    assert (event.source, event.author) == ("helpdesk", "zendesk:8447388090495")
    # Zendesk retries the delivery, and every later event of the ticket carries the tag again
    # (here a public customer comment, which is itself accepted as a message): still one.
    assert zendesk_post(client, zendesk_tags_changed([tag], ["mobile", tag]), "inv-1") == 204
    assert zendesk_post(client, zendesk_tags_changed([], ["mobile", tag], "e-2"), "inv-2") == 204
    comment = comment_added({"id": "8447388090494", "is_staff": False, "name": "Jo"})
    comment["detail"]["tags"] = ["mobile", tag]
    assert zendesk_post(client, comment, "inv-3") == 202
    assert len(feedback(redis_client, prefix)) == 1


def test_a_zendesk_missed_escalation_tag_judges_the_last_automated_turn(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str
) -> None:
    history(redis_client, "acme", TICKET, prefix)
    tag = "rapport-missed-escalation"
    zendesk_post(client, zendesk_tags_changed([tag], [tag]), "inv-1")
    [event] = feedback(redis_client, prefix)
    assert (event.verdict, event.decision_id, event.route) == (
        "missed-escalation",
        "d-acme-2",
        "automation",
    )


def test_zendesk_events_without_a_feedback_tag_write_no_feedback(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str
) -> None:
    history(redis_client, "acme", TICKET, prefix)
    assert zendesk_post(client, zendesk_tags_changed(["vip"], ["mobile", "vip"]), "inv-1") == 204
    # A look-alike tag is not a feedback tag.
    look_alike = zendesk_tags_changed(["rapport-unneeded"], ["rapport-unneeded"], "e-2")
    assert zendesk_post(client, look_alike, "inv-2") == 204
    assert zendesk_post(client, comment_added({"id": "1", "is_staff": False}), "inv-3") == 202
    assert feedback(redis_client, prefix) == []


def test_a_tag_on_a_ticket_rapport_never_decided_writes_nothing(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str
) -> None:
    tag = "rapport-unneeded-escalation"
    assert zendesk_post(client, zendesk_tags_changed([tag], [tag]), "inv-1") == 204
    assert feedback(redis_client, prefix) == []


def test_a_front_tag_event_is_one_feedback_event(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str
) -> None:
    history(redis_client, "north", FRONT_CONVERSATION, prefix)
    tag = "rapport-unneeded-escalation"
    assert front_post(client, front_tag(tag, [tag], "evt_tag_1")) == 204
    [event] = feedback(redis_client, prefix)
    assert (event.site, event.conversation_id, event.decision_id, event.verdict) == (
        "north",
        FRONT_CONVERSATION,
        "d-north-3",
        "unneeded-escalation",
    )
    assert (event.source, event.author) == ("helpdesk", "front:tea_55c8")
    # The same event again, and a later inbound message on the still-tagged conversation.
    assert front_post(client, front_tag(tag, [tag], "evt_tag_1")) == 204
    inbound = front_event(
        "inbound",
        {
            "id": "msg_1",
            "type": "email",
            "is_inbound": True,
            "created_at": 1795687200.0,
            "author": None,
            "recipients": [{"handle": "jo@example.com", "role": "from"}],
            "text": "Thanks, all good now",
        },
        "evt_in_1",
    )
    inbound["conversation"]["tags"] = [{"id": "tag_9", "name": tag}]
    assert front_post(client, envelope(inbound)) == 202
    assert len(feedback(redis_client, prefix)) == 1


def test_a_front_missed_escalation_tag_and_a_tagless_event(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str
) -> None:
    history(redis_client, "north", FRONT_CONVERSATION, prefix)
    assert front_post(client, front_tag("billing", ["billing"], "evt_tag_0")) == 204
    assert feedback(redis_client, prefix) == []
    # Front sends tag names as the teammate typed them: case and spaces do not matter.
    assert front_post(client, front_tag(" Rapport-Missed-Escalation", [], "evt_tag_1")) == 204
    [event] = feedback(redis_client, prefix)
    assert (event.verdict, event.decision_id) == ("missed-escalation", "d-north-2")


def test_concurrent_retries_of_one_tag_write_one_event(
    make_settings: Callable[..., RapportSettings],
    redis_client: redis_sync.Redis,
    redis_url: str,
    prefix: str,
) -> None:
    """A vendor retries a delivery that timed out while the first is still being handled: both
    see no feedback yet, and still only one event may be written."""
    history(redis_client, "acme", TICKET, prefix)
    settings = make_settings()
    item = InboundFeedback(TICKET, "unneeded-escalation", "rapport-unneeded-escalation")

    async def race() -> list[list[Feedback]]:
        redis = Redis.from_url(redis_url)
        try:
            return await asyncio.gather(
                *(record_feedback(redis, settings, "acme", "zendesk", [item]) for _ in range(8))
            )
        finally:
            await redis.aclose()

    written = asyncio.run(race())
    assert sum(len(w) for w in written) == 1
    assert len(feedback(redis_client, prefix)) == 1
