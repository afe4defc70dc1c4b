"""The router's round trips against a real Redis (issue 14, "less CPU per message"): WATCH and
the batch's reads sent at once (``watch_and_mget``), and an escalation's transcript taken from
the classified entries the router already parsed, the others read from their stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import WatchError

from rapport_contracts import Author, Classification, ClassifiedMessage, Message
from rapport_contracts.policy import Policy
from rapport_router.stage import ClassifiedCache, RouterStage
from rapport_runtime.config import AdapterConfig, Site, Sites
from rapport_runtime.consumer import Entry
from rapport_runtime.redis import ConversationKeys, Writes, watch_and_mget, watch_and_read
from rapport_runtime.service import Runtime
from rapport_runtime.settings import RapportSettings

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 1, tzinfo=UTC)
EVERYTHING_TO_A_PERSON = Policy.model_validate(
    {"id": "all", "version": "1", "rules": [{"name": "all", "route": "human", "queue": "vip"}]}
)


@pytest.fixture
async def redis(redis_url: str, prefix: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    keys = [k async for k in client.scan_iter(match=f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_watch_and_mget_reads_and_a_change_in_between_aborts(
    redis: Redis, redis_url: str, prefix: str
) -> None:
    a, b = f"{prefix}:a", f"{prefix}:b"
    await redis.set(a, "1")
    other = Redis.from_url(redis_url)
    try:
        # Untouched between the reads and EXEC: the transaction commits.
        async with redis.pipeline(transaction=True) as pipe:
            assert await watch_and_mget(pipe, [a], [a, b]) == [b"1", None]
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.set(a, "2")
            assert await pipe.execute() == [True]
        assert await redis.get(a) == b"2"

        # Another client writes a watched key in between: EXEC aborts, its write stays.
        async with redis.pipeline(transaction=True) as pipe:
            assert await watch_and_mget(pipe, [a], [a]) == [b"2"]
            await other.set(a, "theirs")
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.set(a, "mine")
            with pytest.raises(WatchError):
                await pipe.execute()
        assert await redis.get(a) == b"theirs"

        # A key read but not watched does not abort it.
        async with redis.pipeline(transaction=True) as pipe:
            await watch_and_mget(pipe, [a], [a, b])
            await other.set(b, "unwatched")
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.set(a, "3")
            await pipe.execute()
        assert await redis.get(a) == b"3"
    finally:
        await other.aclose()


async def test_watch_and_mget_on_a_killed_connection_raises_watch_error(
    redis: Redis, prefix: str
) -> None:
    key = f"{prefix}:k"
    await redis.set(key, "v")
    async with redis.pipeline(transaction=True) as pipe:
        pool = pipe.connection_pool
        conn = pipe.connection = await pool.get_connection()  # type: ignore[no-untyped-call]
        await conn.send_command("CLIENT", "ID")
        client_id = await conn.read_response()
        await redis.client_kill_filter(_id=client_id)
        with pytest.raises(WatchError):
            await watch_and_mget(pipe, [key], [key])
    # The connection was dropped, not handed back half-read: the next transaction works.
    async with redis.pipeline(transaction=True) as pipe:
        assert await watch_and_mget(pipe, [key], [key]) == [b"v"]
        pipe.multi()  # type: ignore[no-untyped-call]
        pipe.set(key, "w")
        await pipe.execute()
    assert await redis.get(key) == b"w"


@pytest.mark.parametrize("protocol", [2, 3])
async def test_watch_and_read_reads_the_hashes_in_the_same_round_trip(
    redis_url: str, prefix: str, protocol: int
) -> None:
    """The hashes come back as dicts on either protocol (RESP2 sends a flat list), a missing
    one as an empty dict, and the WATCH still guards the transaction."""
    client = Redis.from_url(redis_url, protocol=protocol)
    a, h1, h2 = f"{prefix}:a", f"{prefix}:h1", f"{prefix}:missing"
    try:
        await client.set(a, "1")
        await client.hset(h1, mapping={"m1": "r1", "m2": "r2"})
        async with client.pipeline(transaction=True) as pipe:
            values, hashes = await watch_and_read(pipe, [a], [a], [h1, h2])
            assert values == [b"1"]
            assert hashes == [{b"m1": b"r1", b"m2": b"r2"}, {}]
            await client.set(a, "theirs")  # another connection writes the watched key
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.set(a, "mine")
            with pytest.raises(WatchError):
                await pipe.execute()
        assert await client.get(a) == b"theirs"
    finally:
        await client.aclose()


def classified(n: int, author: Author, text: str) -> ClassifiedMessage:
    message = Message(
        site="demo",
        conversation_id="c1",
        message_id=f"m{n}",
        author=author,
        text=text,
        sent_at=T0 + timedelta(minutes=n),
    )
    classification = None
    if author == "customer":
        classification = Classification(
            sentiment="negative",
            sentiment_score=-0.5,
            frustration=0.5,
            complexity=0.1,
            complexity_level="low",
            classifier_version="t",
        )
    return ClassifiedMessage(message=message, classification=classification)


async def record(redis: Redis, settings: RapportSettings, event: ClassifiedMessage) -> str:
    """What the sentiment stage does: the entry in the classified stream, the conversation's
    messages hash referring to it; returns the entry's id."""
    keys = ConversationKeys(settings.prefix, event.message.site, event.message.conversation_id)
    writes = Writes()
    writes.xadd_ref(
        settings.streams.classified, event, 1000, keys.messages, event.message.message_id
    )
    await writes.apply(redis)
    newest: Any = await redis.xrevrange(settings.streams.classified, count=1)
    return str(newest[0][0].decode())


