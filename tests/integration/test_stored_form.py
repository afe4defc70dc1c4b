"""``RAPPORT_STORED_FORM=deflate`` end to end against a real Redis: the sentiment stage, the
router and the handoff stage store deflated entries (the history streams) and state, and every
reader reads them as before: the router's transcript in the handoff packet, the router
confirming the handoff from its deflated result, the console's conversation view, a dead
letter (its payload parked as JSON, so the DLQ tools and erasure read it). The pipes stay JSON
(the edge's inbound stream, which third parties may write to, and the escalations)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import redis as redis_sync
from redis.asyncio import Redis
from starlette.testclient import TestClient

from rapport_console.data import conversation, parts
from rapport_contracts import (
    Classification,
    ClassifiedMessage,
    DeadLetter,
    Decision,
    HandoffPacket,
    HandoffResult,
    Message,
)
from rapport_contracts.stored import deflate, expand, is_deflated
from rapport_handoff.app import create_app as create_handoff
from rapport_router.app import create_app as create_router
from rapport_router.state import parse_state
from rapport_runtime.redis import use_stored_form
from rapport_runtime.settings import RapportSettings
from rapport_sentiment.app import create_app as create_sentiment
from tests.helpers import wait_until

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)


@pytest.fixture
def deflating(make_settings: Callable[..., RapportSettings]) -> Iterator[RapportSettings]:
    """Settings with the deflated form; the process goes back to JSON afterwards (the form is
    process-wide, set by each service's app)."""
    yield make_settings(stored_form="deflate")
    use_stored_form("json")


def message(n: int, text: str) -> Message:
    return Message(
        site="demo",
        conversation_id="c1",
        message_id=f"m{n}",
        author="customer",
        text=text,
        sent_at=T0.replace(minute=n),
    )


def entries(r: redis_sync.Redis, stream: str) -> list[bytes]:
    found: Any = r.xrange(stream)
    return [f[b"__data__"] for _, f in found]


async def test_a_conversation_stored_deflated_reads_everywhere(
    deflating: RapportSettings, redis_client: redis_sync.Redis, prefix: str
) -> None:
    first = "Hi, what are your opening hours on Saturday?"
    second = "This is useless, I want to talk to a real person now"
    for n, text in enumerate((first, second), start=1):
        redis_client.xadd(f"{prefix}:messages", {"__data__": message(n, text).compact_json()})
        with TestClient(create_sentiment(deflating)), TestClient(create_router(deflating)):
            wait_until(lambda n=n: redis_client.xlen(f"{prefix}:decisions") == n, timeout=15)
    # The handoff stage delivers the packet (the demo site's inbox) and writes its result
    # deflated; the router reads that result and confirms the handoff in the state.
    with TestClient(create_handoff(deflating)), TestClient(create_router(deflating)):
        wait_until(
            lambda: (
                parse_state(redis_client.get(f"{prefix}:conv:{{demo:c1}}:state")).handoff_confirmed
            ),
            timeout=15,
        )
    [result] = entries(redis_client, f"{prefix}:handoffs")
    assert is_deflated(result) and HandoffResult.read(result).status == "delivered"

    classified = entries(redis_client, f"{prefix}:classified")
    decisions = entries(redis_client, f"{prefix}:decisions")
    packets = entries(redis_client, f"{prefix}:escalations")
    state = redis_client.get(f"{prefix}:conv:{{demo:c1}}:state")
    assert state is not None
    for value in (*classified, *decisions, state):
        assert is_deflated(value), value[:40]
    assert packets and not any(is_deflated(p) for p in packets)  # a pipe: JSON
    assert [ClassifiedMessage.read(c).message.text for c in classified] == [first, second]
    assert [Decision.read(d).route for d in decisions] == ["automation", "human"]
    assert parse_state(state).owner == "escalated"
    # The router's transcript: the first message read back from its deflated entry through
    # the conversation record's reference.
    [packet] = [HandoffPacket.read(p) for p in packets]
    assert [t.text for t in packet.transcript] == [first, second]

    redis = Redis.from_url(deflating.redis_url)
    try:
        [part] = await parts(redis, deflating)
        record = await conversation(part, "demo", "c1")
    finally:
        await redis.aclose()
    assert record is not None and record.state is not None
    assert record.state.owner == "escalated"
    assert [m.message.text for m in record.messages] == [first, second]
    assert [d.route for d in record.decisions] == ["automation", "human"]


def test_a_deflated_entry_that_cannot_be_processed_is_parked_as_json(
    deflating: RapportSettings,
    make_settings: Callable[..., RapportSettings],
    redis_client: redis_sync.Redis,
    prefix: str,
) -> None:
    """A site nobody configured: the router dead-letters the entry, and the dead letter's
    payload is its JSON, so `rapport dlq show`, a replay and erasure read it."""
    orphan = ClassifiedMessage(
        message=message(1, "hello").model_copy(update={"site": "ghost"}),
        classification=Classification(
            sentiment="neutral",
            sentiment_score=0,
            frustration=0,
            complexity=0,
            complexity_level="low",
            classifier_version="t",
        ),
    )
    stored = deflate(orphan.compact_json())
    redis_client.xadd(f"{prefix}:classified", {"__data__": stored})
    settings = make_settings(stored_form="deflate", reclaim_idle_ms=100, max_deliveries=2)
    with TestClient(create_router(settings)):
        letters = wait_until(lambda: entries(redis_client, f"{prefix}:dlq"), timeout=15)
    letter = DeadLetter.read(letters[0])
    assert is_deflated(letters[0])  # the letter itself is stored like every entry
    assert letter.payload == orphan.compact_json() == expand(stored).decode()
    assert ClassifiedMessage.read(letter.payload) == orphan
