"""Which errors a stage loop waits out (backing off) and which stop it: a connection the peer
closed is waited out however it surfaces; any other RuntimeError or AttributeError is a bug and
stops the loop."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio.connection import Connection
from redis.exceptions import ClusterDownError, SlotNotCoveredError
from redis.exceptions import ConnectionError as RedisConnectionError

from rapport_runtime.errors import is_transient


def test_connection_failures_are_waited_out() -> None:
    assert is_transient(RedisConnectionError("refused"))
    assert is_transient(ClusterDownError("CLUSTERDOWN"))
    assert is_transient(SlotNotCoveredError("no node"))
    closed = "unable to perform operation on <TCPTransport closed=True>; the handler is closed"
    assert is_transient(RuntimeError(closed))


def test_a_connection_closed_under_a_command_inside_redis_py_is_waited_out() -> None:
    """What redis-py 8.1 raises when a fail-over's topology refresh closes a connection while
    another task writes on it: an AttributeError from inside its connection module."""
    connection = Connection(host="127.0.0.1", port=1)  # never connected: no writer
    with pytest.raises(AttributeError, match="writelines") as raised:
        asyncio.run(connection._send_packed_command([b"PING"]))
    assert is_transient(raised.value)


def test_other_errors_stop_the_loop() -> None:
    assert not is_transient(RuntimeError("dictionary changed size during iteration"))
    assert not is_transient(ValueError("bad"))
    with pytest.raises(AttributeError) as ours:  # our own AttributeError: a bug
        getattr(None, "missing")  # noqa: B009 - an attribute error raised in this file
    assert not is_transient(ours.value)
