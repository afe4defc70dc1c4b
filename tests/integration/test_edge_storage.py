"""The edge refuses (503, saying why) whenever it cannot keep what a 202 promises, and accepts
again by itself once it can: Redis out of memory, and with ``RAPPORT_DURABILITY=always`` a
Redis whose fsync policy was changed under it. Each test runs a redis-server of its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_sync
from starlette.testclient import TestClient

from rapport_handoff.app import create_app
from rapport_runtime.logs import ContextFilter
from rapport_runtime.settings import RapportSettings
from tests.helpers import RedisProcess, message, signed, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.chaos]

URL = "/v1/sites/demo/messages"


@pytest.fixture
def own_redis(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path, *request.param)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _client(make_settings: Callable[..., RapportSettings], url: str, **extra: Any) -> TestClient:
    return TestClient(create_app(make_settings(redis_url=url, **extra)))


def post(client: TestClient, n: int) -> Any:
    return client.post(
        URL, **dict(zip(("content", "headers"), signed(message(f"c{n}", f"m{n}")), strict=True))
    )


@pytest.mark.parametrize("own_redis", [("--maxmemory-policy", "noeviction")], indirect=True)
def test_redis_out_of_memory_is_a_503_that_says_so(
    own_redis: RedisProcess,
    make_settings: Callable[..., RapportSettings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.handler.addFilter(ContextFilter())  # what the service's own handler attaches
    direct = redis_sync.Redis.from_url(own_redis.url)
    with _client(make_settings, own_redis.url) as client:
        assert post(client, 0).status_code == 202
        for n in range(30):
            direct.set(f"fill:{n}", "x" * 100_000)
        direct.config_set("maxmemory", "1mb")  # well over it now: every write is refused
        with pytest.raises(redis_sync.exceptions.OutOfMemoryError):
            direct.set("one-more", "x")
        reply = post(client, 1)
        assert reply.status_code == 503, reply.text
        body = reply.json()
        assert body["error"] == "storage_full"
        assert "out of memory" in body["message"] and "Nothing was accepted" in body["message"]
        assert reply.headers["retry-after"] == "5"
        # The operator's log line names the conversation and message the body carried.
        [logged] = [r for r in caplog.records if "could not accept" in r.getMessage()]
        context = getattr(logged, "rapport_context")  # noqa: B009 (set by ContextFilter)
        assert (context["conversation_id"], context["message_id"]) == ("c1", "m1")
        direct.config_set("maxmemory", "0")  # room again
        assert post(client, 1).status_code == 202  # the same message, now accepted
    direct.close()


@pytest.mark.parametrize(
    "own_redis", [("--appendonly", "yes", "--appendfsync", "always")], indirect=True
)
def test_durability_always_refuses_while_redis_stops_fsyncing_every_write(
    own_redis: RedisProcess, make_settings: Callable[..., RapportSettings]
) -> None:
    direct = redis_sync.Redis.from_url(own_redis.url)
    with _client(make_settings, own_redis.url, durability="always") as client:
        assert post(client, 0).status_code == 202
        direct.config_set("appendfsync", "everysec")
        reply = wait_until(lambda: (r := post(client, 1)).status_code == 503 and r, timeout=15)
        body = reply.json()
        assert body["error"] == "not_durable"
        assert "appendfsync=everysec" in body["message"]
        direct.config_set("appendfsync", "always")
        wait_until(lambda: post(client, 1).status_code == 202, timeout=15)
        entries: Any = direct.xrange(f"{make_settings().prefix}:messages")
        assert len(entries) == 2  # m0 and m1 once: nothing accepted while refused
    direct.close()
