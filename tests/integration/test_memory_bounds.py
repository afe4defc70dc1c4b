"""Bounded Redis memory (issue 14): a conversation's record keeps its newest N messages,
decisions and handoffs; streams are trimmed by age, never past an entry some consumer group
has not read or not acked; dedupe keys have one short length whatever the ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import redis as redis_sync
from redis.asyncio import Redis

from rapport_contracts import Streams
from rapport_runtime.redis import (
    Writes,
    dedupe_key,
    record_ref,
    record_tag,
    resolve_record_maps,
    resolve_records,
    safe_min_id,
    trim_by_age,
)

pytestmark = pytest.mark.integration


def record(i: int, at: datetime) -> str:
    return json.dumps({"message": {"message_id": f"m{i}", "received_at": at.isoformat()}})


async def test_hcap_keeps_the_newest_records_by_their_time_whatever_the_offset(
    redis_url: str, prefix: str
) -> None:
    redis = Redis.from_url(redis_url)
    key = f"{prefix}:conv:{{demo:c}}:messages"
    base = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    try:
        # 130 records written in a shuffled order, every third one stamped in UTC+05:30 and
        # every fifth with no fraction of a second: the order is the instants', not the text's.
        order = [(i * 37) % 130 for i in range(130)]
        for n, i in enumerate(order):
            at = base + timedelta(seconds=i)
            if i % 3 == 0:
                at = at.astimezone(timezone(timedelta(hours=5, minutes=30)))
            if i % 5 != 0:
                at += timedelta(microseconds=250_000)
            writes = Writes()
            writes.hset(key, f"m{i}", record(i, at))
            writes.hcap(key, 100, "received_at")
            await writes.apply(redis)
            # Never more than 100 + a quarter, and never fewer than 100 once 100 were written.
            assert min(n + 1, 100) <= await redis.hlen(key) <= 125
        kept = {k.decode() for k in await redis.hkeys(key)}
        # Records arrived shuffled; the last trim kept the 100 newest instants seen so far.
        assert len(kept) <= 125
        newest_30 = {f"m{i}" for i in range(100, 130)}
        assert newest_30 <= kept
        writes = Writes()
        writes.hcap(key, 10, "received_at")
        await writes.apply(redis)
        assert {k.decode() for k in await redis.hkeys(key)} == {f"m{i}" for i in range(120, 130)}
    finally:
        await redis.delete(key)
        await redis.aclose()


async def test_age_trimming_never_drops_what_a_group_has_not_read_or_acked(
    redis_url: str, prefix: str, redis_client: redis_sync.Redis
) -> None:
    streams = Streams(prefix)
    old_ms = int((datetime.now(UTC) - timedelta(days=30)).timestamp() * 1000)
    s = streams.classified  # history: 7 days by default
    for i in range(30):
        redis_client.xadd(s, {"__data__": "x"}, id=f"{old_ms + i}-0")
    redis_client.xgroup_create(s, "router", id="0")
    redis_client.xgroup_create(s, "someone-else", id="0")
    # router: read 20, acked the first 10 (10..19 pending, 20..29 unread).
    read: Any = redis_client.xreadgroup("router", "a", {s: ">"}, count=20)
    ids = [entry_id for entry_id, _ in read[0][1]]
    redis_client.xack(s, "router", *ids[:10])
    # someone-else: read and acked 25.
    other: Any = redis_client.xreadgroup("someone-else", "b", {s: ">"}, count=25)
    redis_client.xack(s, "someone-else", *(entry_id for entry_id, _ in other[0][1]))
    # No group on decisions: old entries go; new ones stay.
    redis_client.xadd(streams.decisions, {"__data__": "old"}, id=f"{old_ms}-0")
    redis_client.xadd(streams.decisions, {"__data__": "new"})
    # The DLQ is never trimmed by age.
    redis_client.xadd(streams.dlq, {"__data__": "parked"}, id=f"{old_ms}-0")
    redis = Redis.from_url(redis_url)
    try:
        assert await safe_min_id(redis, s, old_ms + 10_000) == f"{old_ms + 10}-0"
        removed = await trim_by_age(redis, streams, 600, 7 * 86400, approximate=False)
        assert removed == 11  # 10 classified + 1 decision
        left = [e.decode() for e, _ in redis_client.xrange(s)]
        assert left == [f"{old_ms + i}-0" for i in range(10, 30)]
        assert [f[b"__data__"] for _, f in redis_client.xrange(streams.decisions)] == [b"new"]
        assert redis_client.xlen(streams.dlq) == 1
        # Once everything is acked everywhere, the old entries go too.
        redis_client.xack(s, "router", *ids[10:])
        rest: Any = redis_client.xreadgroup("router", "a", {s: ">"}, count=100)
        redis_client.xack(s, "router", *(e for e, _ in rest[0][1]))
        other = redis_client.xreadgroup("someone-else", "b", {s: ">"}, count=100)
        redis_client.xack(s, "someone-else", *(e for e, _ in other[0][1]))
        await trim_by_age(redis, streams, 600, 7 * 86400, approximate=False)
        assert redis_client.xlen(s) == 0
    finally:
        await redis.aclose()
        redis_client.delete(s, streams.decisions, streams.dlq)


async def test_approximate_trimming_keeps_every_unread_entry(
    redis_url: str, prefix: str, redis_client: redis_sync.Redis
) -> None:
    """``XTRIM MINID ~`` removes whole nodes only; it must still never reach an unread entry."""
    streams = Streams(prefix)
    old_ms = int((datetime.now(UTC) - timedelta(hours=2)).timestamp() * 1000)
    s = streams.messages  # a hop: 10 minutes by default
    pipe = redis_client.pipeline()
    for i in range(1000):
        pipe.xadd(s, {"__data__": "x"}, id=f"{old_ms + i}-0")
    pipe.execute()
    redis_client.xgroup_create(s, "sentiment", id="0")
    read: Any = redis_client.xreadgroup("sentiment", "a", {s: ">"}, count=700)
    redis_client.xack(s, "sentiment", *(e for e, _ in read[0][1]))
    redis = Redis.from_url(redis_url)
    try:
        removed = await trim_by_age(redis, streams, 600, 7 * 86400)
        assert 0 < removed <= 700
        first = redis_client.xrange(s, count=1)[0][0].decode()
        assert int(first.split("-")[0]) <= old_ms + 700
        assert redis_client.xlen(s) == 1000 - removed
    finally:
        await redis.aclose()
        redis_client.delete(s)


def test_dedupe_keys_have_one_short_length_and_a_readable_scope() -> None:
    short = dedupe_key("rapport", "edge", "demo", "c", "m")
    uuids = dedupe_key("rapport", "edge", "demo", "0" * 36, "f" * 36)
    assert len(short) == len(uuids) == len("rapport:seen:edge:") + 16
    assert uuids.startswith("rapport:seen:edge:")
    assert dedupe_key("rapport", "edge", "demo", "order", "42:1") != dedupe_key(
        "rapport", "edge", "demo", "order:42", "1"
    )
    assert dedupe_key("p", "router", "a") != dedupe_key("p", "edge", "a")


async def test_a_batch_of_writes_lands_byte_for_byte_whatever_the_text(
    redis_url: str, prefix: str
) -> None:
    """The batch travels as one JSON argument the script decodes (issue 14, fewer arguments
    to pack): quotes, backslashes, NUL, accents, emoji (a surrogate pair in JSON) and an
    empty string come out exactly as they went in, and a command outside the list is
    refused."""
    redis = Redis.from_url(redis_url)
    texts = ['{"text": "a \\"quoted\\" \\\\ path"}', "nul\x00byte", "ça, größer, 日本", "🙂🚀", ""]
    stream, key = f"{prefix}:writes:stream", f"{prefix}:writes:hash"
    try:
        writes = Writes()
        for i, text in enumerate(texts):
            writes.hset(key, f"f{i}", text)
            writes.xadd(stream, text, 1000)
        writes.expire(key, 60)
        await writes.apply(redis)
        stored = await redis.hgetall(key)
        assert [stored[f"f{i}".encode()].decode() for i in range(len(texts))] == texts
        entries = await redis.xrange(stream)
        assert [fields[b"__data__"].decode() for _, fields in entries] == texts
        assert 0 < await redis.ttl(key) <= 60

        bad = Writes()
        bad._op("FLUSHALL")
        with pytest.raises(Exception, match="command not allowed: FLUSHALL"):
            await bad.apply(redis)
        assert await redis.hlen(key) == len(texts)
    finally:
        await redis.delete(stream, key)
        await redis.aclose()


async def test_a_record_refers_to_its_stream_entry_instead_of_a_second_copy(
    redis_url: str, prefix: str
) -> None:
    """Each message and decision is stored once (issue 14): the stream entry holds the JSON,
    the conversation's record a ~40-byte reference to it, so the record stays a listpack on
    a default Redis; readers get the JSON back in one round trip, JSON values written before
    references pass through, an entry the stream no longer holds is left out, and the record
    is still capped to its newest N by the entries' times."""
    redis = Redis.from_url(redis_url)
    stream, key = f"{prefix}:refs:classified", f"{prefix}:conv:{{demo:c}}:messages"
    events = [json.dumps({"message_id": f"m{i}", "text": "x" * 500}) for i in range(12)]
    try:
        writes = Writes()
        for i, data in enumerate(events):
            writes.xadd_ref(stream, data, 1000, key, f"m{i}")
        await writes.apply(redis)
        stored: dict[Any, Any] = await redis.hgetall(key)
        assert all(len(v) < 64 for v in stored.values()), stored
        assert await redis.object("ENCODING", key) == b"listpack"
        refs = [record_ref(stored[f"m{i}".encode()]) for i in range(12)]
        entries: Any = await redis.xrange(stream)
        assert refs == [(stream, entry_id.decode()) for entry_id, _ in entries]

        (resolved,) = await resolve_record_maps(redis, [stored])
        assert {f.decode(): v.decode() for f, v in resolved.items()} == {
            f"m{i}": data for i, data in enumerate(events)
        }
        # An older record's JSON value is returned as it is, beside resolved references.
        assert await resolve_records(redis, [b'{"old": 1}', stored[b"m0"]]) == [
            [b'{"old": 1}', events[0].encode()]
        ]
        # An entry trimmed or erased from the stream: the record shows what is still there.
        await redis.xdel(stream, entries[0][0])
        (left,) = await resolve_records(redis, [stored[b"m0"], stored[b"m1"]])
        assert left == [events[1].encode()]

        capped = Writes()
        capped.hcap(key, 4, "received_at")  # 12 > 4 + 1: trimmed to the newest 4 entries
        await capped.apply(redis)
        assert sorted(k.decode() for k in await redis.hkeys(key)) == ["m10", "m11", "m8", "m9"]
    finally:
        await redis.delete(stream, key)
        await redis.aclose()


