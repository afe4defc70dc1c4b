"""Every way Redis (standalone or Cluster) can refuse to store a message becomes a 503 or 429
that says why, never a bare 500: the edge's answer for each exception redis-py raises."""

from __future__ import annotations

import json

import pytest
from redis.exceptions import (
    BusyLoadingError,
    ClusterDownError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisClusterException,
    ResponseError,
    SlotNotCoveredError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError

from rapport_handoff.responses import StorageError, storage_refusal
from rapport_runtime.redis import PoolExhaustedError


@pytest.mark.parametrize(
    ("exc", "status", "error", "why"),
    [
        (RedisConnectionError("refused"), 503, "unavailable", "unreachable"),
        (BusyLoadingError("loading"), 503, "unavailable", "loading"),
        (OutOfMemoryError("OOM"), 503, "storage_full", "out of memory"),
        (ReadOnlyError("READONLY"), 503, "unavailable", "read-only"),
        (ResponseError("MISCONF cannot persist"), 503, "not_durable", "MISCONF"),
        (SlotNotCoveredError("no node"), 503, "unavailable", "failing over"),
        (ClusterDownError("CLUSTERDOWN"), 503, "unavailable", "failing over"),
        (TryAgainError("TRYAGAIN"), 503, "unavailable", "failing over"),
        (RedisClusterException("no startup node"), 503, "unavailable", "failing over"),
        (PoolExhaustedError("all busy"), 429, "saturated", "busy"),
    ],
)
def test_each_refusal_says_why(exc: StorageError, status: int, error: str, why: str) -> None:
    reply = storage_refusal(exc)
    body = json.loads(bytes(reply.body))
    assert (reply.status_code, body["error"]) == (status, error)
    assert why in body["message"]
    assert "retry" in body["message"].lower()
    assert reply.headers["retry-after"]
