"""Chaos: real processes, a real Redis and a real HTTP helpdesk that fails on command, attacked
while ≥ 3,000 messages flow (about a fifth of the conversations ask for a person).

Every row that can apply runs twice (``tests/redis_backends.py``): on a single Redis
(``[standalone]``, one partition) and on a local 3-master Redis Cluster with
``RAPPORT_PARTITIONS=4`` (``[cluster]``: each stage reads and reclaims four partitions whose
slots lie on three masters). The rows that kill and restart the one redis-server are
standalone only (``not_on_cluster``, each says why); their cluster counterpart, a master
fail-over under load, is ``tests/e2e/test_cluster.py``. The cluster rows send fewer messages
where a row is long (``on_cluster``): the attack and the checks are the same, the count only
bounds the run time (the cluster's three masters share this machine's cores with the
services), and each cluster count still spans every partition many times over.

Checked at the end, after the pipeline is quiescent (every group has read and acked
everything, so nothing can land late):

* every accepted message has exactly one (live) decision;
* every escalation ends either delivered (the helpdesk holds its Idempotency-Key) or failed
  and acted on (the bot was told to resume with the honest message, the on-call notified);
* no customer is left on hold: no conversation is ``escalated`` with an unconfirmed handoff.

Run alone with ``uv run pytest -m chaos``; `uv run pytest` runs it too.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis as redis_sync
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rapport_tools.dev import free_port
from tests.helpers import (
    entry_dict,
    http_server,
    human_request_policy,
    message,
    signed,
    wait_quiescent,
    wait_until,
    webhook_sites_file,
)
from tests.redis_backends import Backend

pytestmark = [pytest.mark.chaos, pytest.mark.e2e]

HONEST = "We could not reach a person just now; our on-call team will contact you."
ASKS = "I have had enough, I want to talk to a real person"


class Helpdesk:
    """A webhook receiver with a failure mode set by the test. Like a real helpdesk honouring
    Idempotency-Key, it creates one ticket per key however often the same key is posted."""

    def __init__(self) -> None:
        # healthy | flaky (30 % 503) | refusing (404) | hanging | rate_limited (429)
        self.mode = "healthy"
        self.tickets: Counter[str] = Counter()  # accepted POSTs per Idempotency-Key
        self.posted: dict[str, list[float]] = {}  # when each key was posted
        self.rng = random.Random(7)
        # Called after a ticket is created and before the answer is sent (a test kills the
        # handoff process there: the helpdesk has the ticket, Rapport never hears the 200).
        self.after_ticket: Callable[[str], None] | None = None
        self.hang_s = 5.0
        self.hang_until: float | None = None
        # rate_limited: at most `rate` calls per second, the rest 429 with Retry-After: 1.
        self.rate = 4.0
        self.window: list[float] = []
        self.limited: dict[str, list[float]] = {}  # when each key was answered 429

    async def receive(self, request: Request) -> Response:
        await request.body()
        key = request.headers.get("idempotency-key", "")
        self.posted.setdefault(key, []).append(time.monotonic())
        if self.mode == "refusing":
            return JSONResponse({"error": "no such group"}, status_code=404)
        if self.mode == "flaky" and self.rng.random() < 0.3:
            return JSONResponse({"error": "try later"}, status_code=503)
        if self.mode == "rate_limited":
            now = time.monotonic()
            self.window = [t for t in self.window if now - t < 1.0]
            if len(self.window) >= self.rate:
                self.limited.setdefault(key, []).append(now)
                return JSONResponse(
                    {"error": "rate limited"}, status_code=429, headers={"Retry-After": "1"}
                )
            self.window.append(now)
        if self.mode == "hanging":
            # Slow for hang_s from the first request: each call hangs that long, then the
            # ticket is created anyway (the caller has long given up).
            if self.hang_until is None:
                self.hang_until = time.monotonic() + self.hang_s
            if time.monotonic() < self.hang_until:
                await asyncio.sleep(self.hang_s)
        self.tickets[key] += 1
        if self.after_ticket is not None:
            self.after_ticket(key)
        return JSONResponse({"id": f"T-{key[:8]}"}, status_code=201)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self.receive, methods=["POST"])])


@dataclass
class Rapport:
    """Rapport as processes: one sentiment, and `replicas` routers and handoffs racing."""

    env: dict[str, str]
    replicas: int
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    def names(self) -> list[str]:
        return ["sentiment"] + [
            f"{s}-{i}" for s in ("router", "handoff") for i in range(self.replicas)
        ]

    def start(self, name: str) -> None:
        service = name.split("-")[0]
        self.ports.setdefault(name, free_port())
        env = {
            **self.env,
            "RAPPORT_PORT": str(self.ports[name]),
            "RAPPORT_CONSUMER_NAME": f"{name}-{time.monotonic_ns()}",
        }
        self.procs[name] = subprocess.Popen([sys.executable, "-m", f"rapport_{service}"], env=env)

    def wait_ready(self, name: str, timeout: float = 30) -> None:
        url = f"http://127.0.0.1:{self.ports[name]}/readyz"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.procs[name].poll() is not None:
                raise AssertionError(f"{name} exited with {self.procs[name].returncode}")
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{name} not ready within {timeout} s")

    def start_all(self) -> None:
        for name in self.names():
            self.start(name)
        for name in self.names():
            self.wait_ready(name)

    def kill_and_restart(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(timeout=10)
        self.start(name)

    @property
    def edge(self) -> str:
        return f"http://127.0.0.1:{self.ports['handoff-0']}"

    def health(self) -> dict[str, str]:
        """Each process: exited (its code) or its /healthz answer, for a failure message."""
        out = {}
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                out[name] = f"exited {proc.returncode}"
                continue
            try:
                reply = httpx.get(f"http://127.0.0.1:{self.ports[name]}/healthz", timeout=2)
                out[name] = f"{reply.status_code} {reply.text[:200]}"
            except httpx.HTTPError as exc:
                out[name] = f"no answer ({exc})"
        return out

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def helpdesk() -> Iterator[tuple[Helpdesk, str]]:
    desk = Helpdesk()
    with http_server(desk.app()) as base:
        yield desk, base


def sites_file(tmp_path: Path, base: str) -> Path:
    policy = human_request_policy("chaos", handoff_failure={"message": HONEST})
    return webhook_sites_file(
        tmp_path / "sites.yaml",
        f"{base}/hook",
        site_secret_env="CHAOS_SECRET",
        hook_secret_env="CHAOS_HANDOFF_SECRET",
        policy=policy,
        attempts=3,
        timeout_s=2,
    )


def make_rapport(redis: dict[str, str], prefix: str, sites: Path, replicas: int) -> Rapport:
    """``redis``: REDIS_URL and, on a cluster, RAPPORT_PARTITIONS (``Backend.env``)."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if k not in ("RAPPORT_PARTITIONS", "RAPPORT_CONSUMER_PARTITIONS")
    }
    env = {
        **inherited,
        **redis,
        "RAPPORT_PREFIX": prefix,
        "RAPPORT_CONFIG": str(sites),
        "CHAOS_SECRET": "demo-secret",
        "CHAOS_HANDOFF_SECRET": "handoff-secret-0123456789",
        "RAPPORT_POLL_MS": "20",
        "RAPPORT_RECLAIM_IDLE_MS": "1500",
        "RAPPORT_RECLAIM_POLL_MS": "200",
        "RAPPORT_MAX_DELIVERIES": "8",
        "RAPPORT_HANDOFF_CONFIRM_S": "20",
        "RAPPORT_GRACEFUL_TIMEOUT_S": "2",
        "RAPPORT_LOG_LEVEL": "ERROR",
        "RAPPORT_ADMIN_TOKEN": "chaos-admin-token-0123",
    }
    return Rapport(env, replicas)


