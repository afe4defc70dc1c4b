"""``/metrics`` on the internal port (``RAPPORT_METRICS_PORT``), never on the public app: a real
listener answering a real HTTP scrape with the service's counters and the stream gauges read
from XINFO (length, lag, pending, consumers alive); a port that is taken is a clear one-line
error, not a traceback."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable

import httpx
import pytest
import redis as redis_sync
from starlette.testclient import TestClient

from rapport_handoff.app import create_app
from rapport_runtime.settings import RapportSettings
from rapport_tools.dev import free_port
from tests.helpers import message, signed, wait_until

pytestmark = pytest.mark.integration


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in a Prometheus text exposition."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_are_served_on_the_internal_port_only(
    make_settings: Callable[..., RapportSettings], prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RAPPORT_DEMO_SECRET", raising=False)
    port = free_port()
    settings = make_settings(metrics_port=port)
    with TestClient(create_app(settings)) as client:
        wait_until(lambda: client.get("/readyz").status_code == 200, timeout=5)
        body, headers = signed(message(message_id="m-metrics"))
        assert client.post("/v1/sites/demo/messages", content=body, headers=headers).status_code
        # The public app has no /metrics...
        assert client.get("/metrics").status_code == 404
        # ...the internal port has, over real HTTP.
        reply = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/plain")
        text = reply.text
        assert (sample(text, "rapport_edge_requests_total", outcome="accepted") or 0) >= 1
        assert sample(text, "rapport_stream_length", stream=f"{prefix}:messages") == 1
        # The handoff stage's consumer reads its group: one consumer name, alive.
        escalations = f"{prefix}:escalations"

        def alive() -> float | None:
            scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            return sample(
                scraped, "rapport_group_consumers_alive", stream=escalations, group="handoff"
            )

        assert sample(text, "rapport_group_lag", stream=escalations, group="handoff") == 0
        # Redis creates a consumer name on its first delivery (7.0): give it one.
        r = redis_sync.Redis.from_url(settings.redis_url)
        try:
            r.xadd(escalations, {"__data__": b"{}"})  # not a packet: parked at once
        finally:
            r.close()
        assert wait_until(lambda: alive() == 1, timeout=10)
        # Anything else on that port is a 404, not the public app.
        other = httpx.get(f"http://127.0.0.1:{port}/v1/sites/demo/messages", timeout=5)
        assert other.status_code == 404
    # The listener stops with the service.
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_a_taken_metrics_port_is_a_one_line_error(redis_url: str, prefix: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        busy = taken.getsockname()[1]
        env = {
            **os.environ,
            "REDIS_URL": redis_url,
            "RAPPORT_PREFIX": prefix,
            "RAPPORT_PORT": str(free_port()),
            "RAPPORT_METRICS_PORT": str(busy),
            "RAPPORT_LOG_FORMAT": "text",
        }
        result = subprocess.run(
            [sys.executable, "-m", "rapport_router"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, result.stderr
    assert f"cannot serve /metrics on 127.0.0.1:{busy}" in errors[0]
    assert "RAPPORT_METRICS_PORT" in errors[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("RAPPORT_LOG_LEVEL", "LOUD", "RAPPORT_LOG_LEVEL: Input should be 'DEBUG'"),
        ("RAPPORT_LOG_FORMAT", "xml", "RAPPORT_LOG_FORMAT: Input should be 'json' or 'text'"),
        ("RAPPORT_METRICS_PORT", "70000", "RAPPORT_METRICS_PORT: Input should be less than"),
    ],
)
def test_bad_log_and_metrics_settings_are_one_line_errors(
    variable: str, value: str, says: str
) -> None:
    env = {**os.environ, variable: value}
    result = subprocess.run(
        [sys.executable, "-m", "rapport_sentiment"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert says in lines[0], lines[0]
    assert "Traceback" not in result.stderr


def ports_with_a_free_port_1000_above() -> tuple[int, int]:
    for _ in range(50):
        port = free_port()
        if port + 1000 > 65535:
            continue
        try:
            with socket.create_server(("127.0.0.1", port + 1000)):
                return port, port + 1000
        except OSError:
            continue
    raise AssertionError("no free port pair found")


def run_router(env: dict[str, str], until: Callable[[], bool]) -> str:
    """Start the router, wait for ``until``, stop it; its log."""
    process = subprocess.Popen(
        [sys.executable, "-m", "rapport_router"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(until, timeout=30, interval=0.1)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    return stderr


def ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_default_metrics_port_is_the_http_port_plus_1000(redis_url: str, prefix: str) -> None:
    port, metrics = ports_with_a_free_port_1000_above()
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "RAPPORT_PREFIX": prefix,
        "RAPPORT_PORT": str(port),
        "RAPPORT_LOG_FORMAT": "json",
    }
    env.pop("RAPPORT_METRICS_PORT", None)
    scraped: list[str] = []

    def scrape() -> bool:
        if not ready(port):
            return False
        scraped.append(httpx.get(f"http://127.0.0.1:{metrics}/metrics", timeout=2).text)
        return True

    log = run_router(env, scrape)
    assert "rapport_group_lag" in scraped[0]
    started = [line for line in log.splitlines() if "Started server process" in line]
    assert len(started) == 1, log  # the metrics server's own start-up lines are not logged
    assert f"metrics on http://127.0.0.1:{metrics}/metrics" in log


def test_a_taken_default_metrics_port_leaves_the_service_running(
    redis_url: str, prefix: str
) -> None:
    port, metrics = ports_with_a_free_port_1000_above()
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "RAPPORT_PREFIX": prefix,
        "RAPPORT_PORT": str(port),
        "RAPPORT_LOG_FORMAT": "json",
    }
    env.pop("RAPPORT_METRICS_PORT", None)
    with socket.create_server(("127.0.0.1", metrics)):
        log = run_router(env, lambda: ready(port))
    [warning] = [json.loads(line) for line in log.splitlines() if "runs without /metrics" in line]
    assert warning["level"] == "warning"
    assert f"cannot serve /metrics on 127.0.0.1:{metrics}" in warning["message"]


def test_a_bad_metrics_host_is_a_one_line_error(redis_url: str, prefix: str) -> None:
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "RAPPORT_PREFIX": prefix,
        "RAPPORT_PORT": str(free_port()),
        "RAPPORT_METRICS_HOST": "no-such-host.invalid",
        "RAPPORT_LOG_FORMAT": "text",
    }
    env.pop("RAPPORT_METRICS_PORT", None)
    result = subprocess.run(
        [sys.executable, "-m", "rapport_router"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    [error] = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert "cannot serve /metrics on no-such-host.invalid:" in error
    assert "Traceback" not in result.stderr
