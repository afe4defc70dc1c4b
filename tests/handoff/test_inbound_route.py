"""``POST /v1/sites/{site}/webhooks/{provider}`` and the handoff stage with a helpdesk
adapter, against a real Redis and (for the handoff) a fake Zendesk over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_sync
from starlette.testclient import TestClient

from rapport_contracts import DeadLetter, HandoffResult, Message
from rapport_handoff.app import create_app
from rapport_runtime.settings import RapportSettings
from tests.handoff.adapters._sign import b64, basic, hmac_raw, now_iso
from tests.handoff.adapters.contract import make_packet
from tests.handoff.adapters.fake import FakeVendor, Scripted
from tests.handoff.adapters.test_zendesk import comment_added
from tests.helpers import http_server, wait_until

pytestmark = pytest.mark.integration

ZD_SECRET = "zd-signing-secret"
FD_TOKEN = "fd-shared-token-0123456789"


def sites_yaml(zendesk_url: str) -> str:
    return f"""
sites:
  acme:
    secret: {{env: ACME_ZD_SIGNING}}
    adapter:
      type: zendesk
      base_url: {zendesk_url}
      email: agent@acme.test
      api_token: {{env: ACME_ZD_TOKEN}}
      queues: {{support: "360001"}}
      attempts: 3
      max_wait_s: 0.05
  beta:
    secret: {{env: BETA_SITE_SECRET}}
    adapter:
      type: freshdesk
      webhook_secret: {{env: BETA_FD_TOKEN}}
      base_url: https://beta.freshdesk.example
      api_key: {{env: BETA_FD_KEY}}
  gamma:
    secret: {{env: BETA_FD_TOKEN}}
    adapter: {{type: inbox}}
