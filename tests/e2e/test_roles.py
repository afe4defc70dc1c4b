"""RAPPORT_HANDOFF_ROLE: the edge and the handoff stage as separate processes (what
docker-compose runs), each doing only its part, and a message going through both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
import redis as redis_sync

from rapport_tools.dev import free_port
from tests.e2e.conftest import Pipeline
from tests.helpers import signed, wait_quiescent, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


class Roles(Pipeline):
    def start(self, service: str) -> None:
        program, _, role = service.partition(":")
        env = {**self.env, "RAPPORT_PORT": str(self.ports[service])}
        env["RAPPORT_METRICS_PORT"] = str(self.metrics_ports[service])
        if role:
            env["RAPPORT_HANDOFF_ROLE"] = role
            env["RAPPORT_CONSUMER_NAME"] = f"handoff-{role}"
        self.processes[service] = subprocess.Popen(
            [sys.executable, "-m", f"rapport_{program}"], env=env
        )


SERVICES = ("sentiment", "router", "handoff:edge", "handoff:stage")


@pytest.fixture
def roles(redis_url: str, prefix: str, redis_client: redis_sync.Redis) -> Iterator[Roles]:
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "RAPPORT_PREFIX": prefix,
        "RAPPORT_POLL_MS": "20",
        "RAPPORT_GRACEFUL_TIMEOUT_S": "3",
        "RAPPORT_LOG_LEVEL": "WARNING",
        "RAPPORT_DEMO_SECRET": "demo-secret",
    }
    env.pop("RAPPORT_CONFIG", None)
    p = Roles(redis_url, prefix, env, ports={s: free_port() for s in SERVICES})
    p.metrics_ports = {s: free_port() for s in SERVICES}
    for service in SERVICES:
        p.start(service)
    try:
        for service in SERVICES:
            p.wait_ready(service)
        yield p
    finally:
        p.stop_all()


def test_the_edge_and_the_stage_run_apart_and_a_handoff_goes_through_both(
    roles: Roles, redis_client: redis_sync.Redis, prefix: str
) -> None:
    edge = f"http://127.0.0.1:{roles.ports['handoff:edge']}"
    stage = f"http://127.0.0.1:{roles.ports['handoff:stage']}"
    body = {
        "conversation_id": "apart",
        "message_id": "apart-m1",
        "author": "customer",
        "text": "This is the third time I'm asking, I want to talk to a real person NOW",
    }
    raw, headers = signed(body)
    with httpx.Client(timeout=10) as http:
        # The stage-only process has no edge: the documented JSON 404, health checks answer.
        refused = http.post(f"{stage}/v1/sites/demo/messages", content=raw, headers=headers)
        assert refused.status_code == 404 and refused.json()["error"] == "not_found"
        assert http.get(f"{stage}/readyz").status_code == 200
        assert (
            http.post(f"{edge}/v1/sites/demo/messages", content=raw, headers=headers).status_code
            == 202
        )

    handoffs = f"{prefix}:handoffs"

    def delivered() -> bool:
        return any(
            json.loads(f[b"__data__"])["status"] == "delivered"
            for _, f in redis_client.xrange(handoffs)
        )

    wait_until(delivered, timeout=30)
    wait_quiescent(redis_client, prefix, timeout=30)
    # Only the stage process consumes escalations; the edge process never joined the group.
    consumers = {
        c["name"].decode() for c in redis_client.xinfo_consumers(f"{prefix}:escalations", "handoff")
    }
    assert consumers == {"handoff-stage"}
    assert redis_client.hlen(f"{prefix}:conv:{{demo:apart}}:inbox") == 1
    time.sleep(0.1)
    assert all(p.poll() is None for p in roles.processes.values())