async def test_a_tagged_reference_carries_the_status_and_is_capped_by_its_entry(
    redis_url: str, prefix: str
) -> None:
    """The handoffs record (issue 14): ``<status>:<entry id>@<stream>`` instead of a second
    copy of the HandoffResult JSON; the status reads without the entry (the "delivered
    already?" check must not depend on an entry MAXLEN may have trimmed), the entry resolves
    like any reference, and the record is capped by the entries' ids, mixed with JSON values
    recorded before."""
    redis = Redis.from_url(redis_url)
    stream, key = f"{prefix}:refs:handoffs", f"{prefix}:conv:{{demo:c}}:handoffs"
    old = json.dumps({"handoff_id": "h-old", "status": "delivered", "at": "2020-01-01T00:00:00Z"})
    events = [json.dumps({"handoff_id": f"h{i}", "detail": "x" * 200}) for i in range(8)]
    try:
        await redis.hset(key, "h-old", old)
        writes = Writes()
        for i, data in enumerate(events):
            writes.xadd_ref(
                stream, data, 1000, key, f"h{i}", tag="failed" if i % 2 else "delivered"
            )
        await writes.apply(redis)
        stored: dict[Any, Any] = await redis.hgetall(key)
        entries: Any = await redis.xrange(stream)
        for i, (entry_id, _) in enumerate(entries):
            value = stored[f"h{i}".encode()]
            status = "failed" if i % 2 else "delivered"
            assert value.decode() == f"{status}:{entry_id.decode()}@{stream}"
            assert record_ref(value) == (stream, entry_id.decode())
            assert record_tag(value) == status
        assert record_tag(old) is None and record_ref(old) is None
        assert record_tag(f"{entries[0][0].decode()}@{stream}") is None  # untagged
        (resolved,) = await resolve_records(redis, list(stored.values()))
        assert sorted(resolved) == sorted([old.encode(), *(e.encode() for e in events)])

        capped = Writes()
        capped.hcap(key, 3, "at")  # 9 > 3 + 1: the newest 3, the 2020 JSON value first out
        await capped.apply(redis)
        assert sorted(k.decode() for k in await redis.hkeys(key)) == ["h5", "h6", "h7"]
        with pytest.raises(ValueError, match="lower-case letters"):
            Writes().xadd_ref(stream, "{}", 10, key, "f", tag="bad:tag")
    finally:
        await redis.delete(stream, key)
        await redis.aclose()
