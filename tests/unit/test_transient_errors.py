"""Which errors a stage loop waits out (backing off) and which stop it: a connection the peer
closed is waited out however it surfaces; any other RuntimeError is a bug and stops the loop."""

from __future__ import annotations

from redis.exceptions import ClusterDownError, SlotNotCoveredError
from redis.exceptions import ConnectionError as RedisConnectionError

from rapport_runtime.consumer import is_transient


def test_connection_failures_are_waited_out() -> None:
    assert is_transient(RedisConnectionError("refused"))
    assert is_transient(ClusterDownError("CLUSTERDOWN"))
    assert is_transient(SlotNotCoveredError("no node"))
    closed = "unable to perform operation on <TCPTransport closed=True>; the handler is closed"
    assert is_transient(RuntimeError(closed))


def test_other_errors_stop_the_loop() -> None:
    assert not is_transient(RuntimeError("dictionary changed size during iteration"))
    assert not is_transient(ValueError("bad"))
