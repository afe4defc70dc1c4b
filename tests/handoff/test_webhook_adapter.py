"""The ``webhook`` adapter against a real local HTTP server that checks what it receives."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rapport_contracts import Decision, HandoffPacket, Reason
from rapport_handoff.adapters.base import AdapterContext, PermanentError, TransientError
from rapport_handoff.adapters.webhook import WebhookAdapter
from rapport_handoff.http import TRANSPORTS, helpdesk_client
from rapport_runtime.config import AdapterConfig, ConfigError, Site
from rapport_runtime.policies import default_policy
from rapport_runtime.settings import RapportSettings
from rapport_runtime.signing import verify
from tests.helpers import http_server


@dataclass
class FakeReceiver:
    """Answers with the scripted statuses in turn, then 200; records every request."""

    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            self.requests.append((dict(request.headers), await request.body()))
            if self.script:
                status, headers = self.script.pop(0)
                return JSONResponse({"error": f"scripted {status}"}, status, headers=headers)
            return JSONResponse({"ok": True}, 200, headers={"X-Request-Id": "rcv-1"})

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


@pytest.fixture
def receiver() -> Iterator[tuple[FakeReceiver, str]]:
    fake = FakeReceiver()
    with http_server(fake.app()) as base:
        yield fake, f"{base}/hook"


def packet() -> HandoffPacket:
    decision = Decision(
        decision_id="d1",
        site="acme",
        conversation_id="c1",
        message_id="m1",
        route="human",
        queue="support",
        priority="high",
        policy_id="default",
        policy_version="1",
        classifier_version="t",
        reasons=(Reason(rule="explicit-human-request"),),
    )
    return HandoffPacket(
        handoff_id="hof_1",
        site="acme",
        conversation_id="c1",
        decision=decision,
        summary="s",
        transcript=(),
        sentiment_trend=(),
    )


def site(url: str, **options: Any) -> Site:
    adapter = AdapterConfig.model_validate({"type": "webhook", "url": url, **options})
    return Site("acme", "inbound-secret", adapter, default_policy(), lambda loc: "sites.yaml:7")


@pytest.fixture(params=TRANSPORTS)
async def make_adapter(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> AsyncIterator[Callable[..., WebhookAdapter]]:
    """An adapter on the service's client, with each transport it can run on."""
    monkeypatch.setenv("ACME_HANDOFF_SECRET", "outbound-secret")
    clients: list[httpx.AsyncClient] = []

    def make(url: str, **options: Any) -> WebhookAdapter:
        http = helpdesk_client(request.param)
        clients.append(http)
        options = {"secret": {"env": "ACME_HANDOFF_SECRET"}, "max_wait_s": 0.05, **options}
        context = AdapterContext(RapportSettings(), None, http)  # type: ignore[arg-type]
        return WebhookAdapter(site(url, **options), context)

    yield make
    for http in clients:
        await http.aclose()


async def test_posts_the_packet_signed_with_an_idempotency_key(
    receiver: tuple[FakeReceiver, str], make_adapter: Callable[..., WebhookAdapter]
) -> None:
    fake, url = receiver
    delivered = await make_adapter(url).deliver(packet())
    assert delivered.external_id == "rcv-1"
    [(headers, body)] = fake.requests
    assert json.loads(body)["handoff_id"] == "hof_1"
    assert headers["idempotency-key"] == "hof_1"
    assert headers["content-type"] == "application/json"
    verify("outbound-secret", headers["x-rapport-timestamp"], headers["x-rapport-signature"], body)


async def test_transient_failures_are_retried_then_succeed(
    receiver: tuple[FakeReceiver, str], make_adapter: Callable[..., WebhookAdapter]
) -> None:
    fake, url = receiver
    fake.script = [(503, {}), (429, {"Retry-After": "0"}), (502, {})]
    await make_adapter(url).deliver(packet())
    assert len(fake.requests) == 4
    assert len({h["idempotency-key"] for h, _ in fake.requests}) == 1


async def test_retries_stop_after_the_configured_attempts(
    receiver: tuple[FakeReceiver, str], make_adapter: Callable[..., WebhookAdapter]
) -> None:
    fake, url = receiver
    fake.script = [(503, {})] * 10
    with pytest.raises(TransientError, match="HTTP 503"):
        await make_adapter(url, attempts=3).deliver(packet())
    assert len(fake.requests) == 3


