"""JSON logs: one object per line with the context bound once (per task, per request) rather
than passed by hand, redaction over every field (the message, ``extra=`` fields, exception text
and tracebacks), ids kept; level and format from the settings. The full episode over real
processes is tests/e2e/test_logs_episode.py."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from rapport_runtime.logs import (
    Id,
    bind,
    bind_event,
    bind_here,
    bound,
    configure_logging,
    event_fields,
    trace_id_of,
)
from rapport_runtime.service import LogContextMiddleware, request_fields
from tests.helpers import http_server

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, level in quiet.items():
        logging.getLogger(name).setLevel(level)


def capture(fmt: str, level: str = "DEBUG") -> io.StringIO:
    configure_logging("test", level, fmt)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    handler.setStream(buffer)
    return buffer


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    out = []
    for line in buffer.getvalue().splitlines():
        record = json.loads(line)  # every line is one JSON object, or this raises
        assert isinstance(record, dict)
        out.append(record)
    return out


@pytest.mark.usefixtures("restore_logging")
def test_a_record_is_one_json_object_with_its_fields() -> None:
    buffer = capture("json")
    logging.getLogger("rapport.router").info(
        "decision %s: %s\nsecond line", Id("c-1"), "ok", extra={"route": "human", "n": 3}
    )
    [record] = lines(buffer)
    assert record["level"] == "info"
    assert record["service"] == "test"
    assert record["logger"] == "rapport.router"
    assert record["message"] == "decision c-1: ok\nsecond line"
    assert record["route"] == "human" and record["n"] == 3
    assert record["time"].endswith("Z")
    assert buffer.getvalue().count("\n") == 1  # a newline in the message stays inside the line


@pytest.mark.usefixtures("restore_logging")
def test_bound_context_is_on_every_record_and_kept_whole() -> None:
    buffer = capture("json")
    log = logging.getLogger("x")
    # A numeric conversation id looks like a phone number: bound ids are never redacted.
    with bind(site="intercom", conversation_id="2025550176", handoff_id="hof_1"):
        log.info("first")
        with bind(entry_id="1700000000000-0", handoff_id=None):
            log.info("inner")
        log.info("after inner")
    log.info("outside")
    first, inner, after, outside = lines(buffer)
    assert first["conversation_id"] == "2025550176" and first["handoff_id"] == "hof_1"
    assert inner["entry_id"] == "1700000000000-0" and "handoff_id" not in inner
    assert after["handoff_id"] == "hof_1" and "entry_id" not in after
    assert "site" not in outside and "conversation_id" not in outside


@pytest.mark.usefixtures("restore_logging")
def test_extra_fields_are_redacted_unless_marked_as_ids() -> None:
    buffer = capture("json")
    logging.getLogger("x").warning(
        "helpdesk said no",
        extra={
            "detail": "customer jo@example.com, card 4111 1111 1111 1111, "
            "IBAN GB82WEST12345698765432",
            "ticket": Id("2025550176"),
            "unmarked": "2025550176",
            "nested": {"text": "call +49 30 1234567", "ids": [Id("4111111111111111")]},
            "latency_s": 0.25,
        },
    )
    [record] = lines(buffer)
    assert record["detail"] == "customer [email], card [card], IBAN [iban]"
    assert record["ticket"] == "2025550176"
    assert record["unmarked"] == "[phone]"
    assert record["nested"] == {"text": "call [phone]", "ids": ["4111111111111111"]}
    assert record["latency_s"] == 0.25


@pytest.mark.usefixtures("restore_logging")
def test_exception_text_and_tracebacks_are_redacted_in_json() -> None:
    buffer = capture("json")

    def deliver() -> None:
        raise RuntimeError("helpdesk refused: card 4111.1111.1111.1111, mail jo@example.com")

    with bind(handoff_id="hof_42"):
        try:
            deliver()
        except RuntimeError:
            logging.getLogger("rapport.handoff").exception("handoff failed")
        logging.getLogger("x").info("where", stack_info=True)
    failed, where = lines(buffer)
    assert failed["handoff_id"] == "hof_42"
    assert "Traceback (most recent call last)" in failed["exception"]
    assert "RuntimeError: helpdesk refused: card [card], mail [email]" in failed["exception"]
    assert "stack" in where
    assert "4111" not in buffer.getvalue() and "jo@example.com" not in buffer.getvalue()


@pytest.mark.usefixtures("restore_logging")
def test_pydantic_errors_lose_the_input_they_quote_cut_short() -> None:
    from pydantic import BaseModel, ValidationError

    class Model(BaseModel):
        author: int

    buffer = capture("json")
    try:
        Model(author="my email is jane.doe@example.com and my card 4111 1111 1111 1111 ok")  # type: ignore[arg-type]
    except ValidationError as exc:
        logging.getLogger("x").error("invalid: %s", exc)
        logging.getLogger("x").exception("invalid")
    text = buffer.getvalue()
    assert "jane.doe" not in text and "4111" not in text
    assert "input_value=[input]" in text


async def test_context_follows_awaits_and_tasks_but_not_sibling_tasks() -> None:
    async def loop(name: str) -> dict[str, str]:
        bind_here(stage=name)  # for the rest of this task only
        await asyncio.sleep(0)
        return bound()

    with bind(site="demo"):
        child = asyncio.create_task(asyncio.sleep(0, result=None))
        await child
        a, b = await asyncio.gather(loop("router"), loop("handoff"))
    assert a == {"site": "demo", "stage": "router"}
    assert b == {"site": "demo", "stage": "handoff"}
    assert bound() == {}


def test_event_fields_read_the_ids_of_every_event_kind() -> None:
    from rapport_contracts import ClassifiedMessage, Message

    message = Message(
        site="demo",
        conversation_id="c1",
        message_id="m1",
        author="customer",
        text="jo@example.com",
        sent_at="2026-01-01T00:00:00Z",  # type: ignore[arg-type]
        traceparent=TRACEPARENT,
    )
    classified = ClassifiedMessage(message=message)
    expected = {
        "site": "demo",
        "conversation_id": "c1",
        "message_id": "m1",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "entry_id": "1-0",
    }
    assert event_fields(message, "1-0") == expected
    assert event_fields(classified, "1-0") == expected
    with bind_event(classified):
        assert bound()["conversation_id"] == "c1"
    assert trace_id_of("not a traceparent") is None


def test_event_fields_read_models_properties_and_plain_objects_alike() -> None:
    """Fields are read from a pydantic model's ``__dict__`` (issue 14: no AttributeError per
    missing name); a property of the model's class and a plain object's attributes still
    count, and a name nothing has is simply absent."""
    from dataclasses import dataclass

    from pydantic import BaseModel

    class Result(BaseModel):
        site: str
        conversation_id: str
        ticket: str

        @property
        def handoff_id(self) -> str:
            return f"hof-{self.ticket}"

    @dataclass
    class Timer:
        site: str
        conversation_id: str
        traceparent: str | None = None

    assert event_fields(Result(site="s", conversation_id="c", ticket="7")) == {
        "site": "s",
        "conversation_id": "c",
        "handoff_id": "hof-7",
    }
    assert event_fields(Timer("s", "c", TRACEPARENT), "2-0") == {
        "site": "s",
        "conversation_id": "c",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "entry_id": "2-0",
    }


@pytest.mark.usefixtures("restore_logging")
def test_text_format_shows_the_context_after_the_message() -> None:
    buffer = capture("text")
    with bind(site="demo", conversation_id="c1"):
        logging.getLogger("rapport.router").info("decided %s", "jo@example.com")
    line = buffer.getvalue().strip()
    assert line.endswith("rapport.router: decided [email] site=demo conversation_id=c1"), line


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "text"),
        ({"RAPPORT_ENV": "production"}, "json"),
        ({"RAPPORT_ENV": "production", "RAPPORT_LOG_FORMAT": "TEXT"}, "text"),
        ({"RAPPORT_LOG_FORMAT": " json "}, "json"),
        ({"RAPPORT_LOG_FORMAT": "xml"}, "text"),  # before the settings refuse it
    ],
)
def test_format_and_level_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name in ("RAPPORT_ENV", "RAPPORT_LOG_FORMAT", "RAPPORT_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("RAPPORT_LOG_LEVEL", "warning")
    configure_logging("test")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    handler.setStream(buffer)
    logging.getLogger("x").info("hidden")
    logging.getLogger("x").warning("shown")
    output = buffer.getvalue()
    assert "hidden" not in output and "shown" in output
    if expected == "json":
        assert json.loads(output)["message"] == "shown"
    else:
        with pytest.raises(json.JSONDecodeError):
            json.loads(output)


def test_settings_resolve_the_log_format_and_refuse_bad_values() -> None:
    from pydantic import SecretStr, ValidationError

    from rapport_runtime.settings import RapportSettings

    assert RapportSettings(log_format=None).resolved_log_format == "text"
    production = RapportSettings(env="production", config="s.yaml", admin_token=SecretStr("x" * 20))
    assert production.resolved_log_format == "json"
    assert RapportSettings(log_level=" debug ").log_level == "DEBUG"  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        RapportSettings(log_level="LOUD")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        RapportSettings(log_format="xml")  # type: ignore[arg-type]


def test_a_requests_path_binds_only_valid_ids() -> None:
    assert request_fields("/v1/sites/demo/messages") == {"site": "demo"}
    assert request_fields("/v1/sites/demo/conversations/c-1") == {
        "site": "demo",
        "conversation_id": "c-1",
    }
    assert request_fields("/v1/sites/demo/webhooks/zendesk") == {
        "site": "demo",
        "provider": "zendesk",
    }
    assert request_fields("/sites/demo/conversations/c-1")["conversation_id"] == "c-1"
    # Whatever a sender typed in place of an id is not bound (it would escape redaction).
    assert request_fields("/v1/sites/Jo Doe 202-555-0176/messages") == {}
    assert request_fields("/v1/sites/demo/conversations/%20call%20me") == {"site": "demo"}
    assert request_fields("/healthz") == {}


@pytest.mark.usefixtures("restore_logging")
def test_a_request_is_bound_once_at_the_edge_over_real_http() -> None:
    buffer = capture("json")

    async def endpoint(request: Request) -> PlainTextResponse:
        logging.getLogger("rapport.edge").info("handling")
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[Route("/v1/sites/{site}/conversations/{cid}", endpoint)],
    )
    with http_server(LogContextMiddleware(app)) as base:
        assert httpx.get(f"{base}/v1/sites/demo/conversations/c-9", timeout=5).text == "ok"
        assert httpx.get(f"{base}/v1/sites/acme/conversations/c-10", timeout=5).text == "ok"
    handled = [r for r in lines(buffer) if r["message"] == "handling"]
    assert [(r["site"], r["conversation_id"]) for r in handled] == [
        ("demo", "c-9"),
        ("acme", "c-10"),
    ]
