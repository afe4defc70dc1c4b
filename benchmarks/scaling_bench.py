"""How the pipeline scales with partitions: P = 1, 2, 3 partitions, each with its own sentiment
and router replica (RAPPORT_CONSUMER_PARTITIONS=<p>), on one Redis.

    uv run python benchmarks/scaling_bench.py [--messages 6000] [--partitions 1,2,3]

For each P, a backlog of accepted messages is written to the P messages streams (each message
on its conversation's partition, as the edge does); then P sentiment processes start together
and are timed from the first classified entry to the last, then P routers likewise on what
sentiment produced. Reported per stage: the wall rate, the CPU time per message summed over the
replicas (read from /proc, start-up excluded: from the first output on), and the speed-up over
P = 1 measured in the same run. On a two-core machine the wall rate cannot pass about two
replicas' worth; the CPU per message says what each partition costs, and whether it grows with
P (it should not: partitions share nothing but Redis). Redis is a private redis-server on a
free port unless REDIS_URL is set: a standalone URL (P = 1 uses the unpartitioned layout) or a
cluster (``redis+cluster://host:port,...``: every P uses the tagged layout, the partitions'
slots on whichever masters the tags hash to; the masters share the machine's cores with the
replicas).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from redis.cluster import ClusterNode, RedisCluster

from rapport_contracts import Message
from rapport_runtime.partitions import partition_of, partition_prefix
from rapport_runtime.redis import cluster_nodes
from rapport_runtime.settings import RapportSettings
from rapport_tools.dev import embedded_redis, find_redis_server, free_port

TEXTS = (
    "Hi, I was charged twice for my order and nobody has replied.",
    "How do I change the email address on my account?",
    "I want to talk to a real person, not a bot.",
    "Thanks so much, that fixed it!",
    "Tracking hasn't updated since Monday, where is my parcel?",
    "The app crashes with error E-2043 on version 4.2.1",
)
TICK = os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def redis_url() -> Iterator[str]:
    if url := os.environ.get("REDIS_URL"):
        yield url
        return
    binary = find_redis_server()
    if binary is None:
        sys.exit("no redis-server: set REDIS_URL or install redis-server")
    with embedded_redis(binary) as url:
        yield url


def client(url: str) -> Any:
    """A synchronous client: redis.Redis, or RedisCluster for a cluster URL (its pipeline and
    multi-key DELETE split the commands by slot)."""
    if RapportSettings(redis_url=url).redis_cluster:
        nodes, options = cluster_nodes(url)
        return RedisCluster(startup_nodes=[ClusterNode(h, p) for h, p in nodes], **options)
    return redis.Redis.from_url(url)


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def prefill(r: Any, prefixes: list[str], n: int, conversations: int) -> None:
    now = datetime.now(UTC)
    pipe = r.pipeline(transaction=False)
    for i in range(n):
        cid = f"c{i % conversations}"
        message = Message(
            site="demo",
            conversation_id=cid,
            message_id=f"m{i}",
            author="customer",
            text=random.choice(TEXTS),
            sent_at=now,
        )
        stream = f"{prefixes[partition_of('demo', cid, len(prefixes))]}:messages"
        pipe.xadd(stream, {"__data__": message.model_dump_json()})
        if i % 5000 == 4999:
            pipe.execute()
    pipe.execute()


def total(r: Any, prefixes: list[str], stream: str) -> int:
    return sum(int(r.xlen(f"{p}:{stream}")) for p in prefixes)


def run_stage(
    env: dict[str, str], service: str, r: Any, prefixes: list[str], output: str, n: int
) -> tuple[float, float]:
    """P replicas of ``service``, one per partition; (msg/s, CPU µs per message)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", f"rapport_{service}"],
            env={**env, "RAPPORT_PORT": str(free_port()), "RAPPORT_CONSUMER_PARTITIONS": str(p)},
        )
        for p in range(len(prefixes))
    ]
    first: tuple[float, int, float] | None = None
    try:
        while (length := total(r, prefixes, output)) < n:
            if any(proc.poll() is not None for proc in procs):
                sys.exit(f"a {service} replica exited during the benchmark")
            if first is None and length:
                first = (time.perf_counter(), length, sum(cpu_s(p.pid) for p in procs))
            time.sleep(0.01)
        assert first is not None
        wall = time.perf_counter() - first[0]
        cpu = sum(cpu_s(p.pid) for p in procs) - first[2]
        done = n - first[1]
        return done / wall, cpu / done * 1e6
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def measure(url: str, r: Any, partitions: int, n: int, conversations: int) -> list[float]:
    base = f"bench{uuid.uuid4().hex[:6]}"
    settings = RapportSettings(redis_url=url, prefix=base, partitions=partitions)
    prefixes = [partition_prefix(settings, p) for p in range(partitions)]
    prefill(r, prefixes, n, conversations)
    env = {
        **os.environ,
        "REDIS_URL": url,
        "RAPPORT_PREFIX": base,
        "RAPPORT_PARTITIONS": str(partitions),
        "RAPPORT_LOG_LEVEL": "WARNING",
    }
    env.pop("RAPPORT_CONFIG", None)
    try:
        sentiment = run_stage(env, "sentiment", r, prefixes, "classified", n)
        router = run_stage(env, "router", r, prefixes, "decisions", n)
    finally:
        keys = list(r.scan_iter(match=f"{base}:*", count=1000))
        for i in range(0, len(keys), 1000):
            r.delete(*keys[i : i + 1000])
    return [*sentiment, *router]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=6_000)
    parser.add_argument("--conversations", type=int, default=1_200)
    parser.add_argument("--partitions", default="1,2,3")
    args = parser.parse_args()
    counts = [int(p) for p in args.partitions.split(",")]
    with redis_url() as url:
        r = client(url)
        rows = {p: measure(url, r, p, args.messages, args.conversations) for p in counts}
        r.close()
    where = "a Redis Cluster" if RapportSettings(redis_url=url).redis_cluster else "one Redis"
    print(
        f"{args.messages} messages in {args.conversations} conversations on {where}, "
        f"{os.cpu_count()} CPUs"
    )
    print("P  sentiment msg/s  x P=1  CPU µs/msg | router msg/s  x P=1  CPU µs/msg")
    floor = rows[counts[0]]
    for p, (s_rate, s_cpu, r_rate, r_cpu) in rows.items():
        print(
            f"{p}  {s_rate:15,.0f}  {s_rate / floor[0]:5.2f}  {s_cpu:10,.0f} | "
            f"{r_rate:12,.0f}  {r_rate / floor[2]:5.2f}  {r_cpu:10,.0f}"
        )


if __name__ == "__main__":
    main()
