"""The pipeline on a real Redis Cluster (3 masters from the redis-server binary): partitioned
streams over every master, exactly one decision per message through a SIGKILL of the router,
handoffs to a local helpdesk exactly once, and a master fail-over under load that loses and
duplicates nothing the edge accepted.

What only a cluster has is here. The behaviours every backend shares run on both a single
Redis and a cluster from their own files, through the ``backend`` fixture
(``tests/redis_backends.py``): the 1,000-message SIGKILL of sentiment mid-batch and the rest
of ``test_pipeline.py``, and the chaos suite."""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from redis.cluster import RedisCluster as SyncCluster
from redis.crc import key_slot
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from rapport_runtime.partitions import partition_of
from rapport_tools.dev import free_port
from tests.e2e.conftest import SERVICES, Pipeline
from tests.helpers import (
    RedisClusterProcess,
    http_server,
    human_request_policy,
    message,
    signed,
    wait_until,
    webhook_sites_file,
)

pytestmark = pytest.mark.e2e

PARTITIONS = 4  # hash tags {p0}..{p3} fall on all three masters' slot ranges
POLICY = human_request_policy("cluster")


class Helpdesk:
    """Accepts every handoff; counts POSTs per Idempotency-Key."""

    def __init__(self) -> None:
        self.keys: Counter[str] = Counter()

    async def receive(self, request: Request) -> JSONResponse:
        await request.body()
        self.keys[request.headers["idempotency-key"]] += 1
        return JSONResponse({"id": f"T-{len(self.keys)}"}, status_code=201)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self.receive, methods=["POST"])])


def cluster_client(cluster: RedisClusterProcess) -> SyncCluster:
    return SyncCluster(host="127.0.0.1", port=cluster.alive()[0].port)


def owner(client: SyncCluster, key: str) -> Any:
    """The node serving ``key``'s slot (redis-py leaves this method untyped)."""
    return cast("Any", client).get_node_from_key(key)


def decisions(client: SyncCluster, prefix: str) -> list[tuple[int, dict[str, Any]]]:
    out = []
    for p in range(PARTITIONS):
        for _, fields in client.xrange(f"{prefix}:{{p{p}}}:decisions"):
            out.append((p, json.loads(fields[b"__data__"])))
    return out


def post(edge: str, cid: str, mid: str, text: str) -> None:
    """Until answered 202 (a refusal during a fail-over is retried, same message id)."""
    raw, headers = signed(message(cid, mid, text))

    def accepted() -> bool:
        try:
            url = f"{edge}/v1/sites/demo/messages"
            return httpx.post(url, content=raw, headers=headers, timeout=10).status_code == 202
        except httpx.HTTPError:
            return False

    wait_until(accepted, timeout=30, interval=0.2)


@pytest.fixture
def desk() -> Helpdesk:
    return Helpdesk()


def rapport_on(
    cluster: RedisClusterProcess, desk_url: str, prefix: str, tmp_path: Path
) -> Pipeline:
    sites = webhook_sites_file(
        tmp_path / "sites.yaml",
        f"{desk_url}/hook",
        site_secret_env="E2E_SECRET",
        hook_secret_env="E2E_HANDOFF_SECRET",
        policy=POLICY,
        attempts=1,
    )
    env = {
        **os.environ,
        "REDIS_URL": cluster.url,
        "RAPPORT_PARTITIONS": str(PARTITIONS),
        "RAPPORT_PREFIX": prefix,
        "RAPPORT_CONFIG": str(sites),
        "E2E_SECRET": "demo-secret",
        "E2E_HANDOFF_SECRET": "handoff-secret-0123456789",
        "RAPPORT_POLL_MS": "20",
        "RAPPORT_RECLAIM_IDLE_MS": "1000",
        "RAPPORT_RECLAIM_POLL_MS": "100",
        "RAPPORT_GRACEFUL_TIMEOUT_S": "3",
        "RAPPORT_LOG_LEVEL": "WARNING",
        "RAPPORT_ADMIN_TOKEN": "e2e-admin-token-0123",
    }
    env.pop("RAPPORT_CONSUMER_PARTITIONS", None)
    return Pipeline(cluster.url, prefix, env, ports={s: free_port() for s in SERVICES})


@pytest.fixture
def running(
    request: pytest.FixtureRequest, desk: Helpdesk, prefix: str, tmp_path: Path
) -> Iterator[tuple[Pipeline, RedisClusterProcess]]:
    replicas = getattr(request, "param", 0)
    cluster = RedisClusterProcess(tmp_path / "cluster", masters=3, replicas=replicas)
    (tmp_path / "cluster").mkdir()
    try:
        cluster.start()
        with http_server(desk.app()) as base:
            p = rapport_on(cluster, base, prefix, tmp_path)
            try:
                for service in SERVICES:
                    p.start(service)
                for service in SERVICES:
                    p.wait_ready(service)
                yield p, cluster
            finally:
                p.stop_all()
    finally:
        cluster.stop()


def text_for(i: int, turn: int) -> str:
    if turn == 0:
        return "Hello, I have a question about my account."
    return "I want to talk to a real person" if i % 2 == 0 else "How do I reset my password?"


