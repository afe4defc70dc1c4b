"""Erasure of one person's data: after a real conversation went through the router (escalated,
so there are decisions, a packet, timers), `forget` leaves nothing of it in Redis, keeps the
other conversations, and says what it removed."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import redis as redis_sync
from redis.asyncio import Redis

from rapport_contracts import DATA_FIELD, ClassifiedMessage, Customer, Message
from rapport_contracts.stored import deflate, expand, is_deflated
from rapport_runtime.erasure import conversations_of_customer, forget
from rapport_runtime.redis import use_stored_form
from rapport_runtime.settings import RapportSettings
from tests.integration.test_handoff_loop import make_loop
from tests.integration.test_router import ASK

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("stored_form", ["json", "deflate"])
async def test_forget_removes_a_conversation_everywhere_and_keeps_the_others(
    make_settings: Callable[..., RapportSettings],
    redis_url: str,
    prefix: str,
    redis_client: redis_sync.Redis,
    stored_form: str,
) -> None:
    """In either stored form (RAPPORT_STORED_FORM): a deflated entry read as JSON would not
    parse, and an erasure that skipped what it cannot parse would keep it."""
    use_stored_form(stored_form)
    try:
        await _forget_everywhere(make_settings, redis_url, prefix, redis_client, stored_form)
    finally:
        use_stored_form("json")


async def _forget_everywhere(
    make_settings: Callable[..., RapportSettings],
    redis_url: str,
    prefix: str,
    redis_client: redis_sync.Redis,
    stored_form: str,
) -> None:
    loop = await make_loop(make_settings(), redis_url, prefix, None)
    try:
        await loop.send("customer", "jo@example.com here, I want a real person", signals=(ASK,))
        message = Message(
            site="demo",
            conversation_id="c1",
            message_id="m1",
            author="customer",
            text="jo@example.com here",
            sent_at=loop_time(),
            customer=Customer(id="u42"),
        )
        if stored_form == "deflate":
            # The customer is found from a deflated classified entry (the edge's inbound
            # stream stays JSON), and everything the router wrote is deflated.
            classified = ClassifiedMessage(message=message).compact_json()
            redis_client.xadd(f"{prefix}:classified", {DATA_FIELD: deflate(classified)})
            stored: Any = redis_client.xrange(f"{prefix}:decisions")
            assert is_deflated(stored[0][1][DATA_FIELD.encode()])
            assert is_deflated(redis_client.get(f"{prefix}:conv:{{demo:c1}}:state") or b"")
        else:
            redis_client.xadd(f"{prefix}:messages", {DATA_FIELD: message.model_dump_json()})
        other = f"{prefix}:conv:{{demo:c2}}:state"
        redis_client.set(other, "{}")
        client = Redis.from_url(redis_url)
        found = await conversations_of_customer(client, loop.stage.streams, "demo", "u42")
        assert found == {("demo", "c1")}

        preview = await forget(client, prefix, found, dry_run=True)
        assert preview.keys >= 2 and redis_client.exists(f"{prefix}:conv:{{demo:c1}}:state")
        erased = await forget(client, prefix, found)
        await client.aclose()
        assert erased.entries[f"{prefix}:decisions"] >= 1
        assert erased.entries[f"{prefix}:escalations"] == 1
        assert erased.timers >= 1
        assert "1 conversation(s)" in erased.summary()
        for stream in loop.stage.streams.all():
            for _, fields in redis_client.xrange(stream):
                assert b'"conversation_id":"c1"' not in expand(fields[b"__data__"]), stream
        leftover: list[Any] = [
            k for k in redis_client.scan_iter(match=f"{prefix}:conv:{{demo:c1}}*")
        ]
        assert leftover == []
        assert redis_client.exists(other)
        assert all(b"c1" not in m for m in redis_client.zrange(f"{prefix}:timers", 0, -1))
    finally:
        await loop.redis.aclose()


def loop_time() -> Any:
    from tests.integration.test_router import T0

    return T0


def test_the_forget_command_says_what_it_removed(
    redis_url: str, prefix: str, redis_client: redis_sync.Redis
) -> None:
    from typer.testing import CliRunner

    from rapport_tools.cli import app

    redis_client.set(f"{prefix}:conv:{{demo:c9}}:state", "{}")
    env = {"REDIS_URL": redis_url, "RAPPORT_PREFIX": prefix}
    runner = CliRunner()
    dry = runner.invoke(
        app, ["forget", "--site", "demo", "--conversation", "c9", "--dry-run"], env=env
    )
    assert dry.exit_code == 0 and "would remove 1 conversation(s): 1 key(s)" in dry.output
    assert redis_client.exists(f"{prefix}:conv:{{demo:c9}}:state")
    done = runner.invoke(app, ["forget", "--site", "demo", "--conversation", "c9"], env=env)
    assert done.exit_code == 0 and "removed 1 conversation(s): 1 key(s)" in done.output
    assert not redis_client.exists(f"{prefix}:conv:{{demo:c9}}:state")
    both = runner.invoke(app, ["forget", "--site", "demo"], env=env)
    assert both.exit_code == 2 and "exactly one of" in both.output


def test_forget_finds_and_erases_a_customer_in_every_partition(
    redis_url: str, prefix: str, redis_client: redis_sync.Redis
) -> None:
    """With RAPPORT_PARTITIONS=4 a customer's conversations sit in different partitions'
    streams and keys: `rapport forget --customer` finds each and erases it where it lives."""
    from typer.testing import CliRunner

    from rapport_contracts import DATA_FIELD
    from rapport_runtime.partitions import conversation_settings
    from rapport_runtime.settings import RapportSettings
    from rapport_tools.cli import app

    settings = RapportSettings(redis_url=redis_url, prefix=prefix, partitions=4, config=None)
    conversations = [f"c{n}" for n in range(8)]
    parts = {conversation_settings(settings, "demo", c).prefix for c in conversations}
    assert len(parts) > 1, "the test needs conversations in several partitions"
    for c in conversations:
        part = conversation_settings(settings, "demo", c)
        record = {
            "site": "demo",
            "conversation_id": c,
            "message_id": f"m-{c}",
            "author": "customer",
            "text": "my card is 4111 1111 1111 1111",
            "customer": {"id": "u42"},
        }
        redis_client.xadd(part.streams.messages, {DATA_FIELD: json.dumps(record)})
        redis_client.set(f"{part.prefix}:conv:{{demo:{c}}}:state", "{}")
    env = {"REDIS_URL": redis_url, "RAPPORT_PREFIX": prefix, "RAPPORT_PARTITIONS": "4"}
    done = CliRunner().invoke(app, ["forget", "--site", "demo", "--customer", "u42"], env=env)
    assert done.exit_code == 0, done.output
    assert "removed 8 conversation(s): 8 key(s)" in done.output
    for c in conversations:
        part = conversation_settings(settings, "demo", c)
        assert not redis_client.exists(f"{part.prefix}:conv:{{demo:{c}}}:state")
        assert redis_client.xlen(part.streams.messages) == 0
