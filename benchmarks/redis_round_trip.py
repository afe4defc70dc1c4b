"""What one Redis round trip costs the calling process in CPU, by client path, in the same run
(docs/performance.md, 2026-12-08).

    uv run python benchmarks/redis_round_trip.py [--url redis://127.0.0.1:6379/0] [--rounds 5]

Each path sends ``PING`` and waits for ``+PONG``, one at a time, ``--n`` times per round; the
rounds interleave the paths, so a noisy neighbour hits all of them alike, and the median of the
rounds is printed (CPU time of this process, ``time.process_time``: user and kernel, the
socket's system calls included). The paths, from the most machinery to the least:

- ``rapport client``: ``rapport_runtime.redis.connect(url)``, the client every service uses
  (redis-py's asyncio client on Rapport's blocking pool, with its retry and health check),
  ``await client.ping()``;
- ``held connection``: one connection taken from that pool once, ``send_command`` and
  ``read_response`` on it (no pool, no retry wrapper per command);
- ``asyncio streams``: the same connection's reader and writer, the RESP bytes written and the
  reply line read by hand (what a minimal client on asyncio would cost);
- ``blocking socket``: a plain socket, ``sendall`` and ``recv`` (the system calls alone).

Every path runs on uvloop, as the services do. Redis is a private redis-server on a free port
unless ``--url`` is given.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlparse

import uvloop

from rapport_runtime.redis import connect
from rapport_tools.dev import embedded_redis, find_redis_server

PING = b"*1\r\n$4\r\nPING\r\n"


async def measure(url: str, n: int, rounds: int) -> dict[str, list[float]]:
    client = connect(url)
    held = await client.connection_pool.get_connection()  # type: ignore[no-untyped-call]
    reader, writer = held._reader, held._writer  # the connection's own asyncio streams
    parsed = urlparse(url)
    sock = socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def rapport_client() -> None:
        await client.ping()

    async def held_connection() -> None:
        await held.send_command("PING")
        await held.read_response()

    async def asyncio_streams() -> None:
        writer.write(PING)
        await reader.readline()

    async def blocking_socket() -> None:
        sock.sendall(PING)
        sock.recv(64)

    paths: dict[str, Callable[[], Awaitable[None]]] = {
        "rapport client": rapport_client,
        "held connection": held_connection,
        "asyncio streams": asyncio_streams,
        "blocking socket": blocking_socket,
    }
    for path in paths.values():  # warm up: connections open, code paths taken once
        for _ in range(200):
            await path()
    cpu_us: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(rounds):
        for name, path in paths.items():
            started = time.process_time()
            for _ in range(n):
                await path()
            cpu_us[name].append((time.process_time() - started) / n * 1e6)
    sock.close()
    await client.connection_pool.release(held)  # type: ignore[no-untyped-call]
    await client.aclose()
    return cpu_us


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="Redis to use (default: a private redis-server)")
    parser.add_argument("--n", type=int, default=3000, help="round trips per path and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    def run(url: str) -> dict[str, list[float]]:
        return uvloop.run(measure(url, args.n, args.rounds))

    if args.url:
        results = run(args.url)
    else:
        with embedded_redis(find_redis_server()) as url:
            results = run(url)
    floor = statistics.median(results["blocking socket"])
    print(f"CPU per round trip (PING), median of {args.rounds} interleaved rounds of {args.n}:")
    for name, values in results.items():
        median = statistics.median(values)
        spread = f"{min(values):.0f}-{max(values):.0f}"
        print(f"  {name:16} {median:6.0f} us  (rounds {spread})  {median / floor:4.1f}x the socket")


if __name__ == "__main__":
    main()
