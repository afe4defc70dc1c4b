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
from rapport_runtime.redis import transaction_client

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
