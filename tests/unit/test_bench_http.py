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
