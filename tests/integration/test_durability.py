"""RAPPORT_DURABILITY=always is a promise that nothing answered 202 is lost: a service refuses
to start (exit 2, one line saying what to change) against a Redis that fsyncs less often, and
starts against one with appendonly yes + appendfsync always."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis as redis_sync

from rapport_tools.dev import free_port

pytestmark = [pytest.mark.integration, pytest.mark.chaos]


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[str, redis_sync.Redis]]:
    binary = shutil.which("redis-server")
    assert binary, "this test needs a redis-server binary (apt install redis-server)"
    port = free_port()
    args = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--dir",
        str(tmp_path),
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis_sync.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis_sync.RedisError:
            assert time.monotonic() < deadline, "the test's redis-server did not start"
            time.sleep(0.05)
    try:
        yield url, client
    finally:
        client.close()
        proc.kill()
        proc.wait(timeout=10)


def start_router(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "REDIS_URL": url,
        "RAPPORT_DURABILITY": "always",
        "RAPPORT_PORT": str(port),
        "RAPPORT_STARTUP_TIMEOUT_S": "5",
    }
    env.pop("RAPPORT_CONFIG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "rapport_router"], env=env, stderr=subprocess.PIPE
    )


def test_always_refuses_a_redis_that_could_lose_acknowledged_writes(
    own_redis: tuple[str, redis_sync.Redis],
) -> None:
    url, _ = own_redis
    proc = start_router(url, free_port())
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2
    problem = [line for line in stderr.decode().splitlines() if "appendfsync always" in line]
    assert problem and "appendonly=no" in problem[0]
    assert "Traceback" not in stderr.decode()


def test_always_starts_on_a_redis_that_fsyncs_every_write(
    own_redis: tuple[str, redis_sync.Redis],
) -> None:
    url, client = own_redis
    client.config_set("appendonly", "yes")
    client.config_set("appendfsync", "always")
    port = free_port()
    proc = start_router(url, port)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("the router did not become ready")
    finally:
        proc.terminate()
        proc.communicate(timeout=20)  # also closes the stderr pipe
