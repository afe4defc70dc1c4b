"""Slow senders over real HTTP: 600 connections that send their headers and then trickle (or
never send) their body must not stop the edge answering ``/readyz`` or, once they are cut off,
accepting messages. The server runs the way ``serve()`` should run it: uvicorn with
``rapport_runtime.limits.uvicorn_options``."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from rapport_handoff.app import create_app
from rapport_runtime.limits import uvicorn_options
from rapport_runtime.settings import RapportSettings
from tests.helpers import message, serving_in_thread, signed

pytestmark = [pytest.mark.integration, pytest.mark.chaos]

SLOW_CONNECTIONS = 600
BODY_TIMEOUT_S = 1.5


@pytest.fixture
def edge(
    make_settings: Callable[..., RapportSettings], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, int]]:
    monkeypatch.delenv("RAPPORT_DEMO_SECRET", raising=False)
    settings = make_settings(body_timeout_s=BODY_TIMEOUT_S)
    with serving_in_thread(
        create_app(settings),
        start_timeout_s=20,
        lifespan="auto",
        backlog=2048,
        **uvicorn_options(settings),
    ) as (url, port):
        yield url, port


def slow_request(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        b"POST /v1/sites/demo/messages HTTP/1.1\r\nHost: edge\r\n"
        b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"conv'
    )
    return sock


def answer_of(sock: socket.socket, timeout: float) -> bytes:
    """What the server sent before closing (or ``timeout``), head and body."""
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                None,
            )
            if length is not None and len(rest) >= length:
                break
            sock.settimeout(1.0)
    except (TimeoutError, ConnectionError):
        pass
    return data


def test_slow_bodies_do_not_stop_readyz_and_are_cut_off(edge: tuple[str, int]) -> None:
    base, port = edge
    with httpx.Client(base_url=base, timeout=5) as http:
        assert http.get("/readyz").status_code == 200
        started = time.monotonic()
        slow = [slow_request(port) for _ in range(SLOW_CONNECTIONS)]
        try:
            # While all 600 hold their connection, the edge keeps answering health checks.
            while time.monotonic() - started < BODY_TIMEOUT_S:
                t0 = time.monotonic()
                reply = http.get("/readyz")
                assert reply.status_code == 200, reply.text
                assert time.monotonic() - t0 < 1.0, "readyz answered too slowly"
                time.sleep(0.1)
            # Every slow sender got an answer: 408 once the body timeout passed, or 429 at
            # once when the edge's request slots (RAPPORT_EDGE_MAX_INFLIGHT) or body-read
            # slots (RAPPORT_MAX_BODY_READS) were all taken: saturation, never a 503.
            answers = [answer_of(s, timeout=BODY_TIMEOUT_S + 5) for s in slow]
        finally:
            for s in slow:
                s.close()
        statuses = [a.split(b" ", 2)[1] if a.startswith(b"HTTP/1.1 ") else b"none" for a in answers]
        counts = {s: statuses.count(s) for s in set(statuses)}
        assert set(counts) <= {b"408", b"429"}, counts
        assert counts.get(b"408", 0) >= 1, counts
        assert b'"body_timeout"' in next(a for a in answers if b" 408 " in a)
        # Once they are gone, a real sender gets through.
        body, headers = signed(message(message_id="after-the-attack"))
        accepted = http.post("/v1/sites/demo/messages", content=body, headers=headers)
        assert accepted.status_code == 202, accepted.text


def test_a_body_that_never_ends_gets_408(edge: tuple[str, int]) -> None:
    _, port = edge
    sock = slow_request(port)
    try:
        t0 = time.monotonic()
        answer = answer_of(sock, timeout=BODY_TIMEOUT_S + 5)
        waited = time.monotonic() - t0
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert BODY_TIMEOUT_S - 0.2 <= waited <= BODY_TIMEOUT_S + 2
