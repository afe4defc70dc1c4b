"""Property tests of the edge: whatever a caller sends, to whichever route, with whatever
headers, the answer is never a 5xx, always JSON that says what is wrong, and nothing is written
unless the answer is 202 (or 200 for a vendor's repeated delivery).

Over 10,000 generated requests in all (counted, and checked when the module ends), sent
straight to the ASGI app with its lifespan running against the real Redis (the HTTP layer is
covered by test_edge_slow_body.py); about 35 s on a 2-core VM.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis as redis_sync
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from rapport_handoff.app import create_app
from rapport_runtime.settings import RapportSettings
from rapport_runtime.signing import sign

pytestmark = [pytest.mark.integration, pytest.mark.chaos]

MINIMUM_REQUESTS = 10_000
CHATWOOT_SECRET = "cw-webhook-secret-0123456789"


def _header_bytes(value: str) -> bytes:
    """A header value as a client would send it: latin-1 when it can be (so ``²`` arrives as
    the byte 0xB2, as in the issue), UTF-8 bytes otherwise."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Edge:
    """The handoff app with its lifespan running on an event loop in a background thread.
    Requests are ASGI calls (no sockets): ten times faster than Starlette's TestClient."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._ready = threading.Event()
        self._stop: asyncio.Future[None] | None = None
        self._lifespan = asyncio.run_coroutine_threadsafe(self._run(), self.loop)
        if not self._ready.wait(30):
            raise RuntimeError("the app did not start")

    async def _run(self) -> None:
        # The stop signal is made on the app's own loop and resolved there (see close).
        self._stop = self.loop.create_future()
        async with self.app.router.lifespan_context(self.app):
            self._ready.set()
            await self._stop

    async def _signal_stop(self) -> None:
        assert self._stop is not None
        if not self._stop.done():
            self._stop.set_result(None)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._signal_stop(), self.loop).result(timeout=10)
        self._lifespan.result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | list[tuple[str, str]] | None = None,
    ) -> Reply:
        pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        future = asyncio.run_coroutine_threadsafe(self._call(method, path, body, pairs), self.loop)
        return future.result(timeout=30)

    async def _call(
        self, method: str, path: str, body: bytes, headers: list[tuple[str, str]]
    ) -> Reply:
        raw_headers = [(k.lower().encode("latin-1"), _header_bytes(v)) for k, v in headers]
        if not any(k == b"content-length" for k, _ in raw_headers):
            raw_headers.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode("utf-8", "surrogateescape"),
            "query_string": b"",
            "root_path": "",
            "headers": raw_headers,
            "client": ("127.0.0.1", 12345),
            "server": ("edge", 80),
        }
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        status, out_headers, chunks = 0, {}, []

        async def send(message: MutableMapping[str, Any]) -> None:
            nonlocal status, out_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                out_headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return Reply(status, out_headers, b"".join(chunks))


@dataclass
class Fuzz:
    edge: Edge
    redis: redis_sync.Redis
    prefix: str
    requests: int = 0
    accepted: int = 0
    seen_statuses: dict[int, int] = field(default_factory=dict)

    @property
    def stream(self) -> str:
        return f"{self.prefix}:messages"

    def send(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | list[tuple[str, str]] | None = None,
    ) -> Reply:
        reply = self.edge.request(method, path, body, headers)
        self.requests += 1
        self.seen_statuses[reply.status] = self.seen_statuses.get(reply.status, 0) + 1
        assert reply.status < 500, (reply.status, reply.body[:500])
        if reply.status == 204:
            assert reply.body == b""
            return reply
        payload = reply.json()
        if reply.status == 202 and "duplicate" in payload:  # Rapport's own route
            self.accepted += not payload["duplicate"]
        elif reply.status == 202:  # a vendor route
            self.accepted += payload["accepted"]
        elif reply.status != 200:
            assert payload["error"] and payload["message"], payload
            assert "Traceback" not in payload["message"]
        return reply

    def check_nothing_else_written(self) -> None:
        """Every entry on the stream is one a 202 said it accepted: no refusal wrote. (Checked
        once per generated example, which sends one to three requests.)"""
        assert self.redis.xlen(self.stream) == self.accepted, "a refusal wrote to the stream"


def sites_yaml() -> str:
    return """
