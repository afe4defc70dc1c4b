"""Property test of the edge: whatever a caller sends, the answer is never a 5xx, always JSON
that says what is wrong, and nothing is written unless the answer is 202."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis as redis_sync
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from rapport_handoff.app import create_app
from rapport_runtime.settings import RapportSettings
from tests.helpers import signed

pytestmark = pytest.mark.integration

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=12,
)
fields = st.fixed_dictionaries(
    {},
    optional={
        "conversation_id": st.one_of(st.text(max_size=40), json_values),
        "message_id": st.one_of(st.text(max_size=40), json_values),
        "author": st.sampled_from(["customer", "bot", "agent", "system", "", "CUSTOMER"])
        | json_values,
        "text": st.text(max_size=200) | json_values,
        "sent_at": st.sampled_from(["2026-01-01T00:00:00Z", "yesterday", "2026-13-40T99:00:00"])
        | json_values,
        "customer": st.dictionaries(
            st.sampled_from(["id", "email", "tier", "attributes", "x"]), json_values, max_size=4
        ),
        "channel": json_values,
    },
)


@pytest.fixture(scope="module")
def client_and_redis(redis_url: str) -> Iterator[tuple[TestClient, redis_sync.Redis, str]]:
    prefix = "fuzz-edge"
    settings = RapportSettings(redis_url=redis_url, prefix=prefix, config=None, max_body_bytes=4096)
    r = redis_sync.Redis.from_url(redis_url)
    with TestClient(create_app(settings)) as client:
        yield client, r, prefix
    keys = list(r.scan_iter(match=f"{prefix}:*"))
    if keys:
        r.delete(*keys)
    r.close()


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(fields, json_values, st.binary(max_size=300)),
    sign=st.booleans(),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "", "application/vnd.x+json; charset=utf-8"]
    ),
    site=st.sampled_from(["demo", "nope", "DEMO", "de mo"]),
)
def test_the_edge_never_answers_5xx(
    client_and_redis: tuple[TestClient, redis_sync.Redis, str],
    body: Any,
    sign: bool,
    content_type: str,
    site: str,
) -> None:
    client, r, prefix = client_and_redis
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = signed(raw)[1] if sign else {}
    headers["Content-Type"] = content_type
    before = r.xlen(f"{prefix}:messages")
    reply = client.post(f"/v1/sites/{site}/messages", content=raw, headers=headers)
    assert reply.status_code < 500, reply.text
    payload = reply.json()
    if reply.status_code == 202:
        assert payload["status"] == "accepted"
    else:
        assert payload["error"] and payload["message"]
        assert r.xlen(f"{prefix}:messages") == before
