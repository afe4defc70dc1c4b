"""The OpenAI-compatible chat backend against a local fake server over real HTTP: the request
it sends, the classification it builds, and the fallback to the default classifier on every
kind of failure, within the timeout."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from rapport_contracts import Turn
from rapport_router.engine import ConversationState, decide
from rapport_runtime.policies import default_policy
from rapport_sentiment.backends import OpenAIChatBackend
from rapport_sentiment.backends.openai_chat import RESPONSE_SCHEMA
from rapport_sentiment.classifier import classify
from rapport_tools.dev import free_port
from tests.helpers import http_server

TEXT = "My card was stolen and nobody answers the phone, this is ridiculous"
CONTEXT = (Turn(author="customer", text="hello?"), Turn(author="bot", text="How can I help?"))
ANSWER: dict[str, Any] = {
    "sentiment": "negative",
    "sentiment_score": -0.8,
    "frustration": 0.9,
    "complexity": 0.4,
    "signals": [
        {"name": "complaint", "score": 0.7, "evidence": "nobody answers the phone"},
        {"name": "sarcasm", "score": 0.2, "evidence": "words that are not in the message"},
    ],
}


def _completion(content: Any, **message: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content, **message},
            }
        ],
    }


class FakeServer:
    """Answers ``POST /v1/chat/completions`` as ``mode`` says; keeps the requests it saw."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.app = Starlette(
            routes=[Route("/v1/chat/completions", self.complete, methods=["POST"])]
        )

    async def complete(self, request: Request) -> Response:
        self.requests.append((dict(request.headers), json.loads(await request.body())))
        mode = self.mode
        if mode == "ok":
            return JSONResponse(_completion(json.dumps(ANSWER)))
        if mode == "slow":
            await asyncio.sleep(1.5)
            return JSONResponse(_completion(json.dumps(ANSWER)))
        if mode == "trickle":

            async def drip() -> AsyncIterator[bytes]:
                for _ in range(30):
                    await asyncio.sleep(0.1)
                    yield b" "

            return StreamingResponse(drip(), media_type="application/json")
        if mode == "error":
            return JSONResponse({"error": {"message": "overloaded"}}, status_code=503)
        if mode == "not-json":
            return Response(b"<html>gateway</html>", media_type="text/html")
        if mode == "prose":
            return JSONResponse(_completion("The customer seems upset."))
        if mode == "out-of-range":
            return JSONResponse(_completion(json.dumps({**ANSWER, "frustration": 7})))
        if mode == "unknown-signal":
            bad = {**ANSWER, "signals": [{"name": "vibes", "score": 0.5, "evidence": "x"}]}
            return JSONResponse(_completion(json.dumps(bad)))
        if mode == "refusal":
            return JSONResponse(_completion(None, refusal="I cannot help with that."))
        raise AssertionError(mode)


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[FakeServer, str]]:
    server = FakeServer()
    with http_server(server.app) as url:
        yield server, url + "/v1"


def test_classifies_through_the_endpoint(fake: tuple[FakeServer, str]) -> None:
    server, url = fake
    server.mode = "ok"
    with OpenAIChatBackend(url, "test-model", api_key="sk-test", timeout=2.0) as backend:
        c = backend(TEXT, CONTEXT)
    assert c.classifier_version == "openai-chat:test-model"
    assert (c.sentiment, c.sentiment_score, c.frustration) == ("negative", -0.8, 0.9)
    assert c.complexity_level == "medium"
    complaint = c.signal("complaint")
    assert complaint is not None and complaint.score == 0.7
    assert complaint.start is not None and complaint.end is not None
    assert TEXT[complaint.start : complaint.end] == "nobody answers the phone"
    sarcasm = c.signal("sarcasm")
    assert sarcasm is not None and sarcasm.start is None  # evidence not found in the message
    # the default classifier's patterns are merged in: the stolen card is not lost
    fraud = c.signal("security_fraud")
    assert fraud is not None and fraud.evidence == "card was stolen"
    assert decide(default_policy(), c, ConversationState()).route == "human"
    assert backend.fallbacks == 0

    headers, body = server.requests[-1]
    assert headers["authorization"] == "Bearer sk-test"
    assert body["model"] == "test-model"
    assert body["temperature"] == 0.0
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["response_format"]["json_schema"]["schema"] == RESPONSE_SCHEMA
    system, user = body["messages"]
    assert system["role"] == "system" and "JSON" in system["content"]
    assert user["role"] == "user" and TEXT in user["content"]
    assert "[bot] How can I help?" in user["content"]


def test_without_merging_only_the_model_speaks(fake: tuple[FakeServer, str]) -> None:
    server, url = fake
    server.mode = "ok"
    with OpenAIChatBackend(url, "m", merge_default_signals=False) as backend:
        c = backend(TEXT)
    assert {s.name for s in c.signals} == {"complaint", "sarcasm"}
    assert "authorization" not in server.requests[-1][0]


@pytest.mark.parametrize(
    "mode",
    ["slow", "trickle", "error", "not-json", "prose", "out-of-range", "unknown-signal", "refusal"],
)
def test_falls_back_to_the_default_classifier(fake: tuple[FakeServer, str], mode: str) -> None:
    server, url = fake
    server.mode = mode
    timeout = 0.5
    with OpenAIChatBackend(url, "m", timeout=timeout) as backend:
        started = time.monotonic()
        c = backend(TEXT, CONTEXT)
        elapsed = time.monotonic() - started
    assert c == classify(TEXT, CONTEXT)
    assert (backend.calls, backend.fallbacks) == (1, 1)
    assert elapsed < timeout + 0.4, f"{mode}: took {elapsed:.2f} s with a {timeout} s timeout"


def test_falls_back_when_nothing_listens() -> None:
    with OpenAIChatBackend(f"http://127.0.0.1:{free_port()}/v1", "m", timeout=0.5) as backend:
        assert backend("hello") == classify("hello")
        assert backend.fallbacks == 1


def test_rejects_a_non_positive_timeout() -> None:
    with pytest.raises(ValueError, match="timeout"):
        OpenAIChatBackend("http://127.0.0.1:1/v1", "m", timeout=0)


def test_rapport_eval_with_the_chat_backend(fake: tuple[FakeServer, str], tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from rapport_tools.evaluation.command import eval_app

    server, url = fake
    gold = tmp_path / "gold.jsonl"
    items = [
        {"id": "t:1", "source": "t", "text": "thanks, all sorted", "escalate": 0},
        {"id": "t:2", "source": "t", "text": TEXT, "escalate": 1},
    ]
    gold.write_text("".join(json.dumps(i) + "\n" for i in items), "utf-8")
    runner = CliRunner()
    server.mode = "ok"  # the fake model calls every message a negative complaint
    args = ["run", str(gold), "--json", "--chat-url", url, "--chat-model", "m"]
    result = runner.invoke(eval_app, args)
    assert result.exit_code == 0, result.output
    escalate = json.loads(result.output)["t"]["escalate"]
    assert (escalate["precision"], escalate["recall"]) == (0.5, 1.0)

    server.mode = "error"  # every message falls back: the default classifier's numbers
    fallback = runner.invoke(eval_app, args)
    default = runner.invoke(eval_app, ["run", str(gold), "--json"])
    assert fallback.exit_code == default.exit_code == 0
    assert json.loads(fallback.output) == json.loads(default.output)

    missing_model = runner.invoke(eval_app, ["run", str(gold), "--chat-url", url])
    assert missing_model.exit_code == 2
