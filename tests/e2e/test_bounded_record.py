"""A long conversation through the three services as real processes keeps only its newest
RAPPORT_CONVERSATION_MAX_RECORDS messages and decisions in Redis, and everything that reads the
record still works: the edge's conversation view, the handoff packet (its transcript comes from
the kept messages), and `rapport forget` by customer id."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator

import httpx
import pytest
import redis as redis_sync

from rapport_runtime.erasure import conversations_of_customer, forget
from rapport_runtime.redis import ConversationKeys
from rapport_tools.dev import free_port
from tests.e2e.conftest import SERVICES, Pipeline
from tests.helpers import signed, wait_quiescent

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

CAP = 8
MESSAGES = 40


@pytest.fixture
def capped(redis_url: str, prefix: str, redis_client: redis_sync.Redis) -> Iterator[Pipeline]:
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "RAPPORT_PREFIX": prefix,
        "RAPPORT_POLL_MS": "20",
        "RAPPORT_GRACEFUL_TIMEOUT_S": "3",
        "RAPPORT_LOG_LEVEL": "WARNING",
        "RAPPORT_DEMO_SECRET": "demo-secret",
        "RAPPORT_ADMIN_TOKEN": "e2e-admin-token",
        "RAPPORT_CONVERSATION_MAX_RECORDS": str(CAP),
    }
    env.pop("RAPPORT_CONFIG", None)
    p = Pipeline(redis_url, prefix, env, ports={s: free_port() for s in SERVICES})
    p.metrics_ports = {s: free_port() for s in SERVICES}
    for service in SERVICES:
        p.start(service)
    try:
        for service in SERVICES:
            p.wait_ready(service)
        yield p
    finally:
        p.stop_all()


def test_a_long_conversation_keeps_its_newest_records_and_still_reads(
    capped: Pipeline, redis_client: redis_sync.Redis, prefix: str, redis_url: str
) -> None:
    texts = ["where is my parcel?", "still nothing", "this is useless, I want a human NOW"]
    with httpx.Client(base_url=capped.edge, timeout=10) as http:
        for i in range(MESSAGES):
            body = {
                "conversation_id": "long",
                "message_id": f"long-m{i:02d}",
                "author": "customer",
                "text": texts[min(i // 15, 2)],
                "customer": {"id": "cust-7"},
            }
            raw, headers = signed(body)
            assert (
                http.post("/v1/sites/demo/messages", content=raw, headers=headers).status_code
                == 202
            )
            if i % 5 == 4:
                wait_quiescent(redis_client, prefix, timeout=60)
        wait_quiescent(redis_client, prefix, timeout=60)
        keys = ConversationKeys(prefix, "demo", "long")
        kept = sorted(k.decode() for k in redis_client.hkeys(keys.messages))
        # The newest CAP, and at most a quarter more between trims.
        assert CAP <= len(kept) <= CAP + CAP // 4, kept
        assert kept[-CAP:] == [f"long-m{i:02d}" for i in range(MESSAGES - CAP, MESSAGES)]
        decisions = redis_client.hlen(keys.decisions)
        assert 1 <= decisions <= CAP + CAP // 4
        # The edge's view reads the capped record.
        view = http.get(
            "/v1/sites/demo/conversations/long",
            headers={"Authorization": "Bearer e2e-admin-token"},
        )
        assert view.status_code == 200, view.text
        shown = [m["message_id"] for m in view.json()["messages"]]
        assert shown == kept
        # Escalated: each packet's transcript came from the capped record of its time (never
        # more than the cap allows, though RAPPORT_TRANSCRIPT_TURNS is 50), the message that
        # escalated among them.
        inbox = redis_client.hgetall(keys.messages.replace(":messages", ":inbox"))
        assert inbox, "the conversation should have escalated"
        for raw_packet in inbox.values():
            packet = json.loads(raw_packet)
            ids = [t["message_id"] for t in packet["transcript"]]
            assert 1 <= len(ids) <= CAP + CAP // 4, ids
            assert ids == sorted(ids), ids
            assert packet["decision"]["message_id"] in ids

    async def erase() -> None:
        from redis.asyncio import Redis

        from rapport_contracts import Streams

        redis = Redis.from_url(redis_url)
        try:
            found = await conversations_of_customer(redis, Streams(prefix), "demo", "cust-7")
            assert found == {("demo", "long")}
            erased = await forget(redis, prefix, found)
            assert erased.keys >= 3
        finally:
            await redis.aclose()

    asyncio.run(erase())
    assert redis_client.exists(keys.messages, keys.decisions, keys.state) == 0
