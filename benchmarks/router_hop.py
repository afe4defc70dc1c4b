"""Where the latency phase's accept -> decision time goes, hop by hop, from the streams' own
times (docs/performance.md, 2026-12-03 evening).

Run a bench against a Redis of your own and keep its keys, then point this at them:

    redis-server --port 6414 --save "" --appendonly no --daemonize yes
    REDIS_URL=redis://127.0.0.1:6414/0 RAPPORT_BENCH_KEEP=1 \\
        uv run rapport bench --duration 5 --rounds 1 --rate 250 --json
    uv run python benchmarks/router_hop.py redis://127.0.0.1:6414/0 [--bins 250]

For each message of the latency phase (ids ``lat-``): the edge's ``received_at``, the
messages and classified entries' ids (Redis's clock, in ms), the decision's ``decided_at`` and
its entry's id. Also the router's message batches: the decisions of one batch are written in
one ``MULTI``, so they share their entry's millisecond (two batches in one millisecond count
as one, which only makes the sizes look larger). The prefix is found by itself when the Redis
holds one bench's keys; else pass ``--prefix``.
"""

from __future__ import annotations

import argparse
import json
import statistics
from datetime import datetime
from typing import Any

import redis

from rapport_contracts.stored import expand


def entry_ms(entry_id: bytes) -> int:
    return int(entry_id.split(b"-")[0])


def iso_ms(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000


def stream(r: redis.Redis, key: str) -> list[tuple[bytes, dict[str, Any]]]:
    out = []
    for entry_id, fields in r.xrange(key):  # type: ignore[union-attr]
        # expand: the bench stores the deflated form by default (RAPPORT_STORED_FORM=deflate)
        out.append((entry_id, json.loads(expand(fields[b"__data__"]))))
    return out


def quantiles(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return f"p50 {at(0.5):.1f}  p95 {at(0.95):.1f}  p99 {at(0.99):.1f}  (n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("redis_url")
    parser.add_argument("--prefix")
    parser.add_argument(
        "--bins",
        type=float,
        metavar="MS",
        help="also print accept -> decided_at over the phase, in bins of MS ms by accept time "
        "(whether the tail is spread out or comes in episodes)",
    )
    args = parser.parse_args()
    r = redis.Redis.from_url(args.redis_url)
    prefix = args.prefix
    if prefix is None:
        prefixes = {k.split(b":")[0] for k in r.scan_iter(match="bench*:decisions")}
        if len(prefixes) != 1:
            raise SystemExit(f"give --prefix: found {sorted(prefixes)}")
        prefix = prefixes.pop().decode()

    messages = {d["message_id"]: (i, d) for i, d in stream(r, f"{prefix}:messages")}
    classified = {d["message"]["message_id"]: i for i, d in stream(r, f"{prefix}:classified")}
    decision_entries = stream(r, f"{prefix}:decisions")
    decisions = {d["message_id"]: (i, d) for i, d in decision_entries}
    hops: dict[str, list[float]] = {
        "edge: received -> messages entry": [],
        "sentiment: messages entry -> classified entry": [],
        "router: classified entry -> decided_at": [],
        "router: decided_at -> decision entry": [],
        "accept -> decision entry": [],
    }
    batches: dict[int, int] = {}
    # (accept time, accept -> decided_at, sentiment's hop, router's hop), for --bins
    timeline: list[tuple[float, float, float, float]] = []
    for message_id, (m_id, message) in messages.items():
        if not message_id.startswith("lat-") or message_id not in decisions:
            continue
        c_id = classified[message_id]
        d_id, decision = decisions[message_id]
        received = iso_ms(message["received_at"])
        decided = iso_ms(decision["decided_at"])
        values = (
            entry_ms(m_id) - received,
            entry_ms(c_id) - entry_ms(m_id),
            decided - entry_ms(c_id),
            entry_ms(d_id) - decided,
            entry_ms(d_id) - received,
        )
        for name, value in zip(hops, values, strict=True):
            hops[name].append(value)
        batches[entry_ms(d_id)] = batches.get(entry_ms(d_id), 0) + 1
        timeline.append((received, decided - received, values[1], values[2]))
    print(f"prefix {prefix}: {len(hops['accept -> decision entry'])} latency-phase messages")
    for name, values in hops.items():
        print(f"  {name:48} {quantiles(values)}")
    sizes = list(batches.values())
    if sizes:
        print(
            f"  router message batches (latency phase): {len(sizes)}, "
            f"mean {statistics.mean(sizes):.1f} decisions, max {max(sizes)}"
        )
    if args.bins and timeline:
        print_bins(timeline, args.bins)


def print_bins(timeline: list[tuple[float, float, float, float]], bin_ms: float) -> None:
    """One line per bin of accept time: messages, p50 and max of accept -> decided_at, and the
    largest sentiment and router hop in it (which stage the bin's worst message waited in)."""
    timeline.sort()
    start = timeline[0][0]
    bins: dict[int, list[tuple[float, float, float, float]]] = {}
    for row in timeline:
        bins.setdefault(int((row[0] - start) // bin_ms), []).append(row)
    print(f"  accept -> decided_at by accept time, bins of {bin_ms:g} ms (one # per 5 ms of max):")
    for index, rows in sorted(bins.items()):
        latencies = sorted(row[1] for row in rows)
        worst = max(rows, key=lambda row: row[1])
        median = latencies[len(rows) // 2]
        print(
            f"  {index * bin_ms / 1000:6.2f} s  n {len(rows):4d}  p50 {median:6.1f}"
            f"  max {latencies[-1]:6.1f} ms (sentiment {worst[2]:5.1f}, router {worst[3]:5.1f})  "
            + "#"
            * int(latencies[-1] // 5)
        )


if __name__ == "__main__":
    main()