def test_the_pipeline_on_a_three_master_cluster_decides_each_message_exactly_once(
    running: tuple[Pipeline, RedisClusterProcess], desk: Helpdesk, prefix: str
) -> None:
    p, cluster = running
    client = cluster_client(cluster)
    conversations = [f"c-{i}" for i in range(40)]
    for i, cid in enumerate(conversations[:20]):
        post(p.edge, cid, "m1", text_for(i, 0))
    # A SIGKILL of the router mid-run: its pending entries are reclaimed by the next one.
    p.kill("router")
    for i, cid in enumerate(conversations[20:], start=20):
        post(p.edge, cid, "m1", text_for(i, 0))
    p.start("router")
    p.wait_ready("router")
    for i, cid in enumerate(conversations):
        post(p.edge, cid, "m2", text_for(i, 1))

    wait_until(lambda: len(decisions(client, prefix)) >= 80, timeout=40)
    wait_until(lambda: len(desk.keys) >= 20, timeout=20)
    found = decisions(client, prefix)
    per_message = Counter((d["conversation_id"], d["message_id"]) for _, d in found)
    assert set(per_message) == {(c, m) for c in conversations for m in ("m1", "m2")}
    assert max(per_message.values()) == 1, [k for k, n in per_message.items() if n > 1]
    for partition, d in found:
        assert partition == partition_of("demo", d["conversation_id"], PARTITIONS)
    humans = {d["conversation_id"] for _, d in found if d["route"] == "human"}
    assert humans == {f"c-{i}" for i in range(0, 40, 2)}
    assert sorted(desk.keys.values()) == [1] * 20  # one handoff each, delivered once

    # The partitions really are spread over the three masters.
    owners = {owner(client, f"{{p{p}}}").name for p in range(PARTITIONS)}
    assert len(owners) == 3, owners
    assert {key_slot(f"{prefix}:{{p{p}}}:messages".encode()) for p in range(PARTITIONS)} == {
        key_slot(f"p{p}".encode()) for p in range(PARTITIONS)
    }
    # The edge reads a conversation from its partition.
    view = httpx.get(
        f"{p.edge}/v1/sites/demo/conversations/c-0",
        headers={"Authorization": "Bearer e2e-admin-token-0123"},
        timeout=5,
    ).json()
    assert [d["route"] for d in sorted(view["decisions"], key=lambda d: d["message_id"])] == [
        "automation",
        "human",
    ]


@pytest.mark.chaos
@pytest.mark.parametrize("running", [1], indirect=True)
def test_a_master_fail_over_under_load_loses_and_duplicates_nothing_accepted(
    running: tuple[Pipeline, RedisClusterProcess], prefix: str
) -> None:
    p, cluster = running
    client = cluster_client(cluster)
    victim_port = owner(client, "{p0}").port
    total, accepted = 240, []
    started = threading.Event()

    def load() -> None:
        for n in range(total):
            cid, mid = f"c-{n % 60}", f"m{n // 60}"
            post(p.edge, cid, mid, "How do I reset my password?")
            accepted.append((cid, mid))
            if n == 60:
                started.set()

    poster = threading.Thread(target=load)
    poster.start()
    assert started.wait(30)
    [victim] = [n for n in cluster.nodes if n.port == victim_port]
    victim.stop()  # SIGKILL of the master owning partition 0
    killed_at = len(accepted)
    wait_until(cluster.healthy, timeout=30, interval=0.2)  # its replica took over
    poster.join(timeout=60)
    assert not poster.is_alive()

    client = cluster_client(cluster)
    assert owner(client, "{p0}").port != victim_port, "no fail-over happened"
    after = [cid for cid, _ in accepted[killed_at:]]
    assert any(partition_of("demo", cid, PARTITIONS) == 0 for cid in after), (
        "nothing was accepted for the failed-over partition after the kill"
    )

    def all_decided() -> bool:
        seen = {(d["conversation_id"], d["message_id"]) for _, d in decisions(client, prefix)}
        return seen >= set(accepted)

    try:
        wait_until(all_decided, timeout=40, interval=0.2)
    except AssertionError:
        for service in SERVICES:
            health = httpx.get(f"http://127.0.0.1:{p.ports[service]}/healthz", timeout=5)
            assert health.status_code == 200, (service, health.text)
        seen = {(d["conversation_id"], d["message_id"]) for _, d in decisions(client, prefix)}
        missing = Counter(partition_of("demo", c, PARTITIONS) for c, _ in set(accepted) - seen)
        groups = {n: client.xinfo_groups(f"{prefix}:{{p{n}}}:classified") for n in sorted(missing)}
        raise AssertionError(
            f"undecided per partition: {missing}; router groups: {groups}"
        ) from None
    per_message = Counter(
        (d["conversation_id"], d["message_id"]) for _, d in decisions(client, prefix)
    )
    assert len(accepted) == total
    assert set(per_message) == set(accepted)
    assert max(per_message.values()) == 1, [k for k, n in per_message.items() if n > 1]