async def test_a_refusal_is_permanent_and_carries_the_receivers_text(
    receiver: tuple[FakeReceiver, str], make_adapter: Callable[..., WebhookAdapter]
) -> None:
    fake, url = receiver
    fake.script = [(400, {})]
    with pytest.raises(PermanentError, match=r"HTTP 400.*scripted 400"):
        await make_adapter(url).deliver(packet())
    assert len(fake.requests) == 1


async def test_unreachable_receiver_is_transient(
    make_adapter: Callable[..., WebhookAdapter],
) -> None:
    from rapport_tools.dev import free_port

    with pytest.raises(TransientError, match="could not reach"):
        await make_adapter(f"http://127.0.0.1:{free_port()}/hook", attempts=2).deliver(packet())


async def _raw_receiver(answer: bool) -> tuple[asyncio.Server, str, list[bytes]]:
    """A receiver that reads each request's head and then closes the connection without an
    answer (``answer`` False), or holds it open and never answers (True: a hung helpdesk)."""
    heads: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append(await reader.readuntil(b"\r\n\r\n"))
        if answer:
            while await reader.read(65536):  # until the client gives up and closes
                pass
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/hook", heads


async def test_a_receiver_that_drops_the_connection_is_unreachable_not_slow(
    make_adapter: Callable[..., WebhookAdapter],
) -> None:
    server, url, heads = await _raw_receiver(answer=False)
    async with server:
        with pytest.raises(TransientError, match="could not reach") as raised:
            await make_adapter(url, attempts=2).deliver(packet())
    assert len(heads) == 2  # each attempt reached it
    assert isinstance(raised.value.__cause__, httpx.TransportError)
    assert not isinstance(raised.value.__cause__, httpx.TimeoutException)


async def test_a_receiver_that_never_answers_times_out(
    make_adapter: Callable[..., WebhookAdapter],
) -> None:
    server, url, heads = await _raw_receiver(answer=True)
    async with server:
        with pytest.raises(TransientError, match=r"timed out after 0\.2 s"):
            await make_adapter(url, attempts=1, timeout_s=0.2).deliver(packet())
    assert len(heads) == 1


def test_bad_options_name_the_field_and_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(
        ConfigError, match=r"sites.yaml:7: adapter.url: Input should be a valid URL"
    ):
        WebhookAdapter.check(site("not a url"))
    monkeypatch.delenv("MISSING_SECRET", raising=False)
    with pytest.raises(ConfigError, match="MISSING_SECRET is not set"):
        WebhookAdapter.check(site("https://x.test/h", secret={"env": "MISSING_SECRET"}))


def test_decision_time_is_utc() -> None:
    assert packet().decision.decided_at.tzinfo is not None
    assert packet().decision.decided_at <= datetime.now(UTC)


async def test_a_failing_receiver_is_given_up_on_after_the_deadline(
    receiver: tuple[FakeReceiver, str], make_adapter: Callable[..., WebhookAdapter]
) -> None:
    import time

    fake, url = receiver
    fake.script = [(503, {})] * 50
    started = time.monotonic()
    with pytest.raises(TransientError):
        await make_adapter(url, attempts=20, max_wait_s=0.3, deadline_s=0.5).deliver(packet())
    assert time.monotonic() - started < 3
    assert 1 < len(fake.requests) < 20


async def test_the_transport_setting_chooses_the_clients_transport(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from httpx_aiohttp import AiohttpTransport

    assert RapportSettings().handoff_http_transport == "aiohttp"  # the default
    monkeypatch.setenv("RAPPORT_HANDOFF_HTTP_TRANSPORT", "httpx")
    chosen = RapportSettings().handoff_http_transport
    assert chosen == "httpx"
    pairs: tuple[tuple[Literal["aiohttp", "httpx"], type], ...] = (
        (chosen, httpx.AsyncHTTPTransport),
        ("aiohttp", AiohttpTransport),
    )
    for transport, kind in pairs:
        client = helpdesk_client(transport)
        try:
            assert isinstance(client._transport, kind)
        finally:
            await client.aclose()
