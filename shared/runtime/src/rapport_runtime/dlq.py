"""The dead-letter stream, for people: list what was parked and why (all of it, page by page,
filtered), show one entry whole, put entries back on the stream they came from once the cause
is fixed, and purge what will never be replayed."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from rapport_contracts import DeadLetter
from rapport_contracts.streams import DATA_FIELD, Streams
from rapport_runtime.partitions import all_partitions, partition_client, qualify
from rapport_runtime.redis import transaction_client
from rapport_runtime.settings import RapportSettings

PAGE = 500


@dataclass(frozen=True, slots=True)
class LetterFilter:
    """Which dead letters to list or purge; every given field must match."""

    stream: str | None = None  # the stream the entry came from (full name or its suffix)
    site: str | None = None
    reason: str | None = None  # a substring of the reason, case-insensitive
    older_than_s: float | None = None
    newer_than_s: float | None = None

    def matches(self, entry_id: str, letter: DeadLetter, now: float) -> bool:
        if self.stream and not (
            letter.stream == self.stream or letter.stream.endswith(f":{self.stream}")
        ):
            return False
        if self.reason and self.reason.lower() not in letter.reason.lower():
            return False
        age = now - int(entry_id.split("-", 1)[0]) / 1000
        if self.older_than_s is not None and age < self.older_than_s:
            return False
        if self.newer_than_s is not None and age > self.newer_than_s:
            return False
        return not self.site or site_of(letter) == self.site


def site_of(letter: DeadLetter) -> str | None:
    """The site of the parked event, when its payload is an event that names one."""
    try:
        payload = json.loads(letter.payload)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    site = payload.get("site") or (payload.get("message") or {}).get("site")
    return site if isinstance(site, str) else None


async def iter_dead_letters(
    redis: Redis, streams: Streams, newest_first: bool = True
) -> AsyncIterator[tuple[str, DeadLetter]]:
    """Every dead letter, page by page (never the whole stream in memory at once)."""
    cursor = "+" if newest_first else "-"
    first = True
    while True:
        if newest_first:
            page: Any = await redis.xrevrange(streams.dlq, max=cursor, count=PAGE + 1)
        else:
            page = await redis.xrange(streams.dlq, min=cursor, count=PAGE + 1)
        if not first:
            page = page[1:]  # the cursor entry was the last of the previous page
        if not page:
            return
        for entry_id, fields in page:
            yield entry_id.decode(), DeadLetter.read(fields[DATA_FIELD.encode()])
        cursor, first = page[-1][0].decode(), False


async def list_dead_letters(
    redis: Redis,
    streams: Streams,
    count: int | None = None,
    where: LetterFilter | None = None,
) -> tuple[list[tuple[str, DeadLetter]], int]:
    """The newest ``count`` matching dead letters (all of them with None), and how many match
    in all."""
    where, now = where or LetterFilter(), time.time()
    shown: list[tuple[str, DeadLetter]] = []
    total = 0
    async for entry_id, letter in iter_dead_letters(redis, streams):
        if where.matches(entry_id, letter, now):
            total += 1
            if count is None or len(shown) < count:
                shown.append((entry_id, letter))
    return shown, total


async def show(redis: Redis, streams: Streams, entry_id: str) -> DeadLetter | None:
    found: Any = await redis.xrange(streams.dlq, min=entry_id, max=entry_id)
    return DeadLetter.read(found[0][1][DATA_FIELD.encode()]) if found else None


async def replay(redis: Redis, streams: Streams, entry_ids: list[str], maxlen: int) -> list[str]:
    """Re-append each dead letter's payload to its stream and remove it from the DLQ; returns
    the ids replayed (unknown ids are skipped)."""
    replayed = []
    for entry_id in entry_ids:
        letter = await show(redis, streams, entry_id)
        if letter is None:
            continue
        client = await transaction_client(redis, streams.dlq)
        async with client.pipeline(transaction=True) as tx:
            tx.xadd(letter.stream, {DATA_FIELD: letter.payload}, maxlen=maxlen, approximate=True)
            tx.xdel(streams.dlq, entry_id)
            await tx.execute()
        replayed.append(entry_id)
    return replayed


async def purge(redis: Redis, streams: Streams, where: LetterFilter) -> int:
    """Delete the matching dead letters for good; returns how many."""
    doomed = [entry_id for entry_id, _ in (await list_dead_letters(redis, streams, None, where))[0]]
    for start in range(0, len(doomed), PAGE):
        await redis.xdel(streams.dlq, *doomed[start : start + PAGE])
    return len(doomed)


# Every partition's DLQ (RAPPORT_PARTITIONS > 1 or a cluster): the functions above work on one
# partition's streams; these run them on each partition, on a client that reaches its slot,
# and name entries by qualified id (``p3:1764151200000-0``, see rapport_runtime.partitions).


def _id_order(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


async def list_everywhere(
    redis: Redis,
    settings: RapportSettings,
    count: int | None = None,
    where: LetterFilter | None = None,
) -> tuple[list[tuple[str, int, DeadLetter]], int]:
    """The newest ``count`` matching dead letters of all partitions (all with None) as
    (qualified id, partition, letter), newest first, and how many match in all."""
    found: list[tuple[tuple[int, int], int, str, DeadLetter]] = []
    total = 0
    for partition, part in enumerate(all_partitions(settings)):
        client = await partition_client(redis, part)
        shown, matching = await list_dead_letters(client, part.streams, count, where)
        total += matching
        found += [(_id_order(i), partition, i, letter) for i, letter in shown]
    found.sort(key=lambda f: (f[0], f[1]), reverse=True)
    kept = found if count is None else found[:count]
    return [(qualify(settings.partitions, p, i), p, letter) for _, p, i, letter in kept], total


async def locate(
    redis: Redis, settings: RapportSettings, partition: int, entry_id: str
) -> tuple[DeadLetter | None, list[str]]:
    """The dead letter ``entry_id`` of ``partition``, and, when it is not there, the qualified
    ids under which the same bare id is in another partition's DLQ (a wrong partition typed or
    pasted: the caller says which one to use)."""
    parts = all_partitions(settings)
    letter = await show(
        await partition_client(redis, parts[partition]), parts[partition].streams, entry_id
    )
    if letter is not None or len(parts) == 1:
        return letter, []
    elsewhere = []
    for other, part in enumerate(parts):
        if other != partition and await show(
            await partition_client(redis, part), part.streams, entry_id
        ):
            elsewhere.append(qualify(settings.partitions, other, entry_id))
    return None, elsewhere


async def replay_one(
    redis: Redis, settings: RapportSettings, partition: int, entry_id: str
) -> bool:
    """Replay one partition's dead letter (see :func:`replay`); False when it is not there."""
    part = all_partitions(settings)[partition]
    client = await partition_client(redis, part)
    return bool(await replay(client, part.streams, [entry_id], settings.stream_maxlen))


async def purge_everywhere(redis: Redis, settings: RapportSettings, where: LetterFilter) -> int:
    """:func:`purge` in every partition's DLQ; returns how many in all."""
    purged = 0
    for part in all_partitions(settings):
        purged += await purge(await partition_client(redis, part), part.streams, where)
    return purged


async def depth_everywhere(redis: Redis, settings: RapportSettings) -> int:
    """Entries in every partition's DLQ."""
    return sum([int(await redis.xlen(part.streams.dlq)) for part in all_partitions(settings)])
