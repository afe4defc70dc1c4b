"""The HTTP client every adapter calls its helpdesk with: one ``httpx.AsyncClient`` per process,
on one of two transports (``RAPPORT_HANDOFF_HTTP_TRANSPORT``):

- ``aiohttp`` (the default): httpx's interface on aiohttp's HTTP/1.1 client
  (``httpx-aiohttp``'s ``AiohttpTransport``). The adapters keep their httpx code (requests,
  timeouts, ``httpx.TimeoutException``/``httpx.TransportError``, ``response.headers``); only the
  socket-level work changes hands. Why it is the default: aiohttp's request writer and
  C-accelerated response parser cost a fraction of httpcore + h11 + anyio per POST (measured in
  docs/performance.md, "2026-12-03 afternoon: the handoff stage's CPU";
  ``benchmarks/http_transport.py`` reproduces it).
- ``httpx``: httpx's own transport (httpcore), the fall-back: HTTP/2 is not used by any
  adapter, so nothing else differs.

Errors keep the meaning they have on httpx's own transport: ``AiohttpTransport`` maps every
non-timeout connection failure of aiohttp (refused, reset, the server closing) to
``httpx.ConnectTimeout``, which the adapters would report as "timed out"; here those become
``httpx.ConnectError`` (could not connect) or ``httpx.RemoteProtocolError`` (the connection
broke), as httpcore raises them. Timeouts stay ``httpx.TimeoutException``.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx

from rapport_runtime import tracing

Transport = Literal["aiohttp", "httpx"]
TRANSPORTS: tuple[Transport, ...] = ("aiohttp", "httpx")


def helpdesk_client(transport: Transport = "aiohttp") -> httpx.AsyncClient:
    """The process's client for the helpdesk APIs (redirects never followed)."""
    if transport == "httpx":
        return httpx.AsyncClient(follow_redirects=False)
    from httpx_aiohttp import AiohttpTransport

    client = _AiohttpClient(follow_redirects=False, transport=AiohttpTransport())
    # httpx's instrumentation patches httpx's own transport class; this one is wrapped per client.
    tracing.instrument_httpx_client(client)
    return client


class _AiohttpClient(httpx.AsyncClient):
    """Connection failures named as httpcore names them (the module docstring), whether they
    happen sending the request or reading the answer's body (both within ``send``)."""

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        try:
            return await super().send(request, **kwargs)
        except httpx.ConnectTimeout as exc:
            import aiohttp

            cause = exc.__cause__
            if cause is None or isinstance(cause, TimeoutError):
                raise
            if isinstance(cause, aiohttp.ClientConnectorError):
                raise httpx.ConnectError(str(exc), request=request) from cause
            raise httpx.RemoteProtocolError(str(exc), request=request) from cause
