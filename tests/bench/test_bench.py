"""`rapport bench` runs end to end and reports every figure (a smoke test, not a timed one)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rapport_tools.dev import find_redis_server

KEYS = {
    "stream_ingest_msgs_per_s",
    "http_ingest_msgs_per_s",
    "cpu_ms_per_msg",
    "latency_ms",
    "floor_relay_msgs_per_s",
    "ratio_to_floor",
    "cpu_ratio_to_floor",
    "floor_faststream_relay_msgs_per_s",
    "ratio_to_faststream_floor",
    "cpu_ratio_to_faststream_floor",
    "cpu_ms_per_msg_whole_run",
    "settle_s",
    "rss_mb",
    "redis_bytes_per_msg",
    "redis_bytes_per_msg_with_pipes",
    "refused",
    "generator_cpu_ms_per_msg",
}


@pytest.mark.skipif(
    not (os.environ.get("REDIS_URL") or find_redis_server()), reason="needs redis-server"
)
def test_bench_json_has_every_figure() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env.pop("REDIS_URL", None)  # its own private Redis: the memory figure needs one
    proc = subprocess.run(
        [sys.executable, "-m", "rapport_tools.cli", "bench", "--duration", "3", "--rounds", "1",
         "--concurrency", "8", "--json"],
        capture_output=True,
        env=env,
        timeout=600,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    result = json.loads(proc.stdout)
    assert set(result) == KEYS
    for key in ("stream_ingest_msgs_per_s", "http_ingest_msgs_per_s", "floor_relay_msgs_per_s"):
        assert result[key] > 0, key
    for mode in ("stream", "http"):
        cpu = result["cpu_ms_per_msg"][mode]
        # The webhook edge in a process of its own, as docker-compose.yml runs it.
        assert set(cpu) == {"sentiment", "router", "handoff", "edge", "redis", "total"}
        assert cpu["total"] > 0
        assert result["ratio_to_floor"][mode] > 0
        assert result["cpu_ratio_to_floor"][mode] > 0
    assert result["cpu_ms_per_msg"]["floor"]["total"] > 0
    # The floor, a FastStream batch relay (faststream is in the dev group).
    assert result["floor_faststream_relay_msgs_per_s"] > 0
    assert result["cpu_ms_per_msg"]["floor_faststream"]["total"] > 0
    for mode in ("stream", "http"):
        assert result["ratio_to_faststream_floor"][mode] > 0
        assert result["cpu_ratio_to_faststream_floor"][mode] > 0
    latency = result["latency_ms"]
    assert set(latency) == {"p50", "p95", "p99", "rate", "conversations", "handoffs"}
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"]
    assert latency["rate"] > 0
    # Fewer conversations than the HTTP phases' 2,000: the latency phase sends fewer messages,
    # as many per conversation (the same share escalates); some of them did.
    assert 1 <= latency["conversations"] < 2000
    assert latency["handoffs"] > 0
    assert result["generator_cpu_ms_per_msg"]["http"] > 0
    assert result["generator_cpu_ms_per_msg"]["latency"] > 0
    # The signed webhooks went through the edge's process, not the handoff stage's.
    assert result["cpu_ms_per_msg"]["http"]["edge"] > 2 * result["cpu_ms_per_msg"]["stream"]["edge"]
    assert all(result["rss_mb"][s] > 0 for s in ("sentiment", "router", "handoff", "edge"))
    assert result["redis_bytes_per_msg"] > 0
    # The retained figure leaves out the pipes (trimmed after 10 minutes), which hold bytes
    # in a run this short: the raw growth is the larger.
    assert result["redis_bytes_per_msg_with_pipes"] > result["redis_bytes_per_msg"]
    # The latency phase's CPU per message, per stage, beside the closed-loop phases'.
    latency_cpu = result["cpu_ms_per_msg"]["latency"]
    assert set(latency_cpu) == {"sentiment", "router", "handoff", "edge", "redis", "total"}
    assert all(v > 0 for v in latency_cpu.values()), latency_cpu
    assert set(result["refused"]) == {"http_ingest", "latency"}
    # Each phase's handoffs were done before its CPU was read (well within the wait's cap).
    for mode in ("stream", "http"):
        assert all(0 <= s < 60 for s in result["settle_s"][mode]), result["settle_s"]
