"""The dead-letter stream, for people: list what was parked and why, and put entries back on
the stream they came from once the cause is fixed."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from rapport_contracts import DeadLetter
from rapport_contracts.streams import DATA_FIELD, Streams


async def list_dead_letters(
    redis: Redis, streams: Streams, count: int
) -> list[tuple[str, DeadLetter]]:
    entries: Any = await redis.xrevrange(streams.dlq, count=count)
    return [
        (entry_id.decode(), DeadLetter.read(fields[DATA_FIELD.encode()]))
        for entry_id, fields in entries
    ]


async def replay(redis: Redis, streams: Streams, entry_ids: list[str], maxlen: int) -> list[str]:
    """Re-append each dead letter's payload to its stream and remove it from the DLQ; returns
    the ids replayed (unknown ids are skipped)."""
    replayed = []
    for entry_id in entry_ids:
        found: Any = await redis.xrange(streams.dlq, min=entry_id, max=entry_id)
        if not found:
            continue
        letter = DeadLetter.read(found[0][1][DATA_FIELD.encode()])
        async with redis.pipeline(transaction=True) as tx:
            tx.xadd(letter.stream, {DATA_FIELD: letter.payload}, maxlen=maxlen, approximate=True)
            tx.xdel(streams.dlq, entry_id)
            await tx.execute()
        replayed.append(entry_id)
    return replayed
