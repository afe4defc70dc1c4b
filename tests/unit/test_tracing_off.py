"""With tracing off (no SDK provider, the default), ``stage_span`` makes no span (issue 14: the
no-op span cost more than parsing the event) yet hands on the same traceparent the API's
no-op span did: the router stamps it on the handoff packet."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from rapport_runtime import tracing

VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
UNSAMPLED = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
MALFORMED = (
    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
    "not a traceparent",
    "",
)


@pytest.fixture
def tracing_off(monkeypatch: pytest.MonkeyPatch) -> None:
    # The API's own default: no provider set (another test may have installed the SDK's).
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)
    assert not tracing.enabled()


def what_the_no_op_span_gave(traceparent: str | None) -> str | None:
    propagator = TraceContextTextMapPropagator()
    parent = propagator.extract({"traceparent": traceparent}) if traceparent else None
    with trace.get_tracer("t").start_as_current_span("s", context=parent):
        carrier: dict[str, str] = {}
        propagator.inject(carrier)
        return carrier.get("traceparent")


@pytest.mark.usefixtures("tracing_off")
@pytest.mark.parametrize("traceparent", [VALID, UNSAMPLED, None, *MALFORMED])
def test_the_traceparent_handed_on_is_the_no_op_spans(traceparent: str | None) -> None:
    with tracing.stage_span("router decide", traceparent, site="demo") as span:
        assert not span.is_recording()
        assert tracing.current_traceparent() == what_the_no_op_span_gave(traceparent)
    assert tracing.current_traceparent() is None


@pytest.mark.usefixtures("tracing_off")
def test_spans_nest_and_each_restores_the_one_around_it() -> None:
    with tracing.stage_span("outer", VALID):
        with tracing.stage_span("inner", UNSAMPLED):
            assert tracing.current_traceparent() == UNSAMPLED
        assert tracing.current_traceparent() == VALID
        with tracing.stage_span("none", None):
            assert tracing.current_traceparent() is None
        assert tracing.current_traceparent() == VALID
    assert tracing.current_traceparent() is None
