"""The edge's accept, when redis-py closes the connection under it (its cluster client under a
burst: "handler is closed" under uvloop), is tried again instead of answering 500."""

from __future__ import annotations

import asyncio

import pytest

from rapport_handoff.edge import CLOSED_CONNECTION_ATTEMPTS, retrying_closed_connections

CLOSED = "unable to perform operation on <TCPTransport closed=True>; the handler is closed"


def test_a_connection_closed_under_the_accept_is_tried_again() -> None:
    calls = 0

    async def attempt() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError(CLOSED)
        return "1-0"

    assert asyncio.run(retrying_closed_connections(attempt)) == "1-0"
    assert calls == 2


def test_it_gives_up_after_its_attempts_and_says_why() -> None:
    calls = 0

    async def attempt() -> str:
        nonlocal calls
        calls += 1
        raise RuntimeError(CLOSED)

    with pytest.raises(RuntimeError, match="handler is closed"):
        asyncio.run(retrying_closed_connections(attempt))
    assert calls == CLOSED_CONNECTION_ATTEMPTS


def test_any_other_runtime_error_is_a_bug_and_is_not_retried() -> None:
    calls = 0

    async def attempt() -> str:
        nonlocal calls
        calls += 1
        raise RuntimeError("something of ours")

    with pytest.raises(RuntimeError, match="something of ours"):
        asyncio.run(retrying_closed_connections(attempt))
    assert calls == 1
