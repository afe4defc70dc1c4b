"""One customer message is one trace: the webhook's server span, the classification, the
decision, the handoff and the helpdesk HTTP call share a trace id, carried across the Redis
stream hops in the events' ``traceparent``. The three services run in this process against a
real Redis and a real HTTP helpdesk, with OpenTelemetry's in-memory exporter."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from rapport_handoff.app import create_app as create_handoff
from rapport_router.app import create_app as create_router
from rapport_runtime import tracing
from rapport_runtime.settings import RapportSettings
from rapport_sentiment.app import create_app as create_sentiment
from tests.helpers import http_server, message, signed, wait_until, webhook_sites_file

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.instrument_httpx()
    yield exporter
    exporter.shutdown()  # later tests' spans are not kept


def test_one_message_is_one_trace_across_every_hop(
    spans: InMemorySpanExporter,
    make_settings: Callable[..., RapportSettings],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    received: list[dict[str, str]] = []

    async def hook(request: Request) -> JSONResponse:
        await request.body()
        received.append(dict(request.headers))
        return JSONResponse({"id": "T-1"}, status_code=201)

    helpdesk = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    with http_server(helpdesk) as base:
        sites = webhook_sites_file(
            tmp_path / "sites.yaml",
            f"{base}/hook",
            site_secret_env="TRACE_SECRET",
            hook_secret_env="TRACE_HANDOFF_SECRET",
        )
        monkeypatch.setenv("TRACE_SECRET", "demo-secret")
        monkeypatch.setenv("TRACE_HANDOFF_SECRET", "handoff-secret-0123456789")
        settings = make_settings(config=str(sites))
        spans.clear()
        with (
            TestClient(create_sentiment(settings)),
            TestClient(create_router(settings)),
            TestClient(create_handoff(settings)) as edge,
        ):
            raw, headers = signed(message("c-trace", "m1", "I want to talk to a real person"))
            assert (
                edge.post("/v1/sites/demo/messages", content=raw, headers=headers).status_code
                == 202
            )
            wait_until(lambda: received, timeout=20)
            wait_until(lambda: _names(spans) >= {"handoff deliver"}, timeout=10)

    by_trace: dict[int, set[str]] = {}
    for span in spans.get_finished_spans():
        by_trace.setdefault(span.context.trace_id, set()).add(span.name)
    wanted = {"sentiment classify", "router decide", "handoff deliver"}
    [names] = [n for n in by_trace.values() if wanted <= n]
    assert any(n.startswith("POST /v1/sites") for n in names), names  # the webhook's span
    assert "POST" in names, names  # the helpdesk call, through the httpx instrumentation
    assert "traceparent" in received[0]  # and the helpdesk is told the trace, too


def _names(exporter: InMemorySpanExporter) -> set[str]:
    found: Any = {s.name for s in exporter.get_finished_spans()}
    return set(found)
