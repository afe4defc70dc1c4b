"""End-to-end throughput of the pipeline (sentiment -> router), beside a bare Redis relay
measured in the same run on the same Redis.

    uv run python benchmarks/pipeline_bench.py [--messages 20000]

A backlog of accepted messages is written to the messages stream; then the sentiment service
starts as a real process (a batch consumer, as deployed) and is timed from its first output to
its last, then the router likewise on what sentiment produced. The baseline is the floor for one
stream hop done the same way (batch XREADGROUP, pipelined XADD + XACK in one transaction, no
parsing), measured in the same run on the same Redis.
Redis is a private redis-server on a free port unless REDIS_URL is set.
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
from typing import Any

import redis

from rapport_contracts import Message
from rapport_tools.dev import embedded_redis, find_redis_server, free_port

TEXTS = (
    "Hi, I was charged twice for my order and nobody has replied.",
    "How do I change the email address on my account?",
    "I want to talk to a real person, not a bot.",
    "Thanks so much, that fixed it!",
    "Tracking hasn't updated since Monday, where is my parcel?",
    "The app crashes with error E-2043 on version 4.2.1",
)


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


def prefill(r: redis.Redis, stream: str, n: int, conversations: int) -> None:
    now = datetime.now(UTC)
    pipe = r.pipeline(transaction=False)
    for i in range(n):
        message = Message(
            site="demo",
            conversation_id=f"c{i % conversations}",
            message_id=f"m{i}",
            author="customer",
            text=random.choice(TEXTS),
            sent_at=now,
        )
        pipe.xadd(stream, {"__data__": message.model_dump_json()})
        if i % 5000 == 4999:
            pipe.execute()
    pipe.execute()


def baseline(r: redis.Redis, n: int) -> float:
    """One hop, no parsing: the cost Redis and redis-py impose on any stage."""
    src, dst = f"bench-{uuid.uuid4().hex[:6]}:in", f"bench-{uuid.uuid4().hex[:6]}:out"
    r.xgroup_create(src, "g", id="0", mkstream=True)
    prefill(r, src, n, 1000)
    started, done = time.perf_counter(), 0
    while done < n:
        replies: Any = r.xreadgroup("g", "c", {src: ">"}, count=100, block=100)
        for _, entries in replies:
            pipe = r.pipeline(transaction=True)
            for _entry_id, fields in entries:
                data = fields[b"__data__"]
                pipe.xadd(dst, {"__data__": data}, maxlen=1_000_000, approximate=True)
            pipe.xack(src, "g", *(entry_id for entry_id, _ in entries))
            pipe.execute()
            done += len(entries)
    elapsed = time.perf_counter() - started
    r.delete(src, dst)
    return n / elapsed


def run_stage(env: dict[str, str], service: str, r: redis.Redis, output: str, n: int) -> float:
    """Start one service on a full backlog; its rate from its first output to its last."""
    proc = subprocess.Popen(
        [sys.executable, "-m", f"rapport_{service}"], env={**env, "RAPPORT_PORT": str(free_port())}
    )
    first = None
    try:
        while (length := r.xlen(output)) < n:
            if proc.poll() is not None:
                sys.exit(f"the {service} service exited during the benchmark")
            if first is None and length:
                first = (time.perf_counter(), length)
            time.sleep(0.01)
        assert first is not None
        return (n - first[1]) / (time.perf_counter() - first[0])
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def pipeline(url: str, r: redis.Redis, n: int, conversations: int) -> tuple[float, float]:
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    prefill(r, f"{prefix}:messages", n, conversations)
    env = {**os.environ, "REDIS_URL": url, "RAPPORT_PREFIX": prefix, "RAPPORT_LOG_LEVEL": "WARNING"}
    env.pop("RAPPORT_CONFIG", None)
    try:
        sentiment = run_stage(env, "sentiment", r, f"{prefix}:classified", n)
        router = run_stage(env, "router", r, f"{prefix}:decisions", n)
    finally:
        keys = list(r.scan_iter(match=f"{prefix}:*", count=1000))
        for i in range(0, len(keys), 1000):
            r.delete(*keys[i : i + 1000])
    return sentiment, router


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--conversations", type=int, default=2_000)
    args = parser.parse_args()
    with redis_url() as url:
        r = redis.Redis.from_url(url)
        relay = baseline(r, args.messages)
        sentiment, router = pipeline(url, r, args.messages, args.conversations)
        r.close()
    print(f"{args.messages} messages in {args.conversations} conversations, one process per stage")
    print(f"bare one-hop relay (baseline): {relay:10,.0f} msg/s")
    for name, rate in (("sentiment stage:", sentiment), ("router stage:", router)):
        print(f"{name:<31}{rate:10,.0f} msg/s  ({rate / relay:.2f} x baseline)")
    print(f"pipeline (slowest stage):      {min(sentiment, router):10,.0f} msg/s")


if __name__ == "__main__":
    main()
