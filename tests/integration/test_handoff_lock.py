"""The handoff's create-once lock is a lease: a consumer that dies mid-call (even right after
the helpdesk's 200) delays the handoff by one lease at most, and a reclaim that finds the lock
taken waits on the durable schedule instead of burning a delivery; a live owner renews its
lease for as long as its helpdesk call runs. Real Redis, real HTTP helpdesk."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis as redis_sync
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from rapport_contracts import HandoffResult, Message
from rapport_handoff import app as handoff_app
from rapport_handoff.app import create_app
from rapport_runtime.settings import RapportSettings
from tests.handoff.adapters.contract import make_packet
from tests.helpers import http_server, wait_until, webhook_sites_file

pytestmark = [pytest.mark.integration, pytest.mark.chaos]


class Desk:
    def __init__(self) -> None:
        self.keys: list[str] = []
        self.delay_s = 0.0
        self.in_flight = 0
        self.refusal: str | None = None

    async def hook(self, request: Request) -> Response:
        await request.body()
        if self.refusal is not None:
            return JSONResponse({"error": self.refusal}, status_code=404)
        self.in_flight += 1
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self.in_flight -= 1
        self.keys.append(request.headers.get("idempotency-key", ""))
        return JSONResponse({"id": "T-1"}, status_code=201)


@pytest.fixture
def desk() -> Iterator[tuple[Desk, str]]:
    fake = Desk()
    with http_server(Starlette(routes=[Route("/hook", fake.hook, methods=["POST"])])) as base:
        yield fake, base


@pytest.fixture
def client(
    make_settings: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    desk: tuple[Desk, str],
) -> Iterator[TestClient]:
    monkeypatch.setenv("LOCK_SITE_SECRET", "lock-site-secret-0123456789")
    monkeypatch.setenv("LOCK_HOOK_SECRET", "lock-hook-secret-0123456789")
    config = webhook_sites_file(
        tmp_path / "sites.yaml",
        f"{desk[1]}/hook",
        site_secret_env="LOCK_SITE_SECRET",
        hook_secret_env="LOCK_HOOK_SECRET",
        timeout_s=5,
    )
    settings: RapportSettings = make_settings(config=str(config))
    with TestClient(create_app(settings)) as c:
        yield c


def packet_json() -> tuple[str, str]:
    message = Message(
        site="demo",
        conversation_id="c1",
        message_id="m1",
        author="customer",
        text="a person please",
        sent_at=datetime(2026, 12, 2, 10, 0, tzinfo=UTC),
    )
    packet = make_packet(message, queue="support")
    return packet.handoff_id, packet.model_dump_json()


def results(r: redis_sync.Redis, prefix: str) -> list[HandoffResult]:
    rows: Any = r.xrange(f"{prefix}:handoffs")
    return [HandoffResult.read(f[b"__data__"]) for _, f in rows]


def test_a_dead_owners_lock_delays_the_handoff_by_its_lease_without_burning_deliveries(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str, desk: tuple[Desk, str]
) -> None:
    fake, _ = desk
    handoff_id, raw = packet_json()
    # What a handoff process killed mid-call leaves behind: its lock, with the lease running.
    redis_client.set(f"{prefix}:lock:handoff:{handoff_id}", "dead-consumer:0", px=1500)
    started = time.monotonic()
    redis_client.xadd(f"{prefix}:escalations", {"__data__": raw})

    # Not attempted while the lease runs, and the entry is not left pending to be reclaimed
    # (each reclaim would count a delivery towards the dead-letter limit).
    wait_until(lambda: redis_client.zscore(f"{prefix}:handoff:retry", handoff_id) is not None)
    pending: Any = redis_client.xpending(f"{prefix}:escalations", "handoff")
    assert pending["pending"] == 0
    assert fake.keys == []

    wait_until(lambda: fake.keys, timeout=10)
    assert time.monotonic() - started < 6, "re-posted within about one lease"
    assert fake.keys == [handoff_id]  # the same Idempotency-Key the dead owner used
    wait_until(lambda: results(redis_client, prefix))
    assert [r.status for r in results(redis_client, prefix)] == ["delivered"]
    assert redis_client.xlen(f"{prefix}:dlq") == 0


def test_a_live_owner_keeps_its_lease_while_the_helpdesk_is_slow(
    client: TestClient,
    redis_client: redis_sync.Redis,
    prefix: str,
    desk: tuple[Desk, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake, _ = desk
    fake.delay_s = 2.0
    monkeypatch.setattr(handoff_app, "LOCK_LEASE_S", 0.6)
    handoff_id, raw = packet_json()
    lock = f"{prefix}:lock:handoff:{handoff_id}"
    redis_client.xadd(f"{prefix}:escalations", {"__data__": raw})
    wait_until(lambda: fake.in_flight == 1)
    time.sleep(1.3)  # over twice the lease: only renewal keeps the lock
    owner: Any = redis_client.get(lock)
    assert owner is not None and not owner.startswith(b"dead")
    wait_until(lambda: results(redis_client, prefix), timeout=10)
    assert fake.keys == [handoff_id]
    # Released by its owner in the transaction that recorded the result (not left to expire:
    # the owner renews it every 0.2 s), so it is gone the moment the result is visible.
    assert redis_client.get(lock) is None
    assert [r.status for r in results(redis_client, prefix)] == ["delivered"]


def test_what_a_refusing_helpdesk_says_is_stored_redacted(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str, desk: tuple[Desk, str]
) -> None:
    """The dead-letter reason and the handoff's recorded detail outlive every log: a helpdesk
    error quoting the customer must not put their e-mail, phone, card or IBAN in Redis."""
    fake, _ = desk
    fake.refusal = (
        "no such group for jane.doe@example.com, phone +44 20 7946 0958, "
        "card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32"
    )
    handoff_id, raw = packet_json()
    redis_client.xadd(f"{prefix}:escalations", {"__data__": raw})
    wait_until(lambda: redis_client.xlen(f"{prefix}:dlq") == 1)
    # A refusal is an outcome too: the lock went with it, in the same transaction.
    assert redis_client.get(f"{prefix}:lock:handoff:{handoff_id}") is None
    stored: list[str] = []
    letters: Any = redis_client.xrange(f"{prefix}:dlq")
    stored += [f[b"__data__"].decode() for _, f in letters]
    stored += [r.detail for r in results(redis_client, prefix)]
    stored += [v.decode() for v in redis_client.hvals(f"{prefix}:errors:handoff")]
    assert len(stored) >= 2
    for text in stored:
        reason = json.loads(text)["reason"] if text.startswith("{") else text
        for secret in ("jane.doe@example.com", "7946 0958", "4111 1111", "GB82 WEST"):
            assert secret not in reason, reason
    assert "no such group" in results(redis_client, prefix)[0].detail


def test_a_packet_delivered_already_is_acked_without_a_second_call(
    client: TestClient, redis_client: redis_sync.Redis, prefix: str, desk: tuple[Desk, str]
) -> None:
    """The batch looks up every packet's recorded result in one round trip: a packet whose
    handoff was delivered comes back (a republished entry, a replay) and is acked, with no
    second helpdesk call and no second result; a different handoff in the same batch still
    goes out."""
    fake, _ = desk
    handoff_id, raw = packet_json()
    redis_client.xadd(f"{prefix}:escalations", {"__data__": raw})
    wait_until(lambda: [r.status for r in results(redis_client, prefix)] == ["delivered"])
    other = json.loads(raw) | {"handoff_id": "h-other"}
    redis_client.xadd(f"{prefix}:escalations", {"__data__": raw})
    redis_client.xadd(f"{prefix}:escalations", {"__data__": json.dumps(other)})
    wait_until(lambda: len(results(redis_client, prefix)) == 2)

    def settled() -> bool:
        groups: Any = redis_client.xinfo_groups(f"{prefix}:escalations")
        return all(g["pending"] == 0 and g["lag"] == 0 for g in groups)

    wait_until(settled)
    assert fake.keys == [handoff_id, "h-other"]
    # The batch took the repeat's lock in its one round trip; acking the repeat released it.
    assert redis_client.keys(f"{prefix}:lock:handoff:*") == []
    assert [r.handoff_id for r in results(redis_client, prefix)] == [handoff_id, "h-other"]
