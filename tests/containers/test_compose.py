"""The project's own docker-compose.yml, end to end: up, signed webhooks to the published edge,
the decision and the handoff, a Redis restart that loses nothing, then down -v."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rapport_tools.dev import free_port
from tests.containers.conftest import APP_IMAGE, REDIS_IMAGE
from tests.helpers import message, signed, wait_until

pytestmark = pytest.mark.containers

ROOT = Path(__file__).resolve().parents[2]
TOKEN = {"Authorization": "Bearer compose-admin-token"}


class Compose:
    def __init__(self, project: str, env: dict[str, str]) -> None:
        self.project, self.env = project, env
        self.binary = shutil.which("docker-compose")

    def __call__(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        command = [self.binary] if self.binary else ["docker", "compose"]
        return subprocess.run(
            [*command, "-p", self.project, "-f", str(ROOT / "docker-compose.yml"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=ROOT,
        )


@pytest.fixture
def compose(docker_ready: None) -> Iterator[tuple[Compose, str]]:
    port = free_port()
    env = {
        **os.environ,
        "RAPPORT_IMAGE": APP_IMAGE,
        "REDIS_IMAGE": REDIS_IMAGE,
        "RAPPORT_EDGE_PORT": str(port),
        "RAPPORT_ADMIN_TOKEN": "compose-admin-token",
        "RAPPORT_DEMO_SECRET": "demo-secret",
    }
    c = Compose(f"rapport{uuid.uuid4().hex[:8]}", env)
    # The pipeline and its Redis (what this test checks). Not the console, the archive and
    # PostgreSQL: CI reaches no image registry and builds only the app and Redis images, so a
    # postgres image cannot be had there (tests/deploy checks those services' definitions).
    up = c("up", "-d", "--no-build", "sentiment", "router", "edge", "handoff")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        base = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            try:
                return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(ready, timeout=120, interval=0.5)
        yield c, base
    finally:
        logs = c("logs", "--no-color", "--tail", "50")
        down = c("down", "-v", "--remove-orphans")
        print(logs.stdout[-5000:])
        assert down.returncode == 0, down.stderr


def post(base: str, body: dict[str, Any]) -> httpx.Response:
    raw, headers = signed(body)
    return httpx.post(f"{base}/v1/sites/demo/messages", content=raw, headers=headers, timeout=10)


def view(base: str, conversation: str) -> dict[str, Any] | None:
    reply = httpx.get(
        f"{base}/v1/sites/demo/conversations/{conversation}", headers=TOKEN, timeout=5
    )
    return reply.json() if reply.status_code == 200 else None


def test_compose_deployment_end_to_end_survives_a_redis_restart(
    compose: tuple[Compose, str],
) -> None:
    c, base = compose
    assert post(base, message("c1", "m1", "I want to talk to a real person")).status_code == 202
    escalated = wait_until(lambda: (v := view(base, "c1")) and v["handoffs"] and v, timeout=30)
    assert escalated["decisions"][0]["route"] == "human"
    assert escalated["handoffs"][0]["status"] == "delivered"

    before = [f"r{i}" for i in range(20)]
    for mid in before:
        assert (
            post(base, message("c2", mid, f"How do I change my address? ({mid})")).status_code
            == 202
        )
    restart = c("restart", "redis")
    assert restart.returncode == 0, restart.stderr

    def accepted_after_restart() -> bool:
        try:
            return (
                post(base, message("c3", "after", "How do I change my address?")).status_code == 202
            )
        except httpx.HTTPError:
            return False

    wait_until(accepted_after_restart, timeout=60, interval=0.5)

    def all_decided() -> bool:
        v2, v3 = view(base, "c2"), view(base, "c3")
        return bool(v2 and v3 and len(v2["decisions"]) == len(before) and len(v3["decisions"]) == 1)

    wait_until(all_decided, timeout=90, interval=0.5)
    decided = sorted(d["message_id"] for d in view(base, "c2")["decisions"])
    assert decided == sorted(before)
    assert view(base, "c1")["handoffs"][0]["status"] == "delivered"
    ps = c("ps")
    assert "Exit" not in ps.stdout, ps.stdout
    print(json.dumps({"compose_ps": ps.stdout}))
