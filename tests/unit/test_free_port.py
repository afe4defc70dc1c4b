"""``rapport_tools.dev.free_port`` hands out ports below the kernel's ephemeral range, free to
listen on, never the same one twice in a process (a port from ``bind(0)`` lies in that range,
and an outgoing connection took one before the service listened: a CI burst test failed on
``[Errno 98]``)."""

from __future__ import annotations

import random
import socket

import pytest

from rapport_tools.dev import _ephemeral_range, free_port


def test_ports_are_below_the_ephemeral_range_listenable_and_distinct() -> None:
    low, _ = _ephemeral_range()
    ports = [free_port() for _ in range(50)]
    assert all(port < low for port in ports), [p for p in ports if p >= low]
    assert len(set(ports)) == len(ports)
    for port in ports[:5]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))  # raises if it was not free
            s.listen()


def test_a_port_someone_listens_on_is_not_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        others = [p for p in range(20_000, 20_400) if p != port]
        # The draw offers the busy port first; it must be passed over.
        monkeypatch.setattr(random, "sample", lambda population, k: [port, *others][:k])
        got = free_port()
        assert got != port
        assert got in others