def router(settings: RapportSettings, redis: Redis) -> RouterStage:
    site = Site("demo", "s", AdapterConfig(), EVERYTHING_TO_A_PERSON, lambda loc: "")
    return RouterStage(settings, Runtime(settings, redis), Sites({"demo": site}, "test"))


async def packets(redis: Redis, settings: RapportSettings) -> list[list[str]]:
    return [
        [t["message_id"] for t in json.loads(f[b"__data__"])["transcript"]]
        for _, f in await redis.xrange(settings.streams.escalations)
    ]


async def test_a_transcript_reads_only_the_entries_the_router_has_not_parsed(
    redis: Redis, make_settings: Callable[..., RapportSettings]
) -> None:
    settings = make_settings()
    stage = router(settings, redis)
    # m1, the bot's greeting, was recorded but never reached this router (a restart, say).
    await record(redis, settings, classified(1, "bot", "Hello! How can I help?"))
    m2 = classified(2, "customer", "my parcel never came and nobody answers")
    m2_id = await record(redis, settings, m2)
    await stage.process([Entry(m2_id, m2)])

    assert await packets(redis, settings) == [["m1", "m2"]]
    # m1 came from the stream and is kept; m2 was the batch's own entry.
    assert len(stage.classified) == 2

    # A fresh router (nothing parsed yet) builds the same packet from the stream alone.
    await redis.delete(settings.streams.escalations, f"{settings.prefix}:conv:{{demo:c1}}:state")
    await redis.delete(*[k async for k in redis.scan_iter(match=f"{settings.prefix}:seen:*")])
    cold = router(settings, redis)
    await cold.process([Entry(m2_id, m2)])
    assert await packets(redis, settings) == [["m1", "m2"]]


async def test_an_entry_its_stream_no_longer_holds_is_left_out_unless_parsed(
    redis: Redis, make_settings: Callable[..., RapportSettings]
) -> None:
    settings = make_settings()
    stage = router(settings, redis)
    m1_id = await record(redis, settings, classified(1, "bot", "Hello!"))
    await redis.xdel(settings.streams.classified, m1_id)  # trimmed (or erased) from the stream
    m2 = classified(2, "customer", "I want a person")
    m2_id = await record(redis, settings, m2)
    await stage.process([Entry(m2_id, m2)])
    assert await packets(redis, settings) == [["m2"]]


def test_the_cache_keeps_the_last_used_entries() -> None:
    cache = ClassifiedCache(size=2)
    a, b, c = (classified(n, "bot", "x") for n in (1, 2, 3))
    cache.put("s", "1-0", a)
    cache.put("s", "2-0", b)
    assert cache.get("s", "1-0") is a  # used: now the newest
    cache.put("s", "3-0", c)
    assert (cache.get("s", "1-0"), cache.get("s", "2-0"), cache.get("s", "3-0")) == (a, None, c)
    assert cache.get("other", "1-0") is None  # the stream is part of the key


async def test_an_escalating_batch_takes_two_round_trips_after_its_read(
    redis: Redis, make_settings: Callable[..., RapportSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the batch is read: the WATCH with the states, the dedupe keys and the transcripts'
    hashes; nothing between the decision and the MULTI (the transcripts' entries are the
    router's own); the MULTI. Counted as the writes redis-py's connections send while the
    batch is processed. The code before sent three at least (the hashes in a round trip of
    their own, on a second connection whose handshake adds more the first time: 7 here)."""
    from redis.asyncio.connection import AbstractConnection

    settings = make_settings()
    stage = router(settings, redis)
    await redis.ping()  # the client's first connection is made before counting
    first = classified(1, "customer", "my parcel never came")
    second = classified(2, "customer", "and nobody answers")
    second = second.model_copy(
        update={"message": second.message.model_copy(update={"conversation_id": "c2"})}
    )
    batch = [Entry(await record(redis, settings, e), e) for e in (first, second)]

    sent: list[int] = []
    original = AbstractConnection.send_packed_command

    async def counted(self: AbstractConnection, command: Any, check_health: bool = True) -> None:
        sent.append(1)
        await original(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    await stage.process(batch)
    monkeypatch.undo()

    assert sorted(await packets(redis, settings)) == [["m1"], ["m2"]]
    assert len(sent) == 2  # the WATCH round trip and the MULTI: no HGETALL of its own
