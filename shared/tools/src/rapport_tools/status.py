"""``rapport status``: is Rapport healthy, from Redis alone. Streams and their length; per
consumer group the lag, pending entries and consumers with their idle time; the dead-letter
stream by reason; handoff failures by adapter in the last hour; the last decisions.

It says what needs attention (a lag that grew while it looked, pending entries nobody is
working on, dead letters, handoffs failing) and exits 1 when anything does, so a cron job or a
probe can run it."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from redis.asyncio import Redis

from rapport_contracts import DATA_FIELD, Streams

STUCK_IDLE_MS = 60_000  # pending entries on consumers idle this long: nobody is working on them


@dataclass
class Group:
    stream: str
    group: str
    lag: int
    pending: int
    consumers: list[dict[str, Any]]
    lag_growth: int = 0


@dataclass
class Status:
    redis: str
    streams: dict[str, int] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    dead_letters: dict[str, int] = field(default_factory=dict)
    handoff_failures_last_hour: dict[str, int] = field(default_factory=dict)
    last_decisions: list[dict[str, Any]] = field(default_factory=list)
    attention: list[str] = field(default_factory=list)

    def as_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def _groups(redis: Redis, streams: Streams) -> list[Group]:
    out = []
    for stream, names in streams.groups().items():
        if not await redis.exists(stream):
            continue
        infos: Any = await redis.xinfo_groups(stream)
        for info in infos:
            name = _text(info["name"])
            if name not in names:
                continue
            consumers: Any = await redis.xinfo_consumers(stream, name)
            out.append(
                Group(
                    stream=stream,
                    group=name,
                    lag=int(info.get("lag") or 0),
                    pending=int(info.get("pending") or 0),
                    consumers=[
                        {
                            "name": _text(c["name"]),
                            "pending": int(c.get("pending", 0)),
                            "idle_ms": int(c.get("idle", 0)),
                        }
                        for c in consumers
                    ],
                )
            )
    return out


async def collect(redis: Redis, streams: Streams, redis_label: str, sample_s: float) -> Status:
    status = Status(redis=redis_label)
    for stream in streams.all():
        status.streams[stream] = int(await redis.xlen(stream))
    first = {(g.stream, g.group): g.lag for g in await _groups(redis, streams)}
    if sample_s > 0:
        await asyncio.sleep(sample_s)
    status.groups = await _groups(redis, streams)
    for g in status.groups:
        g.lag_growth = g.lag - first.get((g.stream, g.group), g.lag)
        if g.lag > 0 and g.lag_growth > 0:
            status.attention.append(
                f"{g.group} on {g.stream}: lag {g.lag} grew by {g.lag_growth} in {sample_s:g} s"
            )
        stuck = sum(c["pending"] for c in g.consumers if c["idle_ms"] > STUCK_IDLE_MS)
        if stuck:
            status.attention.append(
                f"{g.group} on {g.stream}: {stuck} pending on consumers idle over "
                f"{STUCK_IDLE_MS // 1000} s (the reclaimer should take them)"
            )
        if not g.consumers and (g.lag or g.pending):
            status.attention.append(f"{g.group} on {g.stream}: work waiting and no consumer")
    reasons: Counter[str] = Counter()
    entries: Any = await redis.xrange(streams.dlq, count=10_000)
    for _, fields in entries:
        letter = json.loads(fields[DATA_FIELD.encode()])
        reasons[str(letter.get("reason", ""))[:80]] += 1
    status.dead_letters = dict(reasons.most_common(20))
    if entries:
        status.attention.append(
            f"{len(entries)} dead letter(s) in {streams.dlq} (`rapport dlq list`)"
        )
    since = f"{int((time.time() - 3600) * 1000)}-0"
    failures: Counter[str] = Counter()
    results: Any = await redis.xrange(streams.handoffs, min=since, count=10_000)
    for _, fields in results:
        result = json.loads(fields[DATA_FIELD.encode()])
        if result.get("status") == "failed":
            failures[str(result.get("adapter"))] += 1
    status.handoff_failures_last_hour = dict(failures)
    if failures:
        status.attention.append(
            f"{sum(failures.values())} handoff(s) failed in the last hour: "
            + ", ".join(f"{n} via {a}" for a, n in failures.items())
        )
    recent: Any = await redis.xrevrange(streams.decisions, count=5)
    for _, fields in recent:
        d = json.loads(fields[DATA_FIELD.encode()])
        status.last_decisions.append(
            {
                k: d.get(k)
                for k in ("decided_at", "site", "conversation_id", "route", "queue", "priority")
            }
            | {"rule": (d.get("reasons") or [{}])[0].get("rule")}
        )
    return status


def render(status: Status) -> str:
    lines = [f"Rapport on {status.redis}", "", "streams"]
    lines += [f"  {name:<32} {length:>9,}" for name, length in status.streams.items()]
    lines += ["", "consumer groups          lag  pending  consumers (idle)"]
    for g in status.groups:
        who = ", ".join(f"{c['name']} ({c['idle_ms'] // 1000} s)" for c in g.consumers) or "-"
        lines.append(f"  {g.group:<9} {g.stream:<24} {g.lag:>6} {g.pending:>8}  {who}")
    lines += ["", "dead letters by reason"]
    lines += [f"  {n:>5}  {r}" for r, n in status.dead_letters.items()] or ["  none"]
    lines += ["", "handoff failures, last hour"]
    lines += [f"  {n:>5}  {a}" for a, n in status.handoff_failures_last_hour.items()] or ["  none"]
    lines += ["", "last decisions"]
    lines += [
        f"  {d['decided_at']}  {d['site']}/{d['conversation_id']}  {d['route']}"
        f" {d['queue'] or '-'} {d['priority']}  ({d['rule']})"
        for d in status.last_decisions
    ] or ["  none"]
    lines += ["", "needs attention" if status.attention else "all good"]
    lines += [f"  ! {a}" for a in status.attention]
    return "\n".join(lines)
