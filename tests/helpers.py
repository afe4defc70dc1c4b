"""Test helpers: signed requests, and real HTTP servers on free ports."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from rapport_runtime.signing import sign
from rapport_tools.dev import free_port


def reference_dir() -> Path:
    """The team's read-only reference folder (specs, data): ``RAPPORT_REFERENCE_DIR``, else
    ``shared/`` beside the checkout, else ``/work/shared``."""
    if given := os.environ.get("RAPPORT_REFERENCE_DIR"):
        return Path(given)
    beside = Path(__file__).resolve().parents[2] / "shared"
    return beside if beside.exists() else Path("/work/shared")


def signed(
    body: dict[str, Any] | bytes, secret: str = "demo-secret", **extra: str
) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw, {"Content-Type": "application/json", **sign(secret, raw), **extra}


def human_request_policy(policy_id: str, **extra: Any) -> dict[str, Any]:
    """The policy most end-to-end rows run: a person when the customer asks for one (queue
    support, priority high), automation otherwise; ``extra`` adds top-level keys such as
    ``handoff_failure``."""
    return {
        "id": policy_id,
        "version": "1",
        "rules": [
            {
                "name": "explicit-human-request",
                "when": {"any_signal": ["human_request"]},
                "route": "human",
                "queue": "support",
                "priority": "high",
            },
            {"name": "default", "route": "automation"},
        ],
        **extra,
    }


def message(
    conversation: str = "c1", message_id: str = "m1", text: str = "hello", author: str = "customer"
) -> dict[str, Any]:
    return {
        "conversation_id": conversation,
        "message_id": message_id,
        "author": author,
        "text": text,
    }


@contextmanager
def serving_in_thread(
    app: ASGIApp, start_timeout_s: float = 10, **config: Any
) -> Iterator[tuple[str, int]]:
    """Serve ``app`` with uvicorn over real HTTP on 127.0.0.1 in a background thread, with
    uvicorn ``config`` options on top of the test defaults; yields (base URL, port)."""
    port = free_port()
    options: dict[str, Any] = {"log_level": "warning", "lifespan": "off", **config}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test HTTP server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", port
    finally:
        server.should_exit = True
        thread.join(timeout=max(10.0, start_timeout_s))


@contextmanager
def http_server(app: ASGIApp) -> Iterator[str]:
    """Serve ``app`` over real HTTP on 127.0.0.1 in a background thread; yields its base URL."""
    with serving_in_thread(app) as (url, _):
        yield url


def wait_until(predicate: Any, timeout: float = 10.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def wait_quiescent(client: Any, prefix: str, timeout: float = 30.0) -> None:
    """Wait until every Rapport consumer group has read everything and acked it: from then on
    nothing can land late (a reclaimed entry, a duplicate), so a count is final. Deterministic,
    unlike a sleep."""
    from rapport_contracts import Streams

    def quiet() -> bool:
        for stream, groups in Streams(prefix).groups().items():
            if not client.exists(stream):
                continue
            for info in client.xinfo_groups(stream):
                name = info["name"].decode() if isinstance(info["name"], bytes) else info["name"]
                if name in groups and (info.get("pending") or info.get("lag")):
                    return False
        return True

    wait_until(quiet, timeout=timeout, interval=0.05)


class RedisProcess:
    """A redis-server of a test's own on a free port (for what a shared Redis must not see:
    restarts, memory limits, persistence settings). ``extra`` are redis-server options."""

    def __init__(self, directory: Path, *extra: str) -> None:
        binary = shutil.which("redis-server")
        assert binary, "this test needs a redis-server binary (apt install redis-server)"
        self.binary, self.dir, self.extra, self.port = binary, directory, extra, free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--dir", str(self.dir), *self.extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def webhook_sites_file(
    path: Path,
    hook_url: str,
    *,
    site_secret_env: str,
    hook_secret_env: str,
    policy: dict[str, Any] | None = None,
    **adapter_options: Any,
) -> Path:
    """A sites file with one site, ``demo``, handing off through the generic ``webhook``
    adapter to ``hook_url``; secrets by environment reference, as an operator writes them."""
    site: dict[str, Any] = {
        "secret": {"env": site_secret_env},
        "adapter": {
            "type": "webhook",
            "url": hook_url,
            "secret": {"env": hook_secret_env},
            **adapter_options,
        },
    }
    if policy is not None:
        site["policy"] = policy
    path.write_text(json.dumps({"sites": {"demo": site}}))
    return path


class RedisClusterProcess:
    """A Redis Cluster of a test's own: ``masters`` masters (each with ``replicas`` replicas)
    from the ``redis-server`` binary, on free ports, joined by ``redis-cli --cluster create``.
    Node timeout 1 s, so a killed master's replica takes over within a few seconds."""

    def __init__(self, directory: Path, masters: int = 3, replicas: int = 0) -> None:
        cli = shutil.which("redis-cli")
        assert cli, "this test needs redis-cli (apt install redis-tools)"
        self.cli, self.masters, self.replicas = cli, masters, replicas
        self.nodes = [
            RedisProcess(
                directory,
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                f"nodes-{i}.conf",
                "--cluster-node-timeout",
                "1000",
                # The bus port defaults to port + 10000, which a free port does not make free.
                "--cluster-port",
                str(free_port()),
                "--appendonly",
                "no",
            )
            for i in range(masters * (1 + replicas))
        ]

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def start(self) -> None:
        for node in self.nodes:
            node.start()
        subprocess.run(
            [
                self.cli,
                "--cluster",
                "create",
                *(f"127.0.0.1:{n.port}" for n in self.nodes),
                "--cluster-replicas",
                str(self.replicas),
                "--cluster-yes",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=60,
        )
        wait_until(self.healthy, timeout=30, interval=0.1)

    def info(self, node: RedisProcess, *command: str) -> str:
        result = subprocess.run(
            [self.cli, "-p", str(node.port), *command],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return result.stdout

    def alive(self) -> list[RedisProcess]:
        return [n for n in self.nodes if n.proc is not None and n.proc.poll() is None]

    def healthy(self) -> bool:
        """Every live node sees the cluster ok, and every live replica is in sync."""
        for node in self.alive():
            if "cluster_state:ok" not in self.info(node, "cluster", "info"):
                return False
            replication = self.info(node, "info", "replication")
            if "role:slave" in replication and "master_link_status:up" not in replication:
                return False
        return True

    def primaries(self) -> list[RedisProcess]:
        return [n for n in self.alive() if "role:master" in self.info(n, "info", "replication")]

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def entry_dict(stream: str, raw: bytes | str) -> dict[str, Any]:
    """A stream entry's event as a dict with every field (``model_dump(mode="json")``):
    entries are stored in the compact form (``Event.compact_json()``, fields at their default
    left out), so a test reads them as every reader does, through the stream's model.
    ``stream`` is the stream's key or its name (``decisions``, ``rapport:{p0}:decisions``)."""
    from rapport_contracts.asyncapi import CHANNELS

    name = stream.rsplit(":", 1)[-1]
    model = CHANNELS[name][0] if name in CHANNELS else None
    if model is None:
        return dict(json.loads(raw))
    return model.read(raw).model_dump(mode="json")
