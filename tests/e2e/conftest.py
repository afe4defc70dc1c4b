"""The three services as real processes, talking over a real Redis and real HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import redis as redis_sync

from rapport_tools.dev import free_port
from tests.redis_backends import Backend

SERVICES = ("sentiment", "router", "handoff")


@dataclass
class Pipeline:
    redis_url: str
    prefix: str
    env: dict[str, str]
    ports: dict[str, int] = field(default_factory=dict)
    # Each service's internal /metrics port (RAPPORT_METRICS_PORT), never its public one.
    metrics_ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def edge(self) -> str:
        return f"http://127.0.0.1:{self.ports['handoff']}"

    def start(self, service: str) -> None:
        env = {**self.env, "RAPPORT_PORT": str(self.ports[service])}
        if service in self.metrics_ports:
            env["RAPPORT_METRICS_PORT"] = str(self.metrics_ports[service])
        self.processes[service] = subprocess.Popen(
            [sys.executable, "-m", f"rapport_{service}"], env=env
        )

    def wait_ready(self, service: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.ports[service]}/readyz"
        while time.monotonic() < deadline:
            proc = self.processes[service]
            if proc.poll() is not None:
                raise AssertionError(f"{service} exited with {proc.returncode} while starting")
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{service} not ready within {timeout} s")

    def kill(self, service: str) -> None:
        proc = self.processes[service]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> dict[str, int]:
        codes = {}
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for service, proc in self.processes.items():
            try:
                codes[service] = proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                codes[service] = -9
        return codes


def running_pipeline(
    redis: dict[str, str], prefix: str, extra: dict[str, str] | None = None
) -> Iterator[Pipeline]:
    """The three services on ``redis`` (REDIS_URL and, for a cluster, RAPPORT_PARTITIONS),
    with ``extra`` settings on top, ready; stopped afterwards."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if k not in ("RAPPORT_CONFIG", "RAPPORT_PARTITIONS", "RAPPORT_CONSUMER_PARTITIONS")
    }
    env = {
        **inherited,
        **redis,
        "RAPPORT_PREFIX": prefix,
        "RAPPORT_POLL_MS": "20",
        "RAPPORT_RECLAIM_IDLE_MS": "1000",
        "RAPPORT_RECLAIM_POLL_MS": "100",
        "RAPPORT_GRACEFUL_TIMEOUT_S": "3",
        "RAPPORT_LOG_LEVEL": "WARNING",
        "RAPPORT_DEMO_SECRET": "demo-secret",
        "RAPPORT_ADMIN_TOKEN": "e2e-admin-token",
        **(extra or {}),
    }
    p = Pipeline(
        redis["REDIS_URL"],
        prefix,
        env,
        ports={s: free_port() for s in SERVICES},
        metrics_ports={s: free_port() for s in SERVICES},
    )
    for service in SERVICES:
        p.start(service)
    try:
        for service in SERVICES:
            p.wait_ready(service)
        yield p
    finally:
        p.stop_all()


@pytest.fixture
def pipeline(redis_url: str, prefix: str, redis_client: redis_sync.Redis) -> Iterator[Pipeline]:
    """The pipeline on the session's single Redis (for tests that read its keys directly, and
    the operator tools, which read one partition)."""
    yield from running_pipeline({"REDIS_URL": redis_url}, prefix)


@pytest.fixture
def any_pipeline(backend: Backend, prefix: str) -> Iterator[Pipeline]:
    """The pipeline on every backend (``tests/redis_backends.py``): a single Redis, and a local
    3-master cluster with four partitions. Read what it wrote through ``backend``."""
    yield from running_pipeline(backend.env(), prefix)
