"""CPU per helpdesk POST of the handoff service's HTTP client, by transport (issue 14).

    uv run python benchmarks/http_transport.py [--posts 3000] [--rounds 3] [--concurrency 8]

Starts the bench's fake helpdesk (``python -m rapport_tools.bench helpdesk``, its own process)
and POSTs a handoff-sized signed JSON body to it, the ``webhook`` adapter's way (one shared
``httpx.AsyncClient``, ``--concurrency`` requests at once, like the stage's delivery slots),
through each transport the service can use (``RAPPORT_HANDOFF_HTTP_TRANSPORT``), interleaved
``--rounds`` times. Prints this process's CPU time (user + system) per POST: the client's own
cost, the helpdesk's excluded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time

from rapport_handoff.http import TRANSPORTS, helpdesk_client
from rapport_runtime.signing import sign


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _posts(transport: str, url: str, posts: int, concurrency: int) -> float:
    body = b'{"packet": "' + b"x" * 1800 + b'"}'
    client = helpdesk_client(transport)
    try:
        await client.post(url, content=body)  # the connection, outside the measure
        left = posts

        async def sender() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                headers = {
                    "Content-Type": "application/json",
                    "Idempotency-Key": f"h-{left}",
                    "User-Agent": "rapport-handoff",
                } | sign("bench-secret", body)
                response = await client.post(url, content=body, headers=headers, timeout=10.0)
                assert response.is_success, response.status_code
                response.headers.get("X-Request-Id")

        start = time.process_time()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        return (time.process_time() - start) * 1000 / posts
    finally:
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    a = parser.parse_args()
    try:
        import uvloop

        run = uvloop.run
    except ImportError:  # pragma: no cover - uvicorn's loop is uvloop when it is installed
        run = asyncio.run
    port = _free_port()
    helpdesk = subprocess.Popen(
        [sys.executable, "-m", "rapport_tools.bench", "helpdesk", "--port", str(port)]
    )
    try:
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}/hook"
        print(f"load average {os.getloadavg()[0]:.2f} at the start", flush=True)
        for r in range(1, a.rounds + 1):
            figures = {t: run(_posts(t, url, a.posts, a.concurrency)) for t in TRANSPORTS}
            print(
                f"round {r}: "
                + ", ".join(f"{t} {ms:.3f} CPU-ms/POST" for t, ms in figures.items())
                + f" (load {os.getloadavg()[0]:.2f})",
                flush=True,
            )
    finally:
        helpdesk.terminate()
        helpdesk.wait()


if __name__ == "__main__":
    main()
