"""OpenTelemetry across the hops: one customer message is one trace, from the webhook through
the classification and the decision to the helpdesk call.

Stream entries have no headers, so the W3C ``traceparent`` travels in the event
(``Message.traceparent``, ``HandoffPacket.traceparent``): the edge stamps it from the request's
span, each stage opens its span as a child of the event's, and the router stamps the packet
with its own span so the handoff (and the helpdesk HTTP call, through the httpx
instrumentation) hangs below the decision.

Off by default: nothing is exported unless the standard variables ask for it
(``OTEL_TRACES_EXPORTER=otlp`` or ``console``, or an ``OTEL_EXPORTER_OTLP[_TRACES]_ENDPOINT``;
``OTEL_SERVICE_NAME`` and the rest as the OpenTelemetry SDK documents them). Without them the
API's no-op tracer makes every span nearly free, and the Starlette and httpx instrumentations
are not installed at all.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import re
from collections.abc import Iterator
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger("rapport_runtime.tracing")
_PROPAGATOR = TraceContextTextMapPropagator()
_state = {"instrumented_httpx": False}
# With tracing off, the traceparent of the event a stage_span is for (see stage_span): what
# the API's no-op span carried, a well-formed version-00 traceparent with non-zero ids.
_UNTRACED_PARENT: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "rapport_untraced_parent", default=None
)
_VALID = re.compile(r"^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$")


def _asked_for() -> str | None:
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter in ("otlp", "console"):
        return exporter
    if not exporter:
        for name in ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"):
            if os.environ.get(name):
                return "otlp"
    return None


def enabled() -> bool:
    """A real tracer provider is installed (by :func:`configure` or by a test)."""
    from opentelemetry.sdk.trace import TracerProvider

    return isinstance(trace.get_tracer_provider(), TracerProvider)


def configure(service: str) -> None:
    """Install the SDK's tracer provider and exporter when the environment asks for one."""
    exporter_name = _asked_for()
    if exporter_name is None:
        return
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SpanExporter,
    )

    exporter: SpanExporter
    if exporter_name == "console":
        exporter = ConsoleSpanExporter()
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    name = os.environ.get("OTEL_SERVICE_NAME") or f"rapport-{service}"
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    instrument_httpx()
    log.info("tracing on: %s exporter, service %s", exporter_name, name)


def instrument_httpx() -> None:
    """Spans for every outgoing httpx call (the helpdesk APIs); clients made after this."""
    if not _state["instrumented_httpx"]:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor().instrument()
        _state["instrumented_httpx"] = True


def instrument_httpx_client(client: Any) -> None:
    """Spans for one client whose transport is not httpx's own (the instrumentation of
    :func:`instrument_httpx` patches httpx's transport classes only); nothing unless
    :func:`instrument_httpx` ran."""
    if _state["instrumented_httpx"]:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor.instrument_client(client)


def instrument_app(app: Any) -> None:
    """Server spans for a service's HTTP routes (the edge's webhooks), when tracing is on."""
    if enabled():
        from opentelemetry.instrumentation.starlette import StarletteInstrumentor

        StarletteInstrumentor.instrument_app(app)


def current_traceparent() -> str | None:
    """The W3C traceparent of the span in progress, or None when nothing is being traced
    (with tracing off: the traceparent of the event whose :func:`stage_span` this is in)."""
    if not enabled():
        return _UNTRACED_PARENT.get()
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


@contextlib.contextmanager
def stage_span(name: str, traceparent: str | None, **attributes: str) -> Iterator[Span]:
    """A consumer span for one event, child of the span that produced it.

    With tracing off (no SDK provider, the default) no span is made at all: the API's no-op
    span cost more than parsing the event (extracting the parent, a context switch in and
    out; ~2 % of the router's CPU and ~5 % of the sentiment stage's, py-spy, issue 14). The
    event's traceparent is kept for :func:`current_traceparent` instead, which is what the
    no-op span gave it: the parent's own, when well formed."""
    if not enabled():
        valid = traceparent if traceparent and _VALID.match(traceparent) else None
        token = _UNTRACED_PARENT.set(valid)
        try:
            yield trace.INVALID_SPAN
        finally:
            _UNTRACED_PARENT.reset(token)
        return
    parent = _PROPAGATOR.extract({"traceparent": traceparent}) if traceparent else None
    tracer = trace.get_tracer("rapport")
    with tracer.start_as_current_span(
        name, context=parent, kind=SpanKind.CONSUMER, attributes=attributes
    ) as span:
        yield span
