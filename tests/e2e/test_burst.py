"""A burst at three times the rate Rapport sustains, over real HTTP into the three services as
real processes: every message is either accepted (202) and decided exactly once, or refused
with 429. None is lost, none is refused as unavailable (503), no connection fails.

The sustainable rate is measured first, in the same test (closed loop, end to end: accepted
and decided), because this machine's speed varies threefold with its load; the burst is then
offered open loop at three times that rate for a few seconds, and the test waits until every
consumer group has read and acked everything before counting.

On a single Redis and on a local 3-master cluster with four partitions (``backend``,
``tests/redis_backends.py``): on the cluster the edge writes each message to its
conversation's partition, and a partition's master that is slow to answer must still
end in 202 or 429, never 503."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from rapport_tools.bench import _Http, _signed
from tests.e2e.conftest import Pipeline, running_pipeline
from tests.redis_backends import Backend

pytestmark = [pytest.mark.e2e, pytest.mark.chaos, pytest.mark.timeout(300)]

SECRET = b"demo-secret"
PATH = "/v1/sites/demo/messages"
TEXTS = (
    "Hi, I was charged twice for my order and nobody has replied.",
    "How do I change the email address on my account?",
    "Thanks so much, that fixed it!",
    "Tracking hasn't updated since Monday, where is my parcel?",
    "This is the third time I'm asking and I'm getting really annoyed.",
)
CALIBRATE_S = 3.0
BURST_S = 4.0
BURST_FACTOR = 3.0
# Under the edge's default RAPPORT_HTTP_MAX_CONNECTIONS (1,000), so the burst meets the edge's
# own in-flight and backlog caps rather than only the connection cap.
MAX_CONNECTIONS = 256


@pytest.fixture(params=["defaults", "tight"])
def burst_pipeline(
    request: pytest.FixtureRequest, backend: Backend, prefix: str
) -> Iterator[tuple[str, Pipeline]]:
    """The services with the default limits, or with tight ones (a small in-flight cap and
    backlog) so that the burst certainly meets the 429 path."""
    extra = {"RAPPORT_DEMO_SECRET": SECRET.decode()}
    if request.param == "tight":
        extra |= {"RAPPORT_EDGE_MAX_INFLIGHT": "8", "RAPPORT_EDGE_MAX_BACKLOG": "100"}
    for p in running_pipeline(backend.env(), prefix, extra):
        yield request.param, p


class Sender:
    """Signed messages over keep-alive connections; every answer's status recorded by id."""

    def __init__(self, port: int, tag: str) -> None:
        self.port, self.tag = port, tag
        self.status: dict[str, str] = {}
        self.n = 0

    async def one(self, client: _Http) -> None:
        i, self.n = self.n, self.n + 1
        message_id = f"{self.tag}-m{i}"
        body, headers = _signed(SECRET, f"{self.tag}-c{i % 300}", message_id, TEXTS[i % 5])
        try:
            self.status[message_id] = str(await client.post(PATH, body, headers))
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            self.status[message_id] = f"error {type(exc).__name__} {getattr(exc, 'errno', None)}"

    async def closed_loop(self, seconds: float, senders: int) -> None:
        deadline = time.monotonic() + seconds

        async def loop() -> None:
            client = _Http("127.0.0.1", self.port)
            while time.monotonic() < deadline:
                await self.one(client)
            client.close()

        await asyncio.gather(*(loop() for _ in range(senders)))

    async def open_loop(self, rate: float, seconds: float) -> None:
        """Requests started on schedule whatever the answers; each waits for one of at most
        ``MAX_CONNECTIONS`` connections, as a helpdesk's sender pool does. Unbounded, the
        generator opened ~23,000 connections in 4 s (every 429 beyond the edge's connection
        cap closes its connection) and ran this machine out of local ports: its own OSErrors
        then failed the test, and a port it held could not be listened on by the next test."""
        idle: list[_Http] = []
        free = asyncio.Semaphore(MAX_CONNECTIONS)
        tasks: set[asyncio.Task[None]] = set()

        async def fire() -> None:
            async with free:
                client = idle.pop() if idle else _Http("127.0.0.1", self.port)
                await self.one(client)
                idle.append(client)

        started, scheduled = time.monotonic(), 0
        while (now := time.monotonic()) < started + seconds:
            while scheduled < int((now - started) * rate) + 1:
                task = asyncio.create_task(fire())
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                scheduled += 1
            await asyncio.sleep(max(0.0, started + scheduled / rate - time.monotonic()))
        if tasks:
            await asyncio.wait(tasks, timeout=60)
        for client in idle:
            client.close()


def decisions_by_message(backend: Backend, prefix: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for decision in backend.events(prefix, "decisions"):
        counts[decision["message_id"]] = counts.get(decision["message_id"], 0) + 1
    return counts


def test_a_burst_at_three_times_the_sustainable_rate_ends_in_202_or_429(
    burst_pipeline: tuple[str, Pipeline], backend: Backend, prefix: str
) -> None:
    mode, p = burst_pipeline
    port = p.ports["handoff"]

    # 1. What Rapport sustains here, now: accepted and decided per second, closed loop.
    calibration = Sender(port, "cal")
    started = time.monotonic()
    asyncio.run(calibration.closed_loop(CALIBRATE_S, senders=8))
    backend.wait(prefix, lambda: backend.quiet(prefix), 120, "the calibration decided")
    sustained = sum(s == "202" for s in calibration.status.values()) / (time.monotonic() - started)
    assert sustained > 5, calibration.status

    # 2. Three times that, open loop, for a few seconds.
    rate = BURST_FACTOR * sustained
    burst = Sender(port, "burst")
    asyncio.run(burst.open_loop(rate, BURST_S))
    backend.wait(prefix, lambda: backend.quiet(prefix), 180, "the burst decided")

    statuses = list(burst.status.values())
    counts = {s: statuses.count(s) for s in set(statuses)}
    offered = len(statuses)
    # The generator shares this machine's two cores with the services: under load it may not
    # reach 3x; the burst still counts if it offered well above what Rapport sustains.
    assert offered >= 1.5 * sustained * BURST_S, (
        f"the load generator offered only {offered / BURST_S:.0f}/s against {sustained:.0f}/s "
        "sustained: not a burst; rerun on a quieter machine"
    )
    # Only 202 or 429: no 503, no connection error, nothing unanswered.
    assert set(counts) <= {"202", "429"}, counts
    decided = decisions_by_message(backend, prefix)
    accepted = [m for m, s in burst.status.items() if s == "202"]
    refused = [m for m, s in burst.status.items() if s == "429"]
    # Accepted: decided exactly once. Refused: never entered Rapport.
    assert [m for m in accepted if decided.get(m) != 1] == []
    assert [m for m in refused if m in decided] == []
    inbound = {m["message_id"] for m in backend.events(prefix, "messages")}
    assert set(accepted) <= inbound
    assert not set(refused) & inbound
    if mode == "tight":
        assert counts.get("429", 0) > 0, counts
    print(
        f"\n[burst {mode}, {backend.name}] sustained {sustained:.0f}/s; "
        f"offered {offered} at {rate:.0f}/s: {counts}"
    )
