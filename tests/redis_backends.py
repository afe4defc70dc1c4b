"""One behaviour, every Redis: the backends a test can ask for with the ``backend`` fixture.

A test that takes ``backend`` runs once per backend (``[standalone]``, ``[cluster]``):

* ``standalone``: the session's Redis (``redis_url``), ``RAPPORT_PARTITIONS=1``, today's
  untagged key layout;
* ``cluster``: a local 3-master Redis Cluster of the session's own (``RedisClusterProcess``,
  started once, on first use) with ``RAPPORT_PARTITIONS=4``, so every stage runs one reader
  and one reclaimer per partition and the partitions' slots fall on all three masters.

The test reads what the services wrote through the backend (``events``, ``xlen``,
``wait_quiescent``...), which looks in every partition's keys, so its assertions are the same
on both. A behaviour that cannot apply to a cluster carries
``@pytest.mark.not_on_cluster(reason)`` (and says why in its docstring): its ``[cluster]``
item is deselected at collection, counted in the summary, never collected and skipped.

Loaded by ``tests/conftest.py`` as a plugin, so the cluster is one per session whichever
directories use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis as redis_sync
from redis.cluster import RedisCluster

from rapport_contracts import Streams
from rapport_runtime.partitions import partition_of
from tests.helpers import RedisClusterProcess, entry_dict, wait_until

BACKENDS = ("standalone", "cluster")
# P = 4: the hash tags {p0}..{p3} fall on all three masters' slot ranges (docs/scaling.md).
CLUSTER_PARTITIONS = 4


@dataclass
class Backend:
    """A Redis the services run on, and how a test reads every partition of it."""

    name: str
    url: str
    partitions: int
    client: Any  # redis.Redis on a standalone Redis, redis.cluster.RedisCluster on a cluster

    @property
    def is_cluster(self) -> bool:
        return self.name == "cluster"

    def env(self) -> dict[str, str]:
        """What the services need in their environment to run on this backend."""
        return {"REDIS_URL": self.url, "RAPPORT_PARTITIONS": str(self.partitions)}

    def prefixes(self, prefix: str) -> list[str]:
        """Every partition's key prefix (a cluster always uses the tagged layout)."""
        if not self.is_cluster and self.partitions == 1:
            return [prefix]
        return [f"{prefix}:{{p{p}}}" for p in range(self.partitions)]

    def conversation_prefix(self, prefix: str, site: str, conversation_id: str) -> str:
        """The key prefix of the partition holding this conversation."""
        return self.prefixes(prefix)[partition_of(site, conversation_id, self.partitions)]

    def keys(self, prefix: str, name: str) -> list[str]:
        """``name`` (``decisions``, ``handoff:retry``...) in every partition."""
        return [f"{p}:{name}" for p in self.prefixes(prefix)]

    def events(self, prefix: str, stream: str) -> list[dict[str, Any]]:
        """Every event of a logical stream, partition after partition (in order within each,
        which is all Rapport promises: one conversation lives on one partition)."""
        out: list[dict[str, Any]] = []
        for key in self.keys(prefix, stream):
            last = "-"
            while True:
                batch: Any = self.client.xrange(key, min=last, count=5000)
                if last != "-":
                    batch = batch[1:]
                if not batch:
                    break
                out += [entry_dict(key, f[b"__data__"]) for _, f in batch]
                last = batch[-1][0].decode()
        return out

    def xlen(self, prefix: str, stream: str) -> int:
        return sum(int(self.client.xlen(k)) for k in self.keys(prefix, stream))

    def zcard(self, prefix: str, name: str) -> int:
        return sum(int(self.client.zcard(k)) for k in self.keys(prefix, name))

    def scan(self, prefix: str, pattern: str) -> Iterator[bytes]:
        """Keys matching ``pattern`` under every partition (on every master of a cluster)."""
        for p in self.prefixes(prefix):
            yield from self.client.scan_iter(match=f"{p}:{pattern}", count=1000)

    def quiet(self, prefix: str) -> bool:
        """Every Rapport group of every partition has read everything and acked it."""
        for p in self.prefixes(prefix):
            for stream, groups in Streams(p).groups().items():
                if not self.client.exists(stream):
                    continue
                for info in self.client.xinfo_groups(stream):
                    name = info["name"]
                    name = name.decode() if isinstance(name, bytes) else name
                    if name in groups and (info.get("pending") or info.get("lag")):
                        return False
        return True

    def groups(self, prefix: str) -> dict[str, list[tuple[str, int, int, int]]]:
        """Per stream of every partition: (group, lag, pending, consumers), to say where a
        pipeline stalled when a wait times out."""
        out: dict[str, list[tuple[str, int, int, int]]] = {}
        for p in self.prefixes(prefix):
            for stream in Streams(p).groups():
                if not self.client.exists(stream):
                    continue
                out[stream] = [
                    (
                        g["name"].decode() if isinstance(g["name"], bytes) else g["name"],
                        int(g.get("lag") or 0),
                        int(g.get("pending") or 0),
                        int(g.get("consumers") or 0),
                    )
                    for g in self.client.xinfo_groups(stream)
                ]
        return out

    def wait(self, prefix: str, predicate: Any, timeout: float, what: str) -> None:
        """``wait_until``, and on a timeout say ``what`` was awaited and every group's state."""
        try:
            wait_until(predicate, timeout=timeout)
        except AssertionError:
            raise AssertionError(
                f"{what}: not within {timeout} s on {self.name}; groups (group, lag, pending, "
                f"consumers): {self.groups(prefix)}"
            ) from None

    def wait_quiescent(self, prefix: str, timeout: float = 30.0) -> None:
        """As ``tests.helpers.wait_quiescent``, over every partition: from then on nothing can
        land late, so a count is final."""
        wait_until(lambda: self.quiet(prefix), timeout=timeout, interval=0.05)

    def forget(self, prefix: str) -> None:
        """Delete what a test left under its prefix (the session's Redis or cluster is
        shared by every test of the run)."""
        for key in list(self.scan(prefix, "*")):
            self.client.delete(key)


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterProcess]:
    """A 3-master local cluster for the whole session (started on first use: a cluster takes
    a few seconds to form, every test has its own prefix)."""
    directory: Path = tmp_path_factory.mktemp("redis-cluster")
    cluster = RedisClusterProcess(directory, masters=3)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def backend(request: pytest.FixtureRequest, prefix: str) -> Iterator[Backend]:
    name = request.param
    if name == "standalone":
        url = request.getfixturevalue("redis_url")
        made = Backend(name, url, 1, redis_sync.Redis.from_url(url))
    elif name == "cluster":
        cluster: RedisClusterProcess = request.getfixturevalue("redis_cluster")
        port = cluster.alive()[0].port
        made = Backend(
            name, cluster.url, CLUSTER_PARTITIONS, RedisCluster(host="127.0.0.1", port=port)
        )
    else:
        raise ValueError(f"unknown Redis backend {name!r}: one of {', '.join(BACKENDS)}")
    try:
        yield made
    finally:
        made.forget(prefix)
        made.client.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "not_on_cluster(reason): a behaviour that cannot apply to a Redis Cluster; its "
        "[cluster] item is deselected at collection (the docstring says why)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", BACKENDS, indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept: list[pytest.Item] = []
    left_out: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_cluster = callspec is not None and callspec.params.get("backend") == "cluster"
        marker = item.get_closest_marker("not_on_cluster")
        if on_cluster and marker is not None:
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
            doc = getattr(getattr(item, "function", None), "__doc__", None)
            if not reason or not doc:
                raise pytest.UsageError(
                    f"{item.nodeid}: not_on_cluster needs a reason, and the test a docstring "
                    "saying why the behaviour cannot apply to a cluster"
                )
            left_out.append(item)
        else:
            kept.append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        "tests taking `backend` run on a standalone Redis and on a local 3-master cluster "
        f"(P = {CLUSTER_PARTITIONS}); behaviours marked not_on_cluster are not collected there"
    ]
