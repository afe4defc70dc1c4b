"""Each branch of the Redis fixture chain (REDIS_URL, then testcontainers, then a redis-server
binary) is taken by at least one test, so none of them rots unnoticed."""

from __future__ import annotations

import pytest
import redis as redis_sync

from rapport_tools.dev import embedded_redis, find_redis_server
from tests.conftest import redis_sources

pytestmark = pytest.mark.integration


def first_source(monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    how, source = next(redis_sources())
    with source as url:
        client = redis_sync.Redis.from_url(url)
        try:
            assert client.ping() is True
        finally:
            client.close()
    return how, url


def test_redis_url_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    binary = find_redis_server()
    assert binary, "this test needs a redis-server binary for the URL it sets"
    with embedded_redis(binary) as url:
        monkeypatch.setenv("REDIS_URL", url)
        how, used = first_source(monkeypatch)
    assert (how, used) == ("REDIS_URL", url)


def test_testcontainers_when_docker_answers(
    monkeypatch: pytest.MonkeyPatch, docker_ready: None
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    how, url = first_source(monkeypatch)
    assert how == "testcontainers"
    # The container is gone once the fixture's context ends.
    with pytest.raises(redis_sync.ConnectionError):
        redis_sync.Redis.from_url(url, socket_connect_timeout=1).ping()


def test_redis_server_binary_without_docker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    how, _ = first_source(monkeypatch)
    assert how.startswith("redis-server binary")


def test_nothing_available_yields_no_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr("tests.conftest.find_redis_server", lambda: None)
    assert list(redis_sources()) == []