sites:
  demo:
    secret: {env: FUZZ_DEMO_SECRET}
    adapter: {type: inbox}
  chat:
    secret: {env: FUZZ_CHAT_SECRET}
    adapter:
      type: chatwoot
      base_url: https://chatwoot.fuzz.example
      api_access_token: {env: FUZZ_CHAT_TOKEN}
      account_id: 1
      webhook_secret: {env: FUZZ_CHAT_WEBHOOK}
"""


@pytest.fixture(scope="module")
def fuzz(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzz]:
    prefix = f"fuzz-edge-{int(time.time() * 1000) % 10**8}"
    config = tmp_path_factory.mktemp("fuzz") / "sites.yaml"
    config.write_text(sites_yaml())
    env = {
        "FUZZ_DEMO_SECRET": "demo-secret",
        "FUZZ_CHAT_SECRET": "chat-site-secret-0123456789",
        "FUZZ_CHAT_TOKEN": "chat-token",
        "FUZZ_CHAT_WEBHOOK": CHATWOOT_SECRET,
    }
    # The environment stays set while the app runs: adapters resolve their secrets lazily.
    mp = pytest.MonkeyPatch()
    for k, v in env.items():
        mp.setenv(k, v)
    app_settings = RapportSettings(
        redis_url=redis_url,
        prefix=prefix,
        config=str(config),
        max_body_bytes=512 * 1024,
        consumer_name="fuzz",
    )
    edge = Edge(create_app(app_settings))
    r = redis_sync.Redis.from_url(redis_url)
    state = Fuzz(edge, r, prefix)
    try:
        yield state
    finally:
        edge.close()
        mp.undo()
        keys = list(r.scan_iter(match=f"{prefix}:*", count=1000))
        stream_length = r.xlen(state.stream)
        if keys:
            r.delete(*keys)
        r.close()
    print(f"\n[fuzz] {state.requests} requests, statuses {sorted(state.seen_statuses.items())}")
    assert state.requests >= MINIMUM_REQUESTS, (
        f"only {state.requests} hostile requests were sent (at least {MINIMUM_REQUESTS})"
    )
    assert stream_length == state.accepted


# -- strategies ----------------------------------------------------------------------------


def repeated(char: str, times: int) -> st.SearchStrategy[str]:
    """``char * times``, without a huge repr in Hypothesis' reports."""
    return st.just(times).map(lambda n: char * n)


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=6,
)
# Cheap to generate: most fields get a scalar or a short list, the customer a whole JSON value.
light_values = json_scalars | st.lists(json_scalars, max_size=3)
hostile_ids = st.one_of(
    st.sampled_from(
        [
            "../../x",
            "..",
            ".",
            "a/b",
            "c1",
            "order",
            "order:42",
            "42:1",
            "%2e%2e",
            "",
            " ",
            "x" * 201,
        ]
    ),
    st.text(max_size=40),
    st.from_regex(r"\A[A-Za-z0-9._:@+=/-]{1,30}\Z"),
)
hostile_texts = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["", " ", "\t\n ", "\u3000", "ok " * 10]),
    repeated("x", 100_001),
)
message_fields = st.fixed_dictionaries(
    {},
    optional={
        "conversation_id": hostile_ids | light_values,
        "message_id": hostile_ids | light_values,
        "author": st.sampled_from(["customer", "bot", "agent", "system", "", "CUSTOMER"])
        | light_values,
        "text": hostile_texts | light_values,
        "sent_at": st.sampled_from(
            ["2026-01-01T00:00:00Z", "yesterday", "2026-13-40T99:00:00", "9" * 40]
        )
        | light_values,
        "customer": st.dictionaries(
            st.sampled_from(["id", "email", "tier", "attributes", "x"]), json_values, max_size=4
        )
        | light_values,
        "channel": json_values,
        "language": json_values,
    },
)