"""


@pytest.fixture
def zendesk() -> Iterator[tuple[FakeVendor, str]]:
    fake = FakeVendor(
        authorised=lambda h, p, b: h.get("authorization") == basic("agent@acme.test/token", "t0k")
    )
    with http_server(fake.app()) as base:
        yield fake, base


@pytest.fixture
def client(
    make_settings: Callable[..., RapportSettings],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    zendesk: tuple[FakeVendor, str],
) -> Iterator[TestClient]:
    monkeypatch.setenv("ACME_ZD_SIGNING", ZD_SECRET)
    monkeypatch.setenv("ACME_ZD_TOKEN", "t0k")
    monkeypatch.setenv("BETA_FD_TOKEN", FD_TOKEN)
    monkeypatch.setenv("BETA_SITE_SECRET", "beta-site-secret-0123456789")
    monkeypatch.setenv("BETA_FD_KEY", "fd-key")
    config = tmp_path / "sites.yaml"
    config.write_text(sites_yaml(zendesk[1]))
    with TestClient(create_app(make_settings(config=str(config)))) as c:
        yield c


def zendesk_signed(
    payload: dict[str, Any], secret: str = ZD_SECRET, invocation: str = "inv-1"
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    ts = now_iso()
    return body, {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Signature": b64(hmac_raw(secret, ts.encode() + body, "sha256")),
        "X-Zendesk-Webhook-Signature-Timestamp": ts,
        "X-Zendesk-Webhook-Invocation-Id": invocation,
    }


def _signed_raw(body: bytes) -> tuple[bytes, dict[str, str]]:
    ts = now_iso()
    return body, {
        "X-Zendesk-Webhook-Signature": b64(hmac_raw(ZD_SECRET, ts.encode() + body, "sha256")),
        "X-Zendesk-Webhook-Signature-Timestamp": ts,
    }


def messages(r: redis_sync.Redis, prefix: str) -> list[Message]:
    return [Message.read(f[b"__data__"]) for _, f in r.xrange(f"{prefix}:messages")]


URL = "/v1/sites/acme/webhooks/zendesk"


def test_a_signed_customer_comment_becomes_one_message(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str
) -> None:
    body, headers = zendesk_signed(comment_added({"id": "55", "is_staff": False}))
    first = client.post(URL, content=body, headers=headers)
    assert first.status_code == 202, first.text
    assert first.json()["accepted"] == 1
    # Zendesk retries the same invocation: no second event.
    again = client.post(URL, content=body, headers=headers)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    # A new invocation carrying the same comment: deduped on the comment id.
    body, headers = zendesk_signed(
        comment_added({"id": "55", "is_staff": False}), invocation="inv-2"
    )
    third = client.post(URL, content=body, headers=headers)
    assert third.status_code == 202 and third.json()["duplicates"] == 1
    [message] = messages(redis_client, prefix)
    assert (message.site, message.conversation_id, message.author) == ("acme", "5158", "customer")
    assert message.provider == "zendesk"
    assert message.provider_ids["ticket_id"] == "5158"


def test_agent_replies_and_resolutions_reach_the_router(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str
) -> None:
    body, headers = zendesk_signed(
        comment_added({"id": "9", "is_staff": True}, comment_id="77"), invocation="a"
    )
    assert client.post(URL, content=body, headers=headers).status_code == 202
    solved = {
        "type": "zen:event-type:ticket.status_changed",
        "id": "evt-solved",
        "detail": {"id": "5158", "status": "SOLVED"},
        "event": {"current": "SOLVED", "previous": "OPEN"},
    }
    body, headers = zendesk_signed(solved, invocation="b")
    assert client.post(URL, content=body, headers=headers).status_code == 202
    agent, system = messages(redis_client, prefix)
    assert agent.author == "agent"
    assert (system.author, system.text, system.provider_ids["status"]) == (
        "system",
        "ticket solved",
        "solved",
    )


@pytest.mark.parametrize(
    ("path", "mutate", "status", "error"),
    [
        (URL, lambda b, h: (b, {**h, "X-Zendesk-Webhook-Signature": "AAAA"}), 401, "bad_signature"),
        (URL, lambda b, h: zendesk_signed(json.loads(b), secret="wrong"), 401, "bad_signature"),
        (
            URL,
            lambda b, h: (
                b,
                {**h, "X-Zendesk-Webhook-Signature-Timestamp": "2020-01-01T00:00:00Z"},
            ),
            401,
            "bad_signature",
        ),
        (URL, lambda b, h: _signed_raw(b"{nope"), 422, "invalid_payload"),
        ("/v1/sites/acme/webhooks/freshdesk", lambda b, h: (b, h), 409, "provider_mismatch"),
        ("/v1/sites/acme/webhooks/zendesck", lambda b, h: (b, h), 404, "unknown_provider"),
        ("/v1/sites/nope/webhooks/zendesk", lambda b, h: (b, h), 404, "unknown_site"),
        ("/v1/sites/gamma/webhooks/inbox", lambda b, h: (b, h), 404, "no_inbound"),
    ],
    ids=[
        "bad-signature",
        "wrong-secret",
        "stale",
        "not-json",
        "mismatch",
        "unknown-provider",
        "unknown-site",
        "no-inbound",
    ],
)
def test_refusals_are_json_4xx_and_write_nothing(
    client: TestClient,
    redis_client: redis_sync.Redis,
    prefix: str,
    path: str,
    mutate: Any,
    status: int,
    error: str,
) -> None:
    body, headers = mutate(*zendesk_signed(comment_added({"id": "55", "is_staff": False})))
    response = client.post(path, content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.json()["message"]
    assert messages(redis_client, prefix) == []


def test_events_that_are_not_messages_get_204(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str
) -> None:
    body, headers = zendesk_signed(comment_added({"id": "9", "is_staff": True}, public=False))
    response = client.post(URL, content=body, headers=headers)
    assert response.status_code == 204
    assert messages(redis_client, prefix) == []


def test_freshdesk_needs_the_sites_token(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str
) -> None:
    path = "/v1/sites/beta/webhooks/freshdesk"
    body = json.dumps({"ticket_id": "7", "author": "requester", "text": "hello?"}).encode()
    assert client.post(path, content=body).status_code == 401
    assert client.post(path, content=body, headers={"X-Rapport-Token": "guess"}).status_code == 401
    ok = client.post(path, content=body, headers={"X-Rapport-Token": FD_TOKEN})
    assert ok.status_code == 202
    assert (
        client.post(path, content=body, headers={"X-Rapport-Token": FD_TOKEN}).json()["status"]
        == "duplicate"
    )
    [message] = messages(redis_client, prefix)
    assert (message.site, message.conversation_id, message.provider_ids["ticket_id"]) == (
        "beta",
        "7",
        "7",
    )


def test_an_escalation_is_handed_to_zendesk_once_and_refusals_are_dead_lettered(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str, zendesk: tuple[FakeVendor, str]
) -> None:
    fake, _ = zendesk
    body, headers = zendesk_signed(comment_added({"id": "55", "is_staff": False}))
    client.post(URL, content=body, headers=headers)
    [message] = messages(redis_client, prefix)
    packet = make_packet(message, queue="support")
    fake.fail(
        "PUT", "/api/v2/tickets/5158.json", Scripted(429, {"Retry-After": "0"}), Scripted(500)
    )
    redis_client.xadd(f"{prefix}:escalations", {"__data__": packet.model_dump_json()})
    wait_until(lambda: redis_client.xlen(f"{prefix}:handoffs") == 1)
    handoffs: Any = redis_client.xrange(f"{prefix}:handoffs")
    [(_, fields)] = handoffs
    result = HandoffResult.read(fields[b"__data__"])
    assert (result.adapter, result.status, result.external_id) == ("zendesk", "delivered", "5158")
    assert fake.succeeded == [("PUT", "/api/v2/tickets/5158.json")]
    assert fake.requests[-1].json()["ticket"]["group_id"] == 360001

    refused = make_packet(message, queue="support")
    fake.fail(
        "PUT",
        "/api/v2/tickets/5158.json",
        Scripted(422, body={"error": "RecordInvalid", "description": "Group is closed"}),
    )
    redis_client.xadd(f"{prefix}:escalations", {"__data__": refused.model_dump_json()})
    wait_until(lambda: redis_client.xlen(f"{prefix}:dlq") == 1)
    dlq: Any = redis_client.xrange(f"{prefix}:dlq")
    [(_, fields)] = dlq
    letter = DeadLetter.read(fields[b"__data__"])
    assert "zendesk refused the handoff" in letter.reason
    assert "Group is closed" in letter.reason


def test_vendor_webhooks_share_the_sites_rate_limit(
    make_settings: Callable[..., RapportSettings],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    zendesk: tuple[FakeVendor, str],
    redis_client: redis_sync.Redis,
    prefix: str,
) -> None:
    monkeypatch.setenv("ACME_ZD_SIGNING", ZD_SECRET)
    monkeypatch.setenv("ACME_ZD_TOKEN", "t0k")
    monkeypatch.setenv("BETA_FD_TOKEN", FD_TOKEN)
    monkeypatch.setenv("BETA_SITE_SECRET", "beta-site-secret-0123456789")
    monkeypatch.setenv("BETA_FD_KEY", "fd-key")
    config = tmp_path / "sites.yaml"
    config.write_text(sites_yaml(zendesk[1]))
    settings = make_settings(config=str(config), rate_limit_per_site=0.5, rate_limit_burst=2)
    with TestClient(create_app(settings)) as client:
        # Forged deliveries are refused before they can use up the site's budget.
        for _ in range(4):
            forged, headers = zendesk_signed(comment_added({"id": "1"}), secret="wrong")
            assert client.post(URL, content=forged, headers=headers).status_code == 401
        for n in range(2):
            body, headers = zendesk_signed(
                comment_added({"id": "55", "is_staff": False}, comment_id=f"c{n}"),
                invocation=f"inv-{n}",
            )
            assert client.post(URL, content=body, headers=headers).status_code == 202
        body, headers = zendesk_signed(
            comment_added({"id": "55", "is_staff": False}, comment_id="c9"), invocation="inv-9"
        )
        reply = client.post(URL, content=body, headers=headers)
        assert reply.status_code == 429, reply.text
        assert reply.json()["error"] == "rate_limited"
        assert 1 <= int(reply.headers["retry-after"]) <= 2
    assert len(messages(redis_client, prefix)) == 2
