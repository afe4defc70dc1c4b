"""The image built from deploy/Dockerfile: each service starts, answers /healthz and /readyz
against a Redis container, and runs as a non-root user."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from rapport_tools.dev import free_port
from tests.containers.conftest import APP_IMAGE, REDIS_IMAGE, docker

pytestmark = pytest.mark.containers

PORTS = {"sentiment": 8081, "router": 8082, "handoff": 8080}


@pytest.mark.parametrize("service", sorted(PORTS))
def test_service_container_is_healthy_and_ready(network: str, service: str) -> None:
    suffix = uuid.uuid4().hex[:8]
    redis_name, app_name = f"redis-{suffix}", f"rapport-{service}-{suffix}"
    port = free_port()
    docker("run", "-d", "--rm", "--name", redis_name, "--network", network, REDIS_IMAGE)
    try:
        docker(
            "run",
            "-d",
            "--name",
            app_name,
            "--network",
            network,
            "-e",
            f"REDIS_URL=redis://{redis_name}:6379/0",
            "-e",
            f"RAPPORT_PORT={PORTS[service]}",
            "-p",
            f"127.0.0.1:{port}:{PORTS[service]}",
            APP_IMAGE,
            f"rapport-{service}",
        )
        deadline = time.monotonic() + 60
        ready = None
        while time.monotonic() < deadline:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        logs = docker("logs", app_name, check=False)
        assert ready is not None and ready.status_code == 200, logs.stdout + logs.stderr
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json() == {"status": "ok"}
        uid = docker("exec", app_name, "id", "-u").stdout.strip()
        assert uid != "0", "the service runs as root"
    finally:
        docker("rm", "-f", app_name, check=False)
        docker("rm", "-f", redis_name, check=False)
