"""The HTTP edge against a real Redis: what is accepted, what is refused, and that a refusal
never writes anything."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis as redis_sync
from redis.asyncio import Redis
from starlette.testclient import TestClient

from rapport_handoff.app import create_app
from rapport_runtime.settings import RapportSettings
from tests.helpers import message, signed, wait_until

pytestmark = pytest.mark.integration

URL = "/v1/sites/demo/messages"


@pytest.fixture
def client(
    make_settings: Callable[..., RapportSettings], monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    monkeypatch.delenv("RAPPORT_DEMO_SECRET", raising=False)
    with TestClient(create_app(make_settings(max_body_bytes=4096))) as c:
        yield c


def stream_length(r: redis_sync.Redis, prefix: str) -> int:
    return int(r.xlen(f"{prefix}:messages"))


def test_signed_message_is_accepted_once(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str
) -> None:
    body, headers = signed(message(message_id="m-1"))
    first = client.post(URL, content=body, headers=headers)
    assert first.status_code == 202
    assert first.json() == {"status": "accepted", "message_id": "m-1", "duplicate": False}
    again = client.post(URL, content=body, headers=headers)
    assert again.status_code == 202
    assert again.json()["duplicate"] is True
    assert stream_length(redis_client, prefix) == 1


@pytest.mark.parametrize(
    ("mutate", "status", "error"),
    [
        (
            lambda b, h: (b, {k: v for k, v in h.items() if k != "X-Rapport-Signature"}),
            401,
            "bad_signature",
        ),
        (
            lambda b, h: (b, {**h, "X-Rapport-Signature": "sha256=" + "0" * 64}),
            401,
            "bad_signature",
        ),
        (lambda b, h: (b, {**h, "X-Rapport-Timestamp": "1000"}), 401, "bad_signature"),
        (lambda b, h: signed(b"x" * 5000), 413, "body_too_large"),
        (lambda b, h: (b, {**h, "Content-Type": "text/plain"}), 415, "unsupported_media_type"),
        (lambda b, h: signed(b"{not json"), 422, "invalid_json"),
        (
            lambda b, h: signed({"conversation_id": "c1", "author": "robot", "text": ""}),
            422,
            "invalid_fields",
        ),
    ],
    ids=[
        "no-signature",
        "wrong-signature",
        "stale-timestamp",
        "too-large",
        "not-json-type",
        "bad-json",
        "bad-fields",
    ],
)
def test_bad_input_gets_a_specific_4xx_and_writes_nothing(
    client: TestClient,
    redis_client: redis_sync.Redis,
    prefix: str,
    mutate: Callable[[bytes, dict[str, str]], tuple[bytes, dict[str, str]]],
    status: int,
    error: str,
) -> None:
    body, headers = mutate(*signed(message()))
    reply = client.post(URL, content=body, headers=headers)
    assert reply.status_code == status, reply.text
    assert reply.json()["error"] == error
    assert reply.json()["message"]
    assert stream_length(redis_client, prefix) == 0


def test_invalid_fields_are_named(client: TestClient) -> None:
    body, headers = signed({"conversation_id": "c1", "author": "robot", "text": "hi"})
    fields = {f["field"] for f in client.post(URL, content=body, headers=headers).json()["fields"]}
    assert fields == {"message_id", "author"}


def test_unknown_site_is_404(client: TestClient) -> None:
    body, headers = signed(message())
    reply = client.post("/v1/sites/nope/messages", content=body, headers=headers)
    assert reply.status_code == 404
    assert reply.json()["error"] == "unknown_site"


def test_a_refused_duplicate_id_does_not_burn_the_id(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str
) -> None:
    body, headers = signed(message(message_id="m-2"))
    client.post(URL, content=body, headers={**headers, "X-Rapport-Signature": "sha256=00"})
    assert client.post(URL, content=body, headers=headers).json()["duplicate"] is False
    assert stream_length(redis_client, prefix) == 1


def test_conversation_endpoint_needs_the_admin_token(client: TestClient) -> None:
    url = "/v1/sites/demo/conversations/c1"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    reply = client.get(url, headers={"Authorization": "Bearer dev-admin-token"})
    assert reply.status_code == 404
    assert reply.json()["error"] == "unknown_conversation"


def test_health_readiness_and_no_public_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = wait_until(lambda: client.get("/readyz").status_code == 200, timeout=5)
    assert ready
    # /metrics is served on the internal metrics port only (tests/integration/test_metrics_port.py)
    assert client.get("/metrics").status_code == 404


def test_readiness_fails_when_redis_is_unreachable(
    make_settings: Callable[..., RapportSettings],
) -> None:
    app = create_app(make_settings())
    with TestClient(app) as c:
        runtime = app.state.runtime
        healthy, runtime.redis = runtime.redis, Redis.from_url("redis://127.0.0.1:1/0")
        try:
            reply = c.get("/readyz")
        finally:
            assert c.portal is not None
            c.portal.call(runtime.redis.aclose)
            runtime.redis = healthy
        assert reply.status_code == 503
        assert "redis" in reply.json()["problems"][0]
