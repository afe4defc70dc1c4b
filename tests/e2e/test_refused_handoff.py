"""The human promise, end to end: a helpdesk that refuses every handoff (404) must end with the
customer told honestly, the bot released and the on-call notified; once the helpdesk is fixed,
`rapport dlq replay` re-delivers the handoff, exactly once per Idempotency-Key. Three real
service processes, a real Redis, a real HTTP helpdesk.

The rows run on a single Redis and on a local 3-master cluster with four partitions (the
``backend`` fixture, ``tests/redis_backends.py``)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from rapport_tools.dev import free_port
from tests.e2e.conftest import SERVICES, Pipeline
from tests.helpers import (
    http_server,
    human_request_policy,
    message,
    signed,
    wait_until,
    webhook_sites_file,
)
from tests.redis_backends import Backend

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]

HONEST = "We could not reach a person right now; our on-call team will call you back."


class Helpdesk:
    """A webhook receiver that refuses (404) until told otherwise, or first answers the scripted
    transient statuses; counts accepted POSTs per Idempotency-Key."""

    def __init__(self, refusing: bool = True, unavailable: int = 0) -> None:
        self.refusing = refusing
        self.unavailable = unavailable  # answer this many 503s (Retry-After: 1) first
        self.posts = 0
        self.keys: Counter[str] = Counter()

    async def receive(self, request: Request) -> JSONResponse:
        await request.body()
        self.posts += 1
        if self.refusing:
            return JSONResponse({"error": "no such group"}, status_code=404)
        if self.unavailable:
            self.unavailable -= 1
            return JSONResponse(
                {"error": "maintenance"}, status_code=503, headers={"Retry-After": "1"}
            )
        self.keys[request.headers["idempotency-key"]] += 1
        return JSONResponse({"id": "T-1"}, status_code=201)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self.receive, methods=["POST"])])


@contextlib.contextmanager
def rapport_against(
    desk: Helpdesk, redis: dict[str, str], prefix: str, tmp_path: Path, **settings: str
) -> Iterator[tuple[Pipeline, dict[str, str]]]:
    """``redis``: REDIS_URL and, on a cluster, RAPPORT_PARTITIONS (``Backend.env``)."""
    with http_server(desk.app()) as base:
        policy = human_request_policy(
            "e2e", handoff_failure={"message": HONEST, "notify": ["pager"]}
        )
        sites = webhook_sites_file(
            tmp_path / "sites.yaml",
            f"{base}/hook",
            site_secret_env="E2E_SECRET",
            hook_secret_env="E2E_HANDOFF_SECRET",
            policy=policy,
            attempts=1,
        )
        inherited = {
            k: v
            for k, v in os.environ.items()
            if k not in ("RAPPORT_PARTITIONS", "RAPPORT_CONSUMER_PARTITIONS")
        }
        env = {
            **inherited,
            **redis,
            "RAPPORT_PREFIX": prefix,
            "RAPPORT_CONFIG": str(sites),
            "E2E_SECRET": "demo-secret",
            "E2E_HANDOFF_SECRET": "handoff-secret-0123456789",
            "RAPPORT_POLL_MS": "20",
            "RAPPORT_LOG_LEVEL": "WARNING",
            "RAPPORT_ADMIN_TOKEN": "e2e-admin-token-0123",
            **settings,
        }
        p = Pipeline(redis["REDIS_URL"], prefix, env, ports={s: free_port() for s in SERVICES})
        try:
            for service in SERVICES:
                p.start(service)
            for service in SERVICES:
                p.wait_ready(service)
            yield p, env
        finally:
            p.stop_all()


def ask_for_a_person(p: Pipeline, conversation: str) -> None:
    raw, headers = signed(message(conversation, "m1", "I want to talk to a real person"))
    reply = httpx.post(f"{p.edge}/v1/sites/demo/messages", content=raw, headers=headers, timeout=5)
    assert reply.status_code == 202


def test_a_helpdesk_in_maintenance_is_retried_on_schedule_not_on_deliveries(
    backend: Backend, prefix: str, tmp_path: Path
) -> None:
    desk = Helpdesk(refusing=False, unavailable=3)
    with rapport_against(
        desk, backend.env(), prefix, tmp_path, RAPPORT_HANDOFF_RETRY_BASE_S="0.2"
    ) as (p, _):
        ask_for_a_person(p, "c-busy")
        wait_until(lambda: sum(desk.keys.values()) == 1, timeout=30)
        results = wait_until(lambda: backend.events(prefix, "handoffs") or None)
        assert [r["status"] for r in results] == ["delivered"]
        assert desk.posts == 4  # three 503s, each honoured (Retry-After: 1), then the ticket
        # The entry was acked at the first 503: no delivery attempts burnt, nothing pending.
        pending = {
            s: backend.client.xpending(s, "handoff")["pending"]
            for s in backend.keys(prefix, "escalations")
            if backend.client.exists(s)
        }
        assert pending and set(pending.values()) == {0}, pending
        assert backend.xlen(prefix, "dlq") == 0
        assert [i["action"] for i in backend.events(prefix, "automation")] == ["hold"]


def test_a_helpdesk_down_longer_than_the_retry_budget_fails_and_is_acted_on(
    backend: Backend, prefix: str, tmp_path: Path
) -> None:
    desk = Helpdesk(refusing=False, unavailable=1000)
    with rapport_against(
        desk,
        backend.env(),
        prefix,
        tmp_path,
        RAPPORT_HANDOFF_RETRY_BASE_S="0.1",
        RAPPORT_HANDOFF_RETRY_MAX_S="0.2",
        RAPPORT_HANDOFF_RETRIES="2",
    ) as (p, _):
        ask_for_a_person(p, "c-down")
        [result] = wait_until(lambda: backend.events(prefix, "handoffs") or None, 30)
        assert result["status"] == "failed" and "gave up after 3 attempts" in result["detail"]
        resumes = wait_until(
            lambda: (
                [i for i in backend.events(prefix, "automation") if i["action"] == "resume"] or None
            )
        )
        assert resumes[0]["customer_message"] == HONEST
        assert desk.posts == 3


def test_a_refusing_helpdesk_ends_with_the_customer_told_and_replay_redelivers(
    backend: Backend, prefix: str, tmp_path: Path
) -> None:
    """The operator's replay goes through ``rapport dlq`` with the id it lists: bare on one
    partition, qualified by its partition (``p3:<id>``) when there are several."""
    desk = Helpdesk()
    with rapport_against(desk, backend.env(), prefix, tmp_path) as (p, env):
        ask_for_a_person(p, "c-refused")

        def released() -> list[dict[str, Any]] | None:
            got = [i for i in backend.events(prefix, "automation") if i["action"] == "resume"]
            return got or None

        [resume] = wait_until(released, timeout=20)
        assert resume["conversation_id"] == "c-refused"
        assert resume["customer_message"] == HONEST
        [note] = backend.events(prefix, "notifications")
        assert note["targets"] == ["pager"] and note["priority"] == "urgent"
        [hold] = [i for i in backend.events(prefix, "automation") if i["action"] == "hold"]
        assert hold["conversation_id"] == "c-refused"

        # The helpdesk is fixed; the operator lists the dead letters and replays the one.
        desk.refusing = False
        listed = subprocess.run(
            [sys.executable, "-m", "rapport_tools.cli", "dlq", "list", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert listed.returncode == 0, listed.stderr
        [letter] = json.loads(listed.stdout)["entries"]
        replay = subprocess.run(
            [sys.executable, "-m", "rapport_tools.cli", "dlq", "replay", letter["id"]],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert replay.returncode == 0, replay.stderr
        wait_until(lambda: sum(desk.keys.values()) >= 1, timeout=20)
        results = backend.events(prefix, "handoffs")
        assert [r["status"] for r in results] == ["failed", "delivered"]
        assert set(desk.keys.values()) == {1}  # delivered once per Idempotency-Key