@st.composite
def raw_hostile_json(draw: st.DrawFn) -> bytes:
    """JSON (or nearly) built as text: deep nesting, huge numbers, odd constants."""
    depth = draw(st.sampled_from([1, 31, 32, 33, 1000, 5000, 100_000]))
    kind = draw(st.sampled_from(["[", "{", "mixed"]))
    if kind == "[":
        nested = "[" * depth + "]" * depth
    elif kind == "{":
        nested = '{"a":' * depth + "1" + "}" * depth
    else:
        nested = '{"a":[' * (depth // 2) + "0" + "]}" * (depth // 2)
    digits = draw(st.sampled_from([1, 64, 65, 400, 4300, 4301, 10_000]))
    number = draw(st.sampled_from(["9" * digits, "-" + "9" * digits, "1e" + "9" * min(digits, 40)]))
    number = draw(st.sampled_from([number, "1." + "1" * digits, "NaN", "Infinity", "-Infinity"]))
    text = json.dumps(draw(st.text(max_size=20)))
    template = draw(
        st.sampled_from(
            [
                "{nested}",
                '{{"conversation_id": "c1", "message_id": "m1", "author": "customer", '
                '"text": {text}, "customer": {{"attributes": {{"n": {number}}}}}}}',
                '{{"conversation_id": "c1", "message_id": {number}, "author": "customer", '
                '"text": {text}}}',
                '{{"conversation_id": "c1", "message_id": "m1", "author": "customer", '
                '"text": {text}, "customer": {nested}}}',
                "[{nested}]",
                "{number}",
            ]
        )
    )
    return template.format(nested=nested, number=number, text=text).encode()


timestamp_values = st.one_of(
    st.sampled_from(["²", "٣", "\uff11\uff17\uff10", "-1", " ", "", "1e9", "0x10", "1_000", "+5"]),
    repeated("9", 309),
    repeated("9", 5000),
    st.text(alphabet=st.characters(max_codepoint=255), max_size=20),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


def body_bytes(body: Any) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def demo_headers(raw: bytes, how: str, timestamp: str, content_type: str) -> list[tuple[str, str]]:
    headers = [("Content-Type", content_type)]
    if how == "signed":
        headers += list(sign("demo-secret", raw).items())
    elif how == "hostile-timestamp":
        mac = hmac.new(b"demo-secret", timestamp.encode() + b"." + raw, hashlib.sha256)
        headers += [
            ("X-Rapport-Timestamp", timestamp),
            ("X-Rapport-Signature", "sha256=" + mac.hexdigest()),
        ]
    elif how == "duplicated-headers":
        headers += list(sign("demo-secret", raw).items()) * 2
    return headers


FAST = settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


# -- the properties ------------------------------------------------------------------------


@settings(FAST, max_examples=1500)
@given(
    body=st.one_of(message_fields, json_values, st.binary(max_size=300), raw_hostile_json()),
    how=st.sampled_from(["signed", "none", "hostile-timestamp", "duplicated-headers"]),
    timestamp=timestamp_values,
    content_type=st.sampled_from(
        ["application/json", "text/plain", "", "application/vnd.x+json; charset=utf-8"]
    ),
    site=st.sampled_from(["demo", "demo", "nope", "DEMO", "de mo", "..", "x" * 65]),
)
def test_the_messages_route_never_answers_5xx(
    fuzz: Fuzz, body: Any, how: str, timestamp: str, content_type: str, site: str
) -> None:
    """Each body three ways: correctly signed to ``site``, signed or not in the way ``how``
    says (hostile timestamps included), and as a signed Chatwoot delivery."""
    raw = body_bytes(body)
    signed = demo_headers(raw, "signed", "", content_type)
    fuzz.send("POST", f"/v1/sites/{site}/messages", raw, signed)
    fuzz.send(
        "POST", "/v1/sites/demo/messages", raw, demo_headers(raw, how, timestamp, content_type)
    )
    fuzz.send("POST", "/v1/sites/chat/webhooks/chatwoot", raw, chatwoot_headers(raw, None))
    fuzz.check_nothing_else_written()


@settings(FAST, max_examples=1000)
@given(body=raw_hostile_json())
def test_signed_hostile_json_is_refused_with_a_4xx(fuzz: Fuzz, body: bytes) -> None:
    reply = fuzz.send(
        "POST",
        "/v1/sites/demo/messages",
        body,
        demo_headers(body, "signed", "", "application/json"),
    )
    assert reply.status in (202, 413, 422), reply.body[:300]
    if reply.status == 422:
        message = reply.json()["message"]
        assert "Inbound" not in message and "Recursion" not in message
    fuzz.send("POST", "/v1/sites/chat/webhooks/chatwoot", body, chatwoot_headers(body, None))
    fuzz.check_nothing_else_written()


def chatwoot_headers(raw: bytes, timestamp: str | None) -> list[tuple[str, str]]:
    stamp = str(int(time.time())) if timestamp is None else timestamp
    mac = hmac.new(CHATWOOT_SECRET.encode(), stamp.encode() + b"." + raw, hashlib.sha256)
    return [
        ("Content-Type", "application/json"),
        ("X-Chatwoot-Timestamp", stamp),
        ("X-Chatwoot-Signature", "sha256=" + mac.hexdigest()),
        ("X-Chatwoot-Delivery", hashlib.sha256(raw).hexdigest()[:32]),
    ]


chatwoot_events = st.fixed_dictionaries(
    {"event": st.sampled_from(["message_created", "conversation_status_changed", "x"])},
    optional={
        "id": st.integers() | hostile_ids | light_values,
        "message_type": st.sampled_from(["incoming", "outgoing", "activity", 0, None]),
        "private": st.booleans() | light_values,
        "content": hostile_texts | light_values,
        "created_at": st.sampled_from(["2020-03-03 13:05:57 UTC", "9" * 400, 10**20])
        | light_values,
        "status": st.sampled_from(["resolved", "open"]) | light_values,
        "sender": st.fixed_dictionaries(
            {},
            optional={"type": st.sampled_from(["contact", "user"]), "id": light_values},
        )
        | light_values,
        "conversation": st.fixed_dictionaries(
            {}, optional={"id": st.integers() | hostile_ids | light_values, "meta": json_values}
        )
        | light_values,
    },
)


@settings(FAST, max_examples=900)
@given(
    body=st.one_of(chatwoot_events, json_values, raw_hostile_json(), st.binary(max_size=200)),
    # Vendor timestamps up to 300 characters; 309+ digit ones are the adapters' to fix (see
    # test_vendor_timestamps_of_309_digits_are_refused_not_500 below).
    timestamp=st.none() | timestamp_values.filter(lambda t: len(t) < 300),
    site=st.sampled_from(["chat", "chat", "demo", "nope"]),
    provider=st.sampled_from(["chatwoot", "chatwoot", "zendesk", "nope", "inbox"]),
)
def test_the_vendor_webhook_route_never_answers_5xx(
    fuzz: Fuzz, body: Any, timestamp: str | None, site: str, provider: str
) -> None:
    raw = body_bytes(body)
    fuzz.send(
        "POST", f"/v1/sites/{site}/webhooks/{provider}", raw, chatwoot_headers(raw, timestamp)
    )
    fuzz.check_nothing_else_written()


path_segments = st.sampled_from(
    [
        "v1",
        "sites",
        "demo",
        "messages",
        "conversations",
        "webhooks",
        "c1",
        "..",
        ".",
        "",
        "healthz",
        "readyz",
        "metrics",
        "%2F",
        "é",
        "x" * 300,
        "chatwoot",
    ]
)


METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"]


@settings(FAST, max_examples=400)
@given(segments=st.lists(path_segments, max_size=6), body=st.binary(max_size=50))
def test_every_route_and_method_answers_json_and_never_5xx(
    fuzz: Fuzz, segments: list[str], body: bytes
) -> None:
    """Each generated path with every method."""
    path = "/" + "/".join(segments)
    for method in METHODS:
        if path in ("/metrics", "/healthz", "/readyz") and method in ("GET", "HEAD"):
            continue  # the health and metrics endpoints, not refusals
        reply = fuzz.send(method, path, body, [("Authorization", "Bearer dev-admin-token")])
        if reply.status >= 400 and method != "HEAD":
            assert reply.headers["content-type"].startswith("application/json")
        if reply.status == 405:
            assert reply.headers.get("allow")
    fuzz.check_nothing_else_written()


@settings(FAST, max_examples=300)
@given(
    conversation=hostile_ids,
    site=st.sampled_from(["demo", "chat", "nope", "DEMO"]),
    token=st.sampled_from(["", "wrong", "dev-admin-token " * 3]),
)
def test_the_conversation_endpoint_never_answers_5xx(
    fuzz: Fuzz, conversation: str, site: str, token: str
) -> None:
    if "/" in conversation or conversation in (".", "..") or not conversation:
        conversation = conversation.replace("/", "%2F") or "%20"
    for given_token in (token, "dev-admin-token"):  # refused, then authorised
        fuzz.send(
            "GET",
            f"/v1/sites/{site}/conversations/{conversation}",
            b"",
            [("Authorization", f"Bearer {given_token}")],
        )
    fuzz.check_nothing_else_written()


def test_vendor_timestamps_of_309_digits_are_refused_not_500(fuzz: Fuzz) -> None:
    raw = b'{"event": "message_created"}'
    reply = fuzz.edge.request(
        "POST", "/v1/sites/chat/webhooks/chatwoot", raw, chatwoot_headers(raw, "9" * 309)
    )
    fuzz.requests += 1
    assert reply.status == 401
