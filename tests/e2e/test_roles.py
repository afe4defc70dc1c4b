"""RAPPORT_HANDOFF_ROLE: the edge and the handoff stage as separate processes (what
docker-compose runs), each doing only its part, and a message going through both; on a single
Redis and on a local 3-master cluster with four partitions (``tests/redis_backends.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from rapport_tools.dev import free_port
from tests.e2e.conftest import Pipeline
from tests.helpers import signed, wait_until
from tests.redis_backends import Backend

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
def roles(backend: Backend, prefix: str) -> Iterator[Roles]:
    inherited = {
        k: v
        for k, v in os.environ.items()
        if k not in ("RAPPORT_CONFIG", "RAPPORT_PARTITIONS", "RAPPORT_CONSUMER_PARTITIONS")
    }
    env = {
        **inherited,
        **backend.env(),
        "RAPPORT_PREFIX": prefix,
        "RAPPORT_POLL_MS": "20",
        "RAPPORT_GRACEFUL_TIMEOUT_S": "3",
        "RAPPORT_LOG_LEVEL": "WARNING",
        "RAPPORT_DEMO_SECRET": "demo-secret",
    }
    p = Roles(backend.url, prefix, env, ports={s: free_port() for s in SERVICES})
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
    roles: Roles, backend: Backend, prefix: str
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

    def delivered() -> bool:
        return any(h["status"] == "delivered" for h in backend.events(prefix, "handoffs"))

    wait_until(delivered, timeout=30)
    backend.wait_quiescent(prefix, timeout=30)
    # Only the stage process consumes escalations (in every partition's group); the edge
    # process never joined one.
    consumers = {
        c["name"].decode()
        for stream in backend.keys(prefix, "escalations")
        if backend.client.exists(stream)
        for c in backend.client.xinfo_consumers(stream, "handoff")
    }
    assert consumers == {"handoff-stage"}
    inbox = f"{backend.conversation_prefix(prefix, 'demo', 'apart')}:conv:{{demo:apart}}:inbox"
    assert backend.client.hlen(inbox) == 1
    time.sleep(0.1)
    assert all(p.poll() is None for p in roles.processes.values())
