"""The load generator's keep-alive client against a real uvicorn server that closes idle
connections, as the edge does after RAPPORT_HTTP_KEEPALIVE_S."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from rapport_tools.bench import _Http
from tests.helpers import serving_in_thread

KEEPALIVE_S = 1


async def accept(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"status": "accepted"}, status_code=202)


@pytest.fixture
def short_keepalive_server() -> Iterator[int]:
    app = Starlette(routes=[Route("/m", accept, methods=["POST"])])
    with serving_in_thread(app, timeout_keep_alive=KEEPALIVE_S) as (_, port):
        yield port


def test_a_connection_the_server_closed_while_idle_is_replaced_not_failed(
    short_keepalive_server: int,
) -> None:
    """Reusing a keep-alive connection the server has closed for idleness opens a new one (as
    httpx and urllib3 do), instead of failing the request: the soak's client-side errors."""

    async def run() -> list[int]:
        client = _Http("127.0.0.1", short_keepalive_server)
        try:
            first = await client.post("/m", b"{}", {})
            await asyncio.sleep(KEEPALIVE_S + 1.0)  # the server closes it meanwhile
            second = await client.post("/m", b"{}", {})
            third = await client.post("/m", b"{}", {})
            return [first, second, third]
        finally:
            client.close()

    assert asyncio.run(run()) == [202, 202, 202]


def test_a_request_that_meets_a_connection_closing_under_it_is_sent_once_more() -> None:
    """The race the idle check cannot see: the server closes a kept-alive connection as the
    next request goes out (it reads the request and hangs up without an answer). The
    client sends it again on a new connection and counts that, instead of failing it."""

    async def run() -> tuple[list[int], int, int]:
        requests_seen, hung_up = 0, False
        handlers_done: list[bool] = []

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal requests_seen, hung_up
            answered_here = 0
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    break
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                requests_seen += 1
                if answered_here == 1 and not hung_up:  # the first connection's second request
                    hung_up = True
                    break
                writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}")
                await writer.drain()
                answered_here += 1
            writer.close()
            await writer.wait_closed()
            handlers_done.append(True)

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = _Http("127.0.0.1", port)
        try:
            statuses = [await client.post("/m", b"{}", {}) for _ in range(3)]
        finally:
            client.close()
            # Every connection's handler sees its end before the loop closes (two
            # connections: the one hung up on, and the new one).
            for _ in range(200):
                if len(handlers_done) == 2:
                    break
                await asyncio.sleep(0.01)
            server.close()
            await server.wait_closed()
        return statuses, client.resent, requests_seen

    statuses, resent, seen = asyncio.run(run())
    assert statuses == [202, 202, 202]
    assert resent == 1
    assert seen == 4  # the one the server hung up on, and its second sending


def test_a_fresh_connection_that_fails_is_an_error_not_a_silent_retry() -> None:
    """Only a reused connection is retried: a server that is not there is an error."""
    from rapport_tools.dev import free_port

    client = _Http("127.0.0.1", free_port())
    with pytest.raises(ConnectionRefusedError):
        asyncio.run(client.post("/m", b"{}", {}))
    assert client.resent == 0
