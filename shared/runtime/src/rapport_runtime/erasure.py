"""Erasure: remove one person's data from everything Rapport keeps in Redis, and say what was
removed (a data-protection request, `rapport forget`).

A conversation's own keys go whole (messages, turns, decisions, handoffs, state); stream entries
that belong to it are deleted from every stream, the dead-letter stream included; its timers and
scheduled handoff retries are dropped. By customer id, every conversation in which that customer
wrote is found from the messages and classified streams first. Dedupe keys hold no personal
data (ids only) and expire on their own. The helpdesk's copy (the ticket) is the helpdesk's
to erase.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from rapport_contracts.stored import expand
from rapport_contracts.streams import DATA_FIELD, Streams
from rapport_runtime.redis import ConversationKeys

PAGE = 1000


@dataclass
class Erased:
    conversations: set[tuple[str, str]] = field(default_factory=set)
    keys: int = 0
    entries: Counter[str] = field(default_factory=Counter)  # stream -> entries deleted
    timers: int = 0

    def summary(self) -> str:
        streams = ", ".join(f"{n} from {s}" for s, n in sorted(self.entries.items())) or "none"
        return (
            f"{len(self.conversations)} conversation(s): {self.keys} key(s), stream entries: "
            f"{streams}; {self.timers} timer(s) and scheduled retries"
        )


def _belongs(data: Any, targets: set[tuple[str, str]]) -> bool:
    if not isinstance(data, dict):
        return False
    inner: dict[str, Any] = data["message"] if isinstance(data.get("message"), dict) else data
    pair = (str(inner.get("site")), str(inner.get("conversation_id")))
    return pair in targets


def _decode(fields: Any) -> Any:
    try:
        # A deflated entry (RAPPORT_STORED_FORM=deflate) is inflated first: read as JSON it
        # would not parse, and an erasure would pass over it.
        return json.loads(expand(fields.get(DATA_FIELD.encode(), b"null")))
    except ValueError:  # StoredFormError included
        return None


async def _scan_stream(redis: Redis, stream: str) -> Any:
    cursor = "-"
    while True:
        page: Any = await redis.xrange(stream, min=cursor, count=PAGE)
        if cursor != "-":
            page = page[1:]
        if not page:
            return
        for entry_id, fields in page:
            yield entry_id, fields
        cursor = page[-1][0].decode()


async def conversations_of_customer(
    redis: Redis, streams: Streams, site: str, customer_id: str
) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    # The inbound stream is a hop kept minutes (RAPPORT_PIPE_RETENTION_S); the classified
    # stream carries the same messages for days (RAPPORT_STREAM_RETENTION_S).
    for stream in (streams.messages, streams.classified):
        async for _, fields in _scan_stream(redis, stream):
            data = _decode(fields)
            if isinstance(data, dict) and isinstance(data.get("message"), dict):
                data = data["message"]
            if isinstance(data, dict) and data.get("site") == site:
                customer = data.get("customer") or {}
                if isinstance(customer, dict) and customer.get("id") == customer_id:
                    found.add((site, str(data.get("conversation_id"))))
    return found


async def forget(
    redis: Redis, prefix: str, targets: set[tuple[str, str]], dry_run: bool = False
) -> Erased:
    """Remove everything about the (site, conversation id) pairs in ``targets``."""
    streams, erased = Streams(prefix), Erased(conversations=set(targets))
    for site, conversation in targets:
        keys = ConversationKeys(prefix, site, conversation).all()
        erased.keys += int(await redis.exists(*keys))
        if not dry_run:
            await redis.delete(*keys)
    for stream in streams.all():
        doomed = [
            entry_id
            async for entry_id, fields in _scan_stream(redis, stream)
            if _belongs(_decode(fields), targets)
            or (stream == streams.dlq and _dead_letter_belongs(fields, targets))
        ]
        if doomed:
            erased.entries[stream] += len(doomed)
            if not dry_run:
                for start in range(0, len(doomed), PAGE):
                    await redis.xdel(stream, *doomed[start : start + PAGE])
    for key in (f"{prefix}:timers", f"{prefix}:timers:leased"):
        members: list[Any] = await redis.zrange(key, 0, -1)
        for member in members:
            if _belongs(_decode({DATA_FIELD.encode(): member}), targets):
                erased.timers += 1
                if not dry_run:
                    await redis.zrem(key, member)
    retry_packets = f"{prefix}:handoff:retry:packets"
    for handoff_id, raw in (await redis.hgetall(retry_packets)).items():
        if _belongs(_decode({DATA_FIELD.encode(): raw}), targets):
            erased.timers += 1
            if not dry_run:
                await redis.hdel(retry_packets, handoff_id)
                await redis.zrem(f"{prefix}:handoff:retry", handoff_id)
                await redis.hdel(f"{prefix}:handoff:retry:attempts", handoff_id)
    return erased


def _dead_letter_belongs(fields: Any, targets: set[tuple[str, str]]) -> bool:
    letter = _decode(fields)
    if not isinstance(letter, dict) or not isinstance(letter.get("payload"), str):
        return False
    try:
        return _belongs(json.loads(expand(letter["payload"])), targets)
    except ValueError:
        return False