def on_cluster(backend: Backend, standalone: int, cluster: int) -> int:
    """The message count of a row: fewer on the cluster where the row is long (see the module
    docstring: run time, not a weaker check)."""
    return cluster if backend.is_cluster else standalone


def conversations(total_messages: int) -> list[tuple[str, str, str]]:
    """(conversation, message id, text): three turns each; one conversation in five asks for
    a person on its second turn."""
    out = []
    for c in range(total_messages // 3):
        asks = c % 5 == 0
        for turn in range(3):
            text = ASKS if asks and turn == 1 else f"turn {turn}: where is my parcel {c}?"
            out.append((f"c{c}", f"c{c}-m{turn}", text))
    return out


async def post_all(edge: str, items: list[tuple[str, str, str]]) -> list[str]:
    accepted: list[str] = []
    async with httpx.AsyncClient(base_url=edge, timeout=10) as http:
        sem = asyncio.Semaphore(16)

        async def one(conversation: str, message_id: str, text: str) -> None:
            raw, headers = signed(message(conversation, message_id, text))
            for _ in range(50):  # the edge may be restarting: a sender retries
                try:
                    async with sem:
                        reply = await http.post(
                            "/v1/sites/demo/messages", content=raw, headers=headers
                        )
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
                    continue
                if reply.status_code == 202:
                    accepted.append(message_id)
                    return
                await asyncio.sleep(0.2)
            raise AssertionError(f"{message_id} never accepted")

        # Turns of one conversation in order, conversations concurrently.
        by_conversation: dict[str, list[tuple[str, str, str]]] = {}
        for item in items:
            by_conversation.setdefault(item[0], []).append(item)

        async def conversation(turns: list[tuple[str, str, str]]) -> None:
            for turn in turns:
                await one(*turn)

        await asyncio.gather(*(conversation(t) for t in by_conversation.values()))
    return accepted


def events(r: redis_sync.Redis, stream: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    last = "-"
    while True:
        batch: Any = r.xrange(stream, min=last, count=5000)
        if last != "-":
            batch = batch[1:]
        if not batch:
            return out
        out += [entry_dict(stream, f[b"__data__"]) for _, f in batch]
        last = batch[-1][0].decode()


def check_outcomes(b: Backend, prefix: str, accepted: list[str], desk: Helpdesk) -> None:
    decisions = [d for d in b.events(prefix, "decisions") if not d["shadow"]]
    per_message = Counter(d["message_id"] for d in decisions if not d["message_id"].startswith("h"))
    assert set(per_message) == set(accepted), "every accepted message is decided"
    assert [m for m, n in per_message.items() if n != 1] == [], "exactly one decision each"

    packets = b.events(prefix, "escalations")
    results = b.events(prefix, "handoffs")
    delivered = {x["handoff_id"] for x in results if x["status"] == "delivered"}
    failed = {x["handoff_id"] for x in results if x["status"] == "failed"} - delivered
    resumed = {
        i["conversation_id"]
        for i in b.events(prefix, "automation")
        if i["action"] == "resume" and i["customer_message"] == HONEST
    }
    for packet in packets:
        hid, conv = packet["handoff_id"], packet["conversation_id"]
        if hid in delivered:
            assert desk.tickets[hid] >= 1, f"{hid} recorded delivered but the helpdesk lacks it"
        else:
            assert hid in failed, f"handoff {hid} neither delivered nor failed"
            assert conv in resumed, f"{conv}: failed handoff not acted on"
    assert set(desk.tickets) <= {p["handoff_id"] for p in packets}

    on_hold = []
    for key in b.scan(prefix, "conv:*:state"):
        state = json.loads(b.client.get(key) or "{}")
        if state.get("owner") == "escalated" and not state.get("handoff_confirmed"):
            on_hold.append(key)
    assert on_hold == [], "customers left on hold with nobody coming"


@pytest.mark.timeout(600)
def test_sigkills_of_every_service_with_two_replicas_racing_and_a_flaky_helpdesk(
    backend: Backend,
    prefix: str,
    tmp_path: Path,
    helpdesk: tuple[Helpdesk, str],
) -> None:
    desk, base = helpdesk
    desk.mode = "flaky"
    rapport = make_rapport(backend.env(), prefix, sites_file(tmp_path, base), replicas=2)
    items = conversations(3000)
    rng = random.Random(11)
    try:
        rapport.start_all()

        async def attack() -> None:
            # Kill a random service (never the edge's own handoff-0 mid-request storm: the
            # sender retries anyway) every 0.7-1.5 s while the messages flow.
            victims = [n for n in rapport.names() if n != "handoff-0"]
            for _ in range(8):
                await asyncio.sleep(rng.uniform(0.7, 1.5))
                rapport.kill_and_restart(rng.choice(victims))

        async def run() -> list[str]:
            sending = asyncio.create_task(post_all(rapport.edge, items))
            await attack()
            return await sending

        accepted = asyncio.run(run())
        assert len(accepted) == len(items)
        desk.mode = "healthy"
        for name in rapport.names():
            if rapport.procs[name].poll() is not None:
                rapport.start(name)
        try:
            backend.wait(
                prefix,
                lambda: backend.xlen(prefix, "decisions") >= len(items),
                120,
                f"{len(items)} decisions (have {backend.xlen(prefix, 'decisions')} at the start)",
            )
        except AssertionError as exc:
            raise AssertionError(f"{exc}; processes: {rapport.health()}") from None
        backend.wait_quiescent(prefix, timeout=120)
        # Handoffs waiting on the retry schedule (a 503, a dead owner's lock) are not pending
        # in any group: wait for each escalation's outcome too.
        wait_until(lambda: _settled(backend, prefix), timeout=120)
        check_outcomes(backend, prefix, accepted, desk)
    finally:
        rapport.stop()


@pytest.mark.timeout(300)
def test_a_permanently_refusing_helpdesk_leaves_nobody_on_hold(
    backend: Backend,
    prefix: str,
    tmp_path: Path,
    helpdesk: tuple[Helpdesk, str],
) -> None:
    desk, base = helpdesk
    desk.mode = "refusing"
    rapport = make_rapport(backend.env(), prefix, sites_file(tmp_path, base), replicas=1)
    items = conversations(750)  # 250 conversations, 50 of them ask for a person
    try:
        rapport.start_all()
        accepted = asyncio.run(post_all(rapport.edge, items))
        wait_until(lambda: backend.xlen(prefix, "decisions") >= len(items), timeout=60)
        backend.wait_quiescent(prefix, timeout=60)
        wait_until(lambda: _settled(backend, prefix), timeout=60)
        check_outcomes(backend, prefix, accepted, desk)
        resumes = [i for i in backend.events(prefix, "automation") if i["action"] == "resume"]
        assert len({i["conversation_id"] for i in resumes}) == 50
        notes = backend.events(prefix, "notifications")
        assert len(notes) == 50 and {n["priority"] for n in notes} == {"urgent"}
        assert desk.tickets == Counter()
    finally:
        rapport.stop()


class OwnRedis:
    """A redis-server of this test's own (so it can be killed), on a fixed free port so that
    the services reconnect to the same address after a restart."""

    def __init__(self, tmp: Path, appendonly: bool, appendfsync: str = "everysec") -> None:
        binary = shutil.which("redis-server")
        assert binary, "the Redis chaos test needs a redis-server binary (apt install redis-server)"
        self.binary, self.dir, self.appendonly = binary, tmp, appendonly
        self.appendfsync = appendfsync
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, empty: bool = False) -> None:
        if empty:
            for path in self.dir.glob("*"):
                if path.is_file():
                    path.unlink()
                else:
                    shutil.rmtree(path)
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--dir", str(self.dir), "--appendonly", "yes" if self.appendonly else "no"]
        args += ["--appendfsync", self.appendfsync]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        client = redis_sync.Redis.from_url(self.url)
        wait_until(lambda: _pings(client), timeout=10)
        client.close()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    @property
    def aof(self) -> Path:
        """The AOF file Redis 7 is appending to (multi-part AOF: the newest incr file)."""
        return sorted((self.dir / "appendonlydir").glob("*.incr.aof"))[-1]

    def cut_aof(self, size: int) -> None:
        """What a host crash does to writes not yet fsynced: gone. Redis loads the rest."""
        os.truncate(self.aof, size)


def _pings(client: redis_sync.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis_sync.RedisError:
        return False


NOT_ON_CLUSTER_RESTART = (
    "restarts the deployment's one redis-server: a cluster has no single server to restart, "
    "it fails a master over to its replica (tests/e2e/test_cluster.py)"
)


@pytest.mark.timeout(300)
@pytest.mark.not_on_cluster(reason=NOT_ON_CLUSTER_RESTART)
@pytest.mark.usefixtures("backend")
@pytest.mark.parametrize("appendonly", [True, False], ids=["restart-with-aof", "comes-back-empty"])
def test_redis_killed_and_restarted_the_pipeline_carries_on(
    tmp_path: Path, helpdesk: tuple[Helpdesk, str], appendonly: bool
) -> None:
    """kill -9 of Redis under load, then a restart: with AOF (the compose default) everything
    accepted before the crash is still decided; coming back empty, the services recreate their
    groups (saying so) and everything accepted after the restart is decided. No process dies,
    none stays stuck.

    Standalone only (the ``[cluster]`` item is deselected): the row kills and restarts the
    deployment's one redis-server, with or without its AOF. A cluster has no single server to
    restart; losing a master there means its replica takes over, which is the fail-over row of
    ``tests/e2e/test_cluster.py``. (The test runs its own redis-server, not the backend's.)"""
    _, base = helpdesk
    data = tmp_path / "redis"
    data.mkdir()
    own = OwnRedis(data, appendonly)
    own.start()
    prefix = "chaos"
    rapport = make_rapport({"REDIS_URL": own.url}, prefix, sites_file(tmp_path, base), replicas=1)
    client = redis_sync.Redis.from_url(own.url)
    try:
        rapport.start_all()
        before = asyncio.run(post_all(rapport.edge, conversations(300)))
        wait_until(lambda: client.xlen(f"{prefix}:decisions") >= len(before), timeout=60)
        wait_quiescent(client, prefix)
        own.kill()
        time.sleep(0.5)
        own.start(empty=not appendonly)
        after_items = [(f"x{c}", f"x{m}", t) for c, m, t in conversations(300)]
        after = asyncio.run(post_all(rapport.edge, after_items))
        expected = set(after) | (set(before) if appendonly else set())

        def decided() -> set[str]:
            return {
                d["message_id"] for d in events(client, f"{prefix}:decisions") if not d["shadow"]
            }

        wait_until(lambda: expected <= decided(), timeout=60)
        wait_quiescent(client, prefix)
        per_message = Counter(
            d["message_id"]
            for d in events(client, f"{prefix}:decisions")
            if not d["shadow"] and not d["message_id"].startswith("h")
        )
        assert [m for m, n in per_message.items() if n != 1] == []
        for name in rapport.names():
            assert rapport.procs[name].poll() is None, f"{name} died"
            health = httpx.get(f"http://127.0.0.1:{rapport.ports[name]}/healthz", timeout=5)
            assert health.status_code == 200, (name, health.text)
    finally:
        rapport.stop()
        client.close()
        if own.proc is not None and own.proc.poll() is None:
            own.kill()


def _restart_when_dead(rapport: Rapport, names: list[str], stop: asyncio.Event) -> Any:
    async def loop() -> None:
        while not stop.is_set():
            for name in names:
                if rapport.procs[name].poll() is not None:
                    rapport.start(name)
            await asyncio.sleep(0.1)

    return loop()


def _settled(b: Backend, prefix: str) -> bool:
    """Every escalation has an outcome and nothing waits on any partition's retry schedule."""
    packets = {p["handoff_id"] for p in b.events(prefix, "escalations")}
    ended = {x["handoff_id"] for x in b.events(prefix, "handoffs")}
    return packets <= ended and b.zcard(prefix, "handoff:retry") == 0


@pytest.mark.timeout(300)
def test_a_handoff_killed_right_after_the_helpdesks_200_is_reposted_soon_and_never_parked(
    backend: Backend,
    prefix: str,
    tmp_path: Path,
    helpdesk: tuple[Helpdesk, str],
) -> None:
    """The helpdesk creates the ticket, then the handoff process is SIGKILLed before the 200
    reaches it, three times. Each such handoff is posted again with the same Idempotency-Key
    within about one lock lease (not after the delivery deadline), ends delivered, and none is
    dead-lettered while its lock waits."""
    desk, base = helpdesk
    rapport = make_rapport(backend.env(), prefix, sites_file(tmp_path, base), replicas=1)
    killed: list[str] = []
    kills: list[float] = []  # when each SIGKILL was sent

    def kill_the_caller(key: str) -> None:
        # On a key's first POST only: a repeat of a call an earlier kill cut is not a new one.
        if len(killed) < 3 and len(desk.posted[key]) == 1:
            killed.append(key)
            kills.append(time.monotonic())
            rapport.procs["handoff-0"].send_signal(signal.SIGKILL)

    desk.after_ticket = kill_the_caller
    items = conversations(600)  # 200 conversations, 40 ask for a person
    try:
        rapport.start_all()

        async def run() -> list[str]:
            stop = asyncio.Event()
            restarting = asyncio.create_task(_restart_when_dead(rapport, ["handoff-0"], stop))
            accepted = await post_all(rapport.edge, items)
            await asyncio.to_thread(
                wait_until,
                lambda: len(killed) == 3 and _settled(backend, prefix),
                150,
            )
            stop.set()
            await restarting
            return accepted

        accepted = asyncio.run(asyncio.wait_for(run(), timeout=200))
        backend.wait_quiescent(prefix, timeout=60)
        check_outcomes(backend, prefix, accepted, desk)
        results = backend.events(prefix, "handoffs")
        assert {x["status"] for x in results} == {"delivered"}
        assert backend.xlen(prefix, "dlq") == 0
        assert len(killed) == 3
        for key in killed:
            first, again, *_ = desk.posted[key]
            assert again - first < 30, f"{key} re-posted {again - first:.0f} s after the kill"
        # Only calls cut by a kill are repeated, each with its own key (the helpdesk dedupes). A
        # kill also cuts the other calls in flight at that moment (with P = 4 the process has
        # one reader per partition, so several), and a call repeated after one kill may be cut
        # by the next: a key may be posted once more per kill around its POSTs, and never more.
        # "Around": the helpdesk runs in this process and, on a loaded machine, may handle a
        # request it had already received seconds after its sender was killed (the time kept
        # is when the handler ran), hence the kills up to LAG before the first POST count.
        lag = 5.0
        for key, times in desk.posted.items():
            cuts = sum(1 for k in kills if times[0] - lag <= k <= times[-1])
            assert len(times) - 1 <= cuts, f"{key}: {len(times)} POSTs, {cuts} kills between"
    finally:
        rapport.stop()


@pytest.mark.timeout(300)
def test_a_helpdesk_hanging_for_5_s_gets_each_handoff_under_one_key_and_all_end_delivered(
    backend: Backend,
    prefix: str,
    tmp_path: Path,
    helpdesk: tuple[Helpdesk, str],
) -> None:
    """For 5 s every call hangs (and the helpdesk still creates the ticket once it wakes). The
    handoff gives up on each call at the adapter's timeout and posts again later with the same
    Idempotency-Key: a receiver that dedupes on it has one ticket per escalation, and every
    escalation ends delivered, none failed, nobody left on hold."""
    desk, base = helpdesk
    desk.mode = "hanging"
    rapport = make_rapport(backend.env(), prefix, sites_file(tmp_path, base), replicas=1)
    items = conversations(300)  # 100 conversations, 20 ask for a person
    try:
        rapport.start_all()
        accepted = asyncio.run(post_all(rapport.edge, items))
        wait_until(lambda: _settled(backend, prefix), timeout=120)
        backend.wait_quiescent(prefix, timeout=60)
        check_outcomes(backend, prefix, accepted, desk)
        packets = {p["handoff_id"] for p in backend.events(prefix, "escalations")}
        results = backend.events(prefix, "handoffs")
        assert {x["status"] for x in results} == {"delivered"}
        assert set(desk.tickets) == packets  # one ticket per key at a deduping receiver
        assert desk.hang_until is not None
        assert any(len(times) > 1 for times in desk.posted.values()), "the hang was exercised"
    finally:
        rapport.stop()


@pytest.mark.timeout(300)
@pytest.mark.not_on_cluster(reason="cuts and reloads the AOF of the deployment's one Redis")
@pytest.mark.usefixtures("backend")
def test_a_host_crash_cutting_the_last_second_of_aof_loses_no_accepted_message(
    tmp_path: Path, helpdesk: tuple[Helpdesk, str]
) -> None:
    """A host crash with ``appendfsync everysec`` emulated: Redis is SIGKILLed and its AOF cut
    back to what it held before the last burst of messages, all answered 202. The edge (on
    another host, still alive) notices the restart and appends the lost messages again: every
    accepted message ends with exactly one decision.

    Standalone only (the ``[cluster]`` item is deselected): the row restarts the one
    redis-server from a cut AOF. On a cluster the same loss (writes a master acknowledged but
    had not passed on) happens when a replica is promoted, and the edge's acceptance watch
    compares every master's run_id to catch it: the fail-over row of
    ``tests/e2e/test_cluster.py``. (The test runs its own redis-server, not the backend's.)"""
    _, base = helpdesk
    data = tmp_path / "redis"
    data.mkdir()
    own = OwnRedis(data, appendonly=True, appendfsync="everysec")
    own.start()
    prefix = "chaos"
    rapport = make_rapport({"REDIS_URL": own.url}, prefix, sites_file(tmp_path, base), replicas=1)
    client = redis_sync.Redis.from_url(own.url)
    try:
        rapport.start_all()
        before = asyncio.run(post_all(rapport.edge, conversations(450)))
        wait_until(lambda: client.xlen(f"{prefix}:decisions") >= len(before), timeout=60)
        wait_quiescent(client, prefix)
        cut_at = own.aof.stat().st_size
        burst_items = [(f"b{c}", f"b{m}", t) for c, m, t in conversations(150)]
        burst = asyncio.run(post_all(rapport.edge, burst_items))
        own.kill()
        own.cut_aof(cut_at)
        own.start()
        expected = set(before) | set(burst)

        def decided() -> Counter[str]:
            return Counter(
                d["message_id"]
                for d in events(client, f"{prefix}:decisions")
                if not d["shadow"] and not d["message_id"].startswith("h")
            )

        wait_until(lambda: expected <= set(decided()), timeout=60)
        wait_quiescent(client, prefix)
        per_message = decided()
        assert set(per_message) == expected
        assert [m for m, n in per_message.items() if n != 1] == []
        for name in rapport.names():
            assert rapport.procs[name].poll() is None, f"{name} died"
    finally:
        rapport.stop()
        client.close()
        if own.proc is not None and own.proc.poll() is None:
            own.kill()


@pytest.mark.timeout(300)
def test_a_rate_limiting_helpdesk_is_waited_for_as_it_asks_and_every_handoff_lands(
    backend: Backend,
    prefix: str,
    tmp_path: Path,
    helpdesk: tuple[Helpdesk, str],
) -> None:
    """The helpdesk takes 4 calls a second and answers the rest 429 with Retry-After: 1. No
    handoff is posted again before the second it was asked to wait, none fails, nobody is left
    on hold."""
    desk, base = helpdesk
    desk.mode = "rate_limited"
    rapport = make_rapport(backend.env(), prefix, sites_file(tmp_path, base), replicas=1)
    # 200 conversations, 40 ask for a person; on the cluster 100 and 20: the row's time is
    # the helpdesk's 4 calls a second, and 20 handoffs still hit the limit many times.
    items = conversations(on_cluster(backend, 600, 300))
    try:
        rapport.start_all()
        accepted = asyncio.run(post_all(rapport.edge, items))
        wait_until(lambda: _settled(backend, prefix), timeout=150)
        backend.wait_quiescent(prefix, timeout=60)
        check_outcomes(backend, prefix, accepted, desk)
        results = backend.events(prefix, "handoffs")
        assert {x["status"] for x in results} == {"delivered"}
        assert desk.limited, "the rate limit was exercised"
        for key, refusals in desk.limited.items():
            for refused_at in refusals:
                later = [t for t in desk.posted[key] if t > refused_at]
                assert later, f"{key} never posted again after its 429"
                assert later[0] - refused_at >= 0.9, f"{key} retried before Retry-After"
    finally:
        rapport.stop()
