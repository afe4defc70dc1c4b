"""A long conversation through the three services as real processes keeps only its newest
RAPPORT_CONVERSATION_MAX_RECORDS messages and decisions in Redis, and everything that reads the
record still works: the edge's conversation view, the handoff packet (its transcript comes from
the kept messages), and `rapport forget` by customer id.

On a single Redis and on a local 3-master cluster with four partitions (``backend``,
``tests/redis_backends.py``): the record lives in its conversation's partition, and
``rapport forget`` finds the customer by looking in every partition."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from rapport_runtime.redis import ConversationKeys
from tests.e2e.conftest import Pipeline, running_pipeline
from tests.helpers import signed
from tests.redis_backends import Backend

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

CAP = 8
MESSAGES = 40


@pytest.fixture
def capped(backend: Backend, prefix: str) -> Iterator[Pipeline]:
    yield from running_pipeline(
        backend.env(), prefix, {"RAPPORT_CONVERSATION_MAX_RECORDS": str(CAP)}
    )


def test_a_long_conversation_keeps_its_newest_records_and_still_reads(
    capped: Pipeline, backend: Backend, prefix: str
) -> None:
    client = backend.client
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
                backend.wait_quiescent(prefix, timeout=60)
        backend.wait_quiescent(prefix, timeout=60)
        keys = ConversationKeys(backend.conversation_prefix(prefix, "demo", "long"), "demo", "long")
        kept = sorted(k.decode() for k in client.hkeys(keys.messages))
        # The newest CAP, and at most a quarter more between trims.
        assert CAP <= len(kept) <= CAP + CAP // 4, kept
        assert kept[-CAP:] == [f"long-m{i:02d}" for i in range(MESSAGES - CAP, MESSAGES)]
        decisions = client.hlen(keys.decisions)
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
        inbox = client.hgetall(keys.messages.replace(":messages", ":inbox"))
        assert inbox, "the conversation should have escalated"
        for raw_packet in inbox.values():
            packet = json.loads(raw_packet)
            ids = [t["message_id"] for t in packet["transcript"]]
            assert 1 <= len(ids) <= CAP + CAP // 4, ids
            assert ids == sorted(ids), ids
            assert packet["decision"]["message_id"] in ids

    # The operator's erasure, as the operator runs it: `rapport forget` looks for the customer
    # in every partition's streams and erases the conversation in its own partition.
    erased = subprocess.run(
        [
            sys.executable,
            "-m",
            "rapport_tools.cli",
            "forget",
            "--site",
            "demo",
            "--customer",
            "cust-7",
        ],
        env={**capped.env, "RAPPORT_ARCHIVE_URL": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert erased.returncode == 0, erased.stderr
    assert erased.stdout.startswith("removed "), erased.stdout
    assert client.exists(keys.messages, keys.decisions, keys.state) == 0
    assert not [
        e for e in backend.events(prefix, "classified") if e["message"]["conversation_id"] == "long"
    ]
