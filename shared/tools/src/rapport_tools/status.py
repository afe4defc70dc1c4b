"""``rapport status``: is Rapport healthy, from Redis alone. Streams and their length; per
consumer group the lag, pending entries and consumers with their idle time; the dead-letter
stream by reason; handoff failures by adapter in the last hour; the last decisions.

It says what needs attention (a lag that grew while it looked, pending entries nobody is
working on, dead letters, handoffs failing) and exits 1 when anything does, so a cron job or a
probe can run it."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis

from rapport_contracts import DATA_FIELD, Streams
from rapport_contracts.stored import expand

if TYPE_CHECKING:
    from rapport_runtime.settings import RapportSettings

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
    partitions: int = 1

    def as_json(self) -> str:
        report = asdict(self)
        if self.partitions == 1:
            del report["partitions"]  # the unpartitioned report as it always was
        return json.dumps(report, indent=2, sort_keys=True)


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
    """The status of one partition's streams (the unpartitioned layout)."""
    return await _collect([(redis, streams)], redis_label, sample_s)


async def collect_everywhere(
    redis: Redis, settings: RapportSettings, redis_label: str, sample_s: float
) -> Status:
    """The status of every partition (RAPPORT_PARTITIONS, a cluster), each read on a client
    that reaches its slot; with one untagged partition exactly :func:`collect`'s."""
    from rapport_runtime.partitions import all_partitions, partition_client

    parts = [(await partition_client(redis, p), p.streams) for p in all_partitions(settings)]
    status = await _collect(parts, redis_label, sample_s)
    status.partitions = settings.partitions
    return status


async def _collect(parts: list[tuple[Redis, Streams]], redis_label: str, sample_s: float) -> Status:
    status = Status(redis=redis_label)
    for redis, streams in parts:
        for stream in streams.all():
            status.streams[stream] = int(await redis.xlen(stream))
    first = {
        (g.stream, g.group): g.lag
        for redis, streams in parts
        for g in await _groups(redis, streams)
    }
    if sample_s > 0:
        await asyncio.sleep(sample_s)
    for redis, streams in parts:
        status.groups += await _groups(redis, streams)
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
    parked: dict[str, int] = {}
    for redis, streams in parts:
        entries: Any = await redis.xrange(streams.dlq, count=10_000)
        for _, fields in entries:
            letter = json.loads(expand(fields[DATA_FIELD.encode()]))
            reasons[str(letter.get("reason", ""))[:80]] += 1
        if entries:
            parked[streams.dlq] = len(entries)
    status.dead_letters = dict(reasons.most_common(20))
    if len(parts) == 1 and parked:
        [(dlq, n)] = parked.items()
        status.attention.append(f"{n} dead letter(s) in {dlq} (`rapport dlq list`)")
    elif parked:
        status.attention.append(
            f"{sum(parked.values())} dead letter(s) in {len(parked)} of {len(parts)} partitions' "
            f"DLQs: {', '.join(parked)} (`rapport dlq list`)"
        )
    since = f"{int((time.time() - 3600) * 1000)}-0"
    failures: Counter[str] = Counter()
    for redis, streams in parts:
        results: Any = await redis.xrange(streams.handoffs, min=since, count=10_000)
        for _, fields in results:
            result = json.loads(expand(fields[DATA_FIELD.encode()]))
            if result.get("status") == "failed":
                failures[str(result.get("adapter"))] += 1
    status.handoff_failures_last_hour = dict(failures)
    if failures:
        status.attention.append(
            f"{sum(failures.values())} handoff(s) failed in the last hour: "
            + ", ".join(f"{n} via {a}" for a, n in failures.items())
        )
    # The newest five over every partition: each partition's newest five, merged by entry id
    # (the ids are the writing master's clock, so across masters the order is as good as
    # their clocks agree).
    recent: list[tuple[tuple[int, int], int, Any]] = []
    for partition, (redis, streams) in enumerate(parts):
        newest: Any = await redis.xrevrange(streams.decisions, count=5)
        for entry_id, fields in newest:
            ms, _, seq = _text(entry_id).partition("-")
            recent.append(((int(ms), int(seq or 0)), partition, fields))
    recent.sort(key=lambda r: (r[0], r[1]), reverse=True)
    for _, partition, fields in recent[:5]:
        d = json.loads(expand(fields[DATA_FIELD.encode()]))
        status.last_decisions.append(
            {
                k: d.get(k)
                for k in ("decided_at", "site", "conversation_id", "route", "queue", "priority")
            }
            | {"rule": (d.get("reasons") or [{}])[0].get("rule")}
            | ({"partition": partition} if len(parts) > 1 else {})
        )
    return status


_PARTITIONED = re.compile(r"^.*?:\{p(\d+)\}:(.+)$")


def _logical(stream: str) -> tuple[str, int]:
    """(the stream's name without its partition prefix, the partition) of a partition's
    stream, ``rapport:{p3}:messages`` -> (``messages``, 3)."""
    found = _PARTITIONED.match(stream)
    return (found.group(2), int(found.group(1))) if found else (stream, 0)


def _partitioned_tables(status: Status) -> list[str]:
    """Streams and groups summed over the partitions, one line per logical stream and group
    (P lines each would bury the one that matters; the attention list names the partition)."""
    lengths: dict[str, dict[int, int]] = {}
    for name, length in status.streams.items():
        logical, partition = _logical(name)
        lengths.setdefault(logical, {})[partition] = length
    title = f"streams ({status.partitions} partitions)"
    lines = [f"{title:<26} {'total':>9}  largest partition"]
    for logical, per in lengths.items():
        top = max(per, key=lambda p: per[p])
        lines.append(f"  {logical:<24} {sum(per.values()):>9,}  p{top} {per[top]:,}")
    lines += [
        "",
        f"{'consumer groups':<26} {'lag':>9} {'pending':>8}  partitions  consumers (least idle)",
    ]
    merged: dict[tuple[str, str], list[Group]] = {}
    for g in status.groups:
        merged.setdefault((g.group, _logical(g.stream)[0]), []).append(g)
    for (group, logical), gs in merged.items():
        idle: dict[str, int] = {}
        for g in gs:
            for c in g.consumers:
                idle[c["name"]] = min(idle.get(c["name"], c["idle_ms"]), c["idle_ms"])
        who = ", ".join(f"{name} ({ms // 1000} s)" for name, ms in idle.items()) or "-"
        lag, pending = sum(g.lag for g in gs), sum(g.pending for g in gs)
        lines.append(f"  {group:<11} {logical:<12} {lag:>9} {pending:>8}  {len(gs):>10}  {who}")
    return lines


def render(status: Status) -> str:
    lines = [f"Rapport on {status.redis}", ""]
    if status.partitions > 1:
        lines += _partitioned_tables(status)
    else:
        lines += ["streams"]
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
