"""The edge's limits against a real Redis: hostile headers and JSON get a clear 4xx, ids follow
the one rule, dedupe keys cannot collide, a site over its rate gets a 429, unknown routes and
methods answer JSON. Every refusal is checked to have written nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis as redis_sync
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from rapport_contracts import IDENTIFIER_RULE, is_identifier
from rapport_handoff.app import create_app
from rapport_runtime.limits import JSONLimitError, RateLimiter, loads_bounded
from rapport_runtime.redis import dedupe_key
from rapport_runtime.settings import RapportSettings
from rapport_runtime.signing import signature
from tests.helpers import message, signed

pytestmark = pytest.mark.integration

URL = "/v1/sites/demo/messages"
ADMIN = {"Authorization": "Bearer dev-admin-token"}


@pytest.fixture
def make_client(
    make_settings: Callable[..., RapportSettings], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., TestClient]]:
    monkeypatch.delenv("RAPPORT_DEMO_SECRET", raising=False)
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        client = TestClient(create_app(make_settings(**overrides)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


def stream_length(r: redis_sync.Redis, prefix: str) -> int:
    return int(r.xlen(f"{prefix}:messages"))


def refused(reply: Any, status: int, error: str) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    payload: dict[str, Any] = reply.json()
    assert payload["error"] == error, payload
    assert payload["message"]
    return payload


# -- dedupe keys ---------------------------------------------------------------------------


def test_ids_joined_by_colons_do_not_collide(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str
) -> None:
    first = client.post(URL, **_signed(message(conversation="order", message_id="42:1")))
    second = client.post(URL, **_signed(message(conversation="order:42", message_id="1")))
    assert first.json()["duplicate"] is False
    assert second.json()["duplicate"] is False, "order + 42:1 and order:42 + 1 are two messages"
    assert stream_length(redis_client, prefix) == 2
    again = client.post(URL, **_signed(message(conversation="order:42", message_id="1")))
    assert again.json()["duplicate"] is True
    assert stream_length(redis_client, prefix) == 2


@given(
    a=st.lists(st.text(max_size=6), min_size=1, max_size=4),
    b=st.lists(st.text(max_size=6), min_size=1, max_size=4),
)
def test_dedupe_keys_are_injective(a: list[str], b: list[str]) -> None:
    if a != b:
        assert dedupe_key("p", "edge", *a) != dedupe_key("p", "edge", *b)


def test_dedupe_keys_keep_a_readable_scope() -> None:
    # Compact since issue 14: the parts are a fixed-length digest, the scope stays readable.
    key = dedupe_key("rapport", "edge", "demo", "order", "42:1")
    assert key.startswith("rapport:seen:edge:")
    assert len(key) == len("rapport:seen:edge:") + 16


# -- hostile headers and JSON --------------------------------------------------------------


def _signed(body: dict[str, Any] | bytes, **headers: str) -> dict[str, Any]:
    raw, signed_headers = signed(body)
    return {"content": raw, "headers": {**signed_headers, **headers}}


@pytest.mark.parametrize(
    "timestamp",
    ["²", "٣", "9" * 309, "9" * 5000, "-5", "1.5", " ", "0x10"],
    ids=[
        "superscript-two",
        "arabic-three",
        "309-digits",
        "5000-digits",
        "negative",
        "float",
        "blank",
        "hex",
    ],
)
def test_hostile_timestamps_are_a_401(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str, timestamp: str
) -> None:
    raw = json.dumps(message()).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Rapport-Timestamp": timestamp,
        "X-Rapport-Signature": signature("demo-secret", timestamp, raw),
    }
    encoded = {k: v.encode("utf-8") if not v.isascii() else v for k, v in headers.items()}
    reply = client.post(URL, content=raw, headers=encoded)
    refused(reply, 401, "bad_signature")
    assert stream_length(redis_client, prefix) == 0


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "deeper than 32"),
        (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "deeper than 32"),
        (b"[" * 33 + b"]" * 33, "deeper than 32"),
        (
            b'{"conversation_id": "c1", "message_id": "m1", "author": "customer", "text": "hi", '
            b'"customer": {"attributes": {"n": ' + b"9" * 4300 + b"}}}",
            "4300 characters",
        ),
        (b'{"message_id": ' + b"1" * 4301 + b"}", "4301 characters"),
        (b'{"text": NaN}', "NaN"),
        (b'{"text": 1e999}', "out of range"),
        (b"[1, 2]", "JSON object"),
        (b'"just a string"', "JSON object"),
    ],
    ids=[
        "100k-arrays",
        "50k-objects",
        "33-levels",
        "4300-digit-int",
        "4301-digit-int",
        "nan",
        "huge-float",
        "array",
        "string",
    ],
)
def test_signed_hostile_json_is_a_clear_422(
    make_client: Callable[..., TestClient],
    redis_client: redis_sync.Redis,
    prefix: str,
    body: bytes,
    says: str,
) -> None:
    client = make_client()  # the default 1 MiB body limit: the JSON itself must be refused
    payload = refused(client.post(URL, **_signed(body)), 422, "invalid_json")
    assert says in payload["message"]
    assert "Inbound" not in payload["message"]
    assert stream_length(redis_client, prefix) == 0


def test_32_levels_are_still_json() -> None:
    assert loads_bounded(b"[" * 32 + b"]" * 32) is not None
    with pytest.raises(JSONLimitError):
        loads_bounded(b"[" * 33 + b"]" * 33)


# -- the body's fields ---------------------------------------------------------------------


def fields_of(reply: Any) -> dict[str, str]:
    payload = refused(reply, 422, "invalid_fields")
    return {f["field"]: f["problem"] for f in payload["fields"]}


def test_a_wrongly_shaped_customer_names_no_internal_class(client: TestClient) -> None:
    reply = client.post(URL, **_signed({**message(), "customer": ["jo"]}))
    problems = fields_of(reply)
    assert problems == {"customer": "must be a JSON object (got an array)"}
    assert "Inbound" not in reply.text


@pytest.mark.parametrize("text", [" ", "\t\n  ", "\u3000\u00a0"], ids=["space", "tabs", "unicode"])
def test_whitespace_only_text_is_refused(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str, text: str
) -> None:
    problems = fields_of(client.post(URL, **_signed(message(text=text))))
    assert "whitespace" in problems["text"]
    assert stream_length(redis_client, prefix) == 0


def test_text_of_100000_characters_is_accepted_and_one_more_is_a_clear_422(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str
) -> None:
    ok = client.post(URL, **_signed(message(message_id="long", text="x" * 100_000)))
    assert ok.status_code == 202, ok.text
    problems = fields_of(client.post(URL, **_signed(message(text="x" * 100_001))))
    assert problems["text"].startswith("at most 100000 characters (got 100001)")
    assert stream_length(redis_client, prefix) == 1


@pytest.mark.parametrize(
    "bad", ["../../x", "a/b", ".hidden", "..", "with space", "x" * 201, "é", "%2e", ""]
)
@pytest.mark.parametrize("field", ["conversation_id", "message_id"])
def test_ids_follow_the_one_rule_and_the_refusal_states_it(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str, field: str, bad: str
) -> None:
    assert not is_identifier(bad)
    problems = fields_of(client.post(URL, **_signed({**message(), field: bad})))
    assert IDENTIFIER_RULE in problems[field] or bad == "", problems
    assert stream_length(redis_client, prefix) == 0


@pytest.mark.parametrize(
    "good", ["c1", "order:42", "jo@example.com", "+4915112345678", "a.b_c=d-e"]
)
def test_ids_by_the_rule_are_accepted_and_readable_back(client: TestClient, good: str) -> None:
    reply = client.post(URL, **_signed(message(conversation=good, message_id=good)))
    assert reply.status_code == 202, reply.text
    # The id is a valid path segment: the conversation endpoint answers for it (404: not
    # processed yet, as no consumer runs the sentiment stage here), never a routing 404.
    view = client.get(f"/v1/sites/demo/conversations/{good}", headers=ADMIN)
    assert view.json()["error"] == "unknown_conversation"


@pytest.mark.parametrize("bad", ["..", ".x", "a%20b", "%2e%2e"])
def test_the_conversation_endpoint_refuses_ids_breaking_the_rule(
    client: TestClient, bad: str
) -> None:
    reply = client.get(f"/v1/sites/demo/conversations/{bad}", headers=ADMIN)
    if reply.status_code == 404:  # the client normalised the path away: a JSON 404 still
        refused(reply, 404, "not_found")
        return
    payload = refused(reply, 422, "invalid_fields")
    assert IDENTIFIER_RULE in payload["fields"][0]["problem"]


def test_a_site_name_breaking_the_rule_is_a_422(client: TestClient) -> None:
    payload = refused(
        client.post("/v1/sites/DEMO/messages", **_signed(message())), 422, "invalid_fields"
    )
    assert payload["fields"][0]["field"] == "site"
    assert "a-z" in payload["fields"][0]["problem"]


# -- routes and methods --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/nope", "/v1/sites/demo", "/v1/sites/demo/messages/x"])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_unknown_routes_answer_a_json_404(client: TestClient, path: str, method: str) -> None:
    refused(client.request(method, path), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", URL, "POST"),
        ("DELETE", URL, "POST"),
        ("POST", "/healthz", "GET, HEAD"),
        ("PUT", "/v1/sites/demo/conversations/c1", "GET, HEAD"),
        ("GET", "/v1/sites/demo/webhooks/zendesk", "POST"),
    ],
)
def test_wrong_methods_answer_a_json_405_with_allow(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    reply = client.request(method, path)
    refused(reply, 405, "method_not_allowed")
    assert reply.headers["allow"] == allow


# -- rate limit ----------------------------------------------------------------------------


def test_a_site_over_its_rate_gets_429_with_retry_after_and_nothing_is_written(
    make_client: Callable[..., TestClient], redis_client: redis_sync.Redis, prefix: str
) -> None:
    client = make_client(rate_limit_per_site=0.5, rate_limit_burst=2)
    # Unsigned requests do not use up the site's budget.
    for _ in range(5):
        refused(
            client.post(URL, content=b"{}", headers={"Content-Type": "application/json"}),
            401,
            "bad_signature",
        )
    assert client.post(URL, **_signed(message(message_id="r1"))).status_code == 202
    assert client.post(URL, **_signed(message(message_id="r2"))).status_code == 202
    reply = client.post(URL, **_signed(message(message_id="r3")))
    refused(reply, 429, "rate_limited")
    assert 1 <= int(reply.headers["retry-after"]) <= 2
    assert stream_length(redis_client, prefix) == 2


def test_the_rate_limit_is_off_by_default(client: TestClient) -> None:
    for i in range(150):
        assert client.post(URL, **_signed(message(message_id=f"d{i}"))).status_code == 202


def test_the_token_bucket_refills_at_its_rate() -> None:
    limiter = RateLimiter(rate=2.0, burst=2)
    assert limiter.retry_after("a", now=0.0) is None
    assert limiter.retry_after("a", now=0.0) is None
    assert limiter.retry_after("a", now=0.0) == pytest.approx(0.5)
    assert limiter.retry_after("b", now=0.0) is None  # per site
    assert limiter.retry_after("a", now=0.5) is None
    assert RateLimiter(rate=0, burst=1).retry_after("a") is None


def test_beyond_the_connection_cap_the_answer_is_a_429_with_retry_after_not_a_503() -> None:
    """uvicorn's own cap (RAPPORT_HTTP_MAX_CONNECTIONS, limit_concurrency) used to answer a
    bare 503 "Service Unavailable" with Redis healthy: a burst then looked like an outage.
    Real uvicorn, real sockets: one connection holds the only slot, the next is refused with
    the edge's saturation answer."""
    import asyncio
    import threading
    import time

    import httpx
    import uvicorn

    from rapport_runtime.limits import uvicorn_options
    from rapport_tools.dev import free_port

    release = threading.Event()

    async def slow(scope: Any, receive: Any, send: Any) -> None:
        await asyncio.to_thread(release.wait, 10)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    options = uvicorn_options(RapportSettings(http_max_connections=2))
    port = free_port()
    config = uvicorn.Config(
        slow, host="127.0.0.1", port=port, log_level="error", lifespan="off", http="httptools"
    )
    config.limit_concurrency = options["limit_concurrency"]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        url = f"http://127.0.0.1:{port}/"
        with httpx.Client() as holder, httpx.Client() as second:
            held = threading.Thread(target=holder.get, args=(url,), kwargs={"timeout": 10})
            held.start()
            time.sleep(0.3)  # the first connection is open and its request in flight
            refused = second.get(url, timeout=5)
            release.set()
            held.join(timeout=10)
        assert refused.status_code == 429, refused.text
        assert refused.headers["retry-after"] == "1"
        body = refused.json()
        assert body["error"] == "saturated"
        assert "RAPPORT_HTTP_MAX_CONNECTIONS" in body["message"]
    finally:
        release.set()
        server.should_exit = True
        thread.join(timeout=10)
