"""Each stage against a real Redis: backlog, poison entries, dead consumers, redelivery and
racing replicas."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import redis as redis_sync
from redis.asyncio import Redis
from starlette.testclient import TestClient

from rapport_contracts import (
    Classification,
    ClassifiedMessage,
    DeadLetter,
    HandoffResult,
    Message,
    Signal,
)
from rapport_router.app import create_app as create_router
from rapport_router.stage import HandoffOutcomeStage, RouterStage
from rapport_runtime.config import load_sites
from rapport_runtime.consumer import Entry
from rapport_runtime.redis import ConversationKeys
from rapport_runtime.service import Runtime
from rapport_runtime.settings import RapportSettings
from rapport_sentiment.app import create_app as create_sentiment
from tests.helpers import wait_until

pytestmark = pytest.mark.integration


def msg(i: int, conversation: str = "c1", text: str = "hello", site: str = "demo") -> Message:
    return Message(
        site=site,
        conversation_id=conversation,
        message_id=f"m{i}",
        author="customer",
        text=text,
        sent_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def xadd(r: redis_sync.Redis, stream: str, payload: str) -> str:
    return r.xadd(stream, {"__data__": payload}).decode()


def dead_letters(r: redis_sync.Redis, prefix: str) -> list[DeadLetter]:
    return [DeadLetter.read(f[b"__data__"]) for _, f in r.xrange(f"{prefix}:dlq")]


def pending(r: redis_sync.Redis, stream: str, group: str) -> int:
    return int(r.xpending(stream, group)["pending"])


def test_backlog_published_before_the_first_start_is_processed(
    make_settings: Callable[..., RapportSettings], redis_client: redis_sync.Redis, prefix: str
) -> None:
    for i in range(5):
        xadd(redis_client, f"{prefix}:messages", msg(i).model_dump_json())
    with TestClient(create_sentiment(make_settings())):
        wait_until(lambda: redis_client.xlen(f"{prefix}:classified") == 5)
    assert pending(redis_client, f"{prefix}:messages", "sentiment") == 0


def test_invalid_entry_goes_to_the_dlq_at_once_and_the_rest_flow(
    make_settings: Callable[..., RapportSettings], redis_client: redis_sync.Redis, prefix: str
) -> None:
    with TestClient(create_sentiment(make_settings())):
        bad = xadd(redis_client, f"{prefix}:messages", '{"site": "demo"}')
        xadd(redis_client, f"{prefix}:messages", msg(1).model_dump_json())
        wait_until(lambda: redis_client.xlen(f"{prefix}:classified") == 1)
        letters = wait_until(lambda: dead_letters(redis_client, prefix))
    assert letters[0].entry_id == bad
    assert "invalid event" in letters[0].reason and "conversation_id" in letters[0].reason
    assert pending(redis_client, f"{prefix}:messages", "sentiment") == 0


def test_entry_left_pending_by_a_dead_consumer_is_reclaimed(
    make_settings: Callable[..., RapportSettings], redis_client: redis_sync.Redis, prefix: str
) -> None:
    stream = f"{prefix}:messages"
    redis_client.xgroup_create(stream, "sentiment", id="0", mkstream=True)
    xadd(redis_client, stream, msg(1).model_dump_json())
    redis_client.xreadgroup("sentiment", "died-mid-batch", {stream: ">"}, count=10)
    assert pending(redis_client, stream, "sentiment") == 1
    with TestClient(create_sentiment(make_settings(reclaim_idle_ms=200))):
        wait_until(lambda: redis_client.xlen(f"{prefix}:classified") == 1)
        wait_until(lambda: pending(redis_client, stream, "sentiment") == 0)


def test_an_entry_that_keeps_failing_is_dead_lettered_with_its_error(
    make_settings: Callable[..., RapportSettings], redis_client: redis_sync.Redis, prefix: str
) -> None:
    stream = f"{prefix}:classified"
    orphan = ClassifiedMessage(
        message=msg(1, site="ghost"),
        classification=Classification(
            sentiment="neutral",
            sentiment_score=0,
            frustration=0,
            complexity=0,
            complexity_level="low",
            classifier_version="t",
        ),
    )
    settings = make_settings(reclaim_idle_ms=100, max_deliveries=2)
    with TestClient(create_router(settings)):
        entry = xadd(redis_client, stream, orphan.model_dump_json())
        letters = wait_until(lambda: dead_letters(redis_client, prefix), timeout=15)
    assert letters[0].entry_id == entry
    assert letters[0].deliveries == 3
    assert "LookupError" in letters[0].reason and "ghost" in letters[0].reason
    assert pending(redis_client, stream, "router") == 0


def test_a_duplicated_entry_has_no_second_effect(
    make_settings: Callable[..., RapportSettings], redis_client: redis_sync.Redis, prefix: str
) -> None:
    payload = msg(1).model_dump_json()
    xadd(redis_client, f"{prefix}:messages", payload)
    xadd(redis_client, f"{prefix}:messages", payload)  # as if a publisher crashed before its ack
    with TestClient(create_sentiment(make_settings())):
        wait_until(
            lambda: (
                pending(redis_client, f"{prefix}:messages", "sentiment") == 0
                and redis_client.xinfo_groups(f"{prefix}:messages")[0]["lag"] == 0
            )
        )
    assert redis_client.xlen(f"{prefix}:classified") == 1


def classified_asking_for_a_person(i: int, conversation: str) -> ClassifiedMessage:
    return ClassifiedMessage(
        message=msg(i, conversation, "I want to talk to a real person"),
        classification=Classification(
            sentiment="negative",
            sentiment_score=-0.5,
            frustration=0.5,
            complexity=0.2,
            complexity_level="low",
            classifier_version="t",
            signals=(Signal(name="human_request", score=0.95, evidence="a real person"),),
        ),
    )


async def test_racing_router_replicas_escalate_each_conversation_once(
    make_settings: Callable[..., RapportSettings], redis_url: str, prefix: str
) -> None:
    settings = make_settings()
    sites = load_sites(settings)
    clients = [Redis.from_url(redis_url) for _ in range(2)]
    try:
        routers = [RouterStage(settings, Runtime(settings, c), sites) for c in clients]
        await clients[0].xgroup_create(f"{prefix}:classified", "router", id="0", mkstream=True)
        conversations = [f"race{n}" for n in range(30)]
        ids = {}
        for conversation in conversations:
            for i in range(2):
                event = classified_asking_for_a_person(i, conversation)
                entry_id = await clients[0].xadd(
                    f"{prefix}:classified", {"__data__": event.model_dump_json()}
                )
                ids[(conversation, i)] = Entry(entry_id.decode(), event)
        # Replica A gets each conversation's first message, replica B its second, at once.
        await asyncio.gather(
            *(routers[i].process([ids[(c, i)]]) for c in conversations for i in range(2))
        )
        packets = await clients[0].xrange(f"{prefix}:escalations")
        per_conversation: dict[str, int] = {}
        for _, fields in packets:
            cid = json.loads(fields[b"__data__"])["conversation_id"]
            per_conversation[cid] = per_conversation.get(cid, 0) + 1
        assert per_conversation == dict.fromkeys(conversations, 1)
        decisions = await clients[0].xlen(f"{prefix}:decisions")
        assert decisions == 2 * len(conversations)
    finally:
        for c in clients:
            await c.aclose()
        cleanup = Redis.from_url(redis_url)
        keys: list[Any] = [k async for k in cleanup.scan_iter(match=f"{prefix}:*")]
        if keys:
            await cleanup.delete(*keys)
        await cleanup.aclose()


async def test_handoff_results_wait_for_the_batch_of_their_conversations_in_the_same_process(
    make_settings: Callable[..., RapportSettings],
    redis_url: str,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The router's message batches and its handoff results (one process, one partition) take
    turns on the conversations' states: a result arriving while a batch of the same
    conversations is between its WATCH and its EXEC waits for it, instead of aborting it (on
    stream ingest, results for the batch's conversations kept aborting batches of 100 through
    all their attempts)."""
    settings = make_settings()
    sites = load_sites(settings)
    client = Redis.from_url(redis_url)
    try:
        router = RouterStage(settings, Runtime(settings, client), sites)
        outcomes = HandoffOutcomeStage(router)
        conversations = [f"turns{n}" for n in range(20)]
        await router.process(
            [
                Entry(f"1-{n}", classified_asking_for_a_person(0, c))
                for n, c in enumerate(conversations)
            ]
        )
        results = []
        for n, c in enumerate(conversations):
            state = json.loads(await client.get(ConversationKeys(prefix, "demo", c).state) or "{}")
            result = HandoffResult(
                handoff_id=state["handoff_id"], site="demo", conversation_id=c,
                adapter="fake", status="delivered", attempts=1,
            )  # fmt: skip
            results.append(Entry(f"2-{n}", result))
        attempts = 0
        decide_once = router._process_once
        build_packets = router.build_packets

        async def counted(entries: Any) -> None:
            nonlocal attempts
            attempts += 1
            await decide_once(entries)

        async def slow_packets(wanted: Any, read_already: Any = None) -> None:
            await asyncio.sleep(0.05)  # the batch is watching its states now
            await build_packets(wanted, read_already)

        monkeypatch.setattr(router, "_process_once", counted)
        monkeypatch.setattr(router, "build_packets", slow_packets)
        second = [
            Entry(f"3-{n}", classified_asking_for_a_person(1, c))
            for n, c in enumerate(conversations)
        ]
        await asyncio.gather(router.process(second), *(outcomes.process([r]) for r in results))
        assert attempts == 1  # never aborted by a result of its own process
        assert await client.xlen(f"{prefix}:decisions") == 2 * len(conversations)
        for c in conversations:
            state = json.loads(await client.get(ConversationKeys(prefix, "demo", c).state) or "{}")
            assert state["handoff_confirmed"] is True  # every result applied too
    finally:
        await client.aclose()
        cleanup = Redis.from_url(redis_url)
        keys: list[Any] = [k async for k in cleanup.scan_iter(match=f"{prefix}:*")]
        if keys:
            await cleanup.delete(*keys)
        await cleanup.aclose()


def test_dead_letters_can_be_listed_and_replayed(
    make_settings: Callable[..., RapportSettings],
    redis_client: redis_sync.Redis,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from rapport_tools.cli import app

    settings = make_settings()
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    monkeypatch.setenv("RAPPORT_PREFIX", prefix)
    with TestClient(create_sentiment(settings)):
        xadd(redis_client, f"{prefix}:messages", '{"site": "demo"}')
        wait_until(lambda: dead_letters(redis_client, prefix))
    runner = CliRunner()
    listed = runner.invoke(app, ["dlq", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    [letter] = json.loads(listed.output)["entries"]
    assert letter["stream"] == f"{prefix}:messages" and "invalid event" in letter["reason"]
    before = redis_client.xlen(f"{prefix}:messages")
    replayed = runner.invoke(app, ["dlq", "replay", letter["id"], "0-1"])
    assert replayed.exit_code == 1  # one of the two ids is unknown, and it says so
    assert f"{letter['id']}: replayed" in replayed.output and "0-1: not found" in replayed.output
    assert redis_client.xlen(f"{prefix}:messages") == before + 1
    assert redis_client.xlen(f"{prefix}:dlq") == 0


def test_a_lost_consumer_group_is_recreated_loudly_and_work_goes_on(
    make_settings: Any, redis_client: redis_sync.Redis, prefix: str, caplog: Any
) -> None:
    """Redis lost the group (a restart without persistence, an XGROUP DESTROY): the stage must
    not stop for good while the process looks healthy; it recreates the group, says what may
    be lost, and processes what comes next."""
    settings = make_settings()
    with TestClient(create_sentiment(settings)) as client:
        stream = settings.streams.messages
        redis_client.xgroup_destroy(stream, "sentiment")
        xadd(redis_client, stream, msg(1).model_dump_json())
        wait_until(lambda: redis_client.xlen(settings.streams.classified) == 1, 20)
        assert client.get("/healthz").status_code == 200
    lost = [r for r in caplog.records if "is missing" in r.getMessage()]
    assert lost and lost[0].levelno >= 40 and "lost" in lost[0].getMessage()


def test_healthz_fails_when_a_stage_loop_dies_so_the_orchestrator_restarts_it(
    make_settings: Any, redis_client: redis_sync.Redis, prefix: str
) -> None:
    settings = make_settings()
    with TestClient(create_sentiment(settings)) as client:
        assert client.get("/healthz").status_code == 200
        stream = settings.streams.messages
        redis_client.delete(stream)
        redis_client.set(stream, "not a stream")  # every read now fails with WRONGTYPE
        answer = wait_until(lambda: (r := client.get("/healthz")).status_code == 503 and r, 20)
        assert any("has stopped" in p for p in answer.json()["problems"])
        assert client.get("/readyz").status_code == 503
        redis_client.delete(stream)


async def test_a_burst_larger_than_the_connection_pool_waits_instead_of_failing(
    make_settings: Callable[..., RapportSettings], redis_client: redis_sync.Redis, prefix: str
) -> None:
    """Today's burst failure: redis-py's default pool raised MaxConnectionsError at its cap and
    the edge answered 503 "Redis is unreachable" with Redis healthy. With a pool of 2 and 200
    concurrent signed requests, every one must be accepted."""
    import httpx

    from rapport_handoff.app import create_app as create_handoff
    from tests.helpers import message, signed

    # The edge's own in-flight cap (429 beyond it) is not what this test is about.
    settings = make_settings(redis_pool_size=2, edge_max_inflight=200)
    app = create_handoff(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://edge") as http:

            async def one(i: int) -> int:
                raw, headers = signed(message(f"b{i % 20}", f"b-m{i}", "where is my order?"))
                reply = await http.post("/v1/sites/demo/messages", content=raw, headers=headers)
                return reply.status_code

            codes = await asyncio.gather(*(one(i) for i in range(200)))
    assert sorted(set(codes)) == [202]
    assert redis_client.xlen(f"{prefix}:messages") == 200


async def test_dead_consumer_names_are_removed_but_not_those_with_pending_entries(
    make_settings: Callable[..., RapportSettings], redis_client: redis_sync.Redis, prefix: str
) -> None:
    from rapport_runtime.consumer import StageRunner
    from rapport_sentiment.app import SentimentStage

    settings = make_settings()
    stream = settings.streams.messages
    redis_client.xgroup_create(stream, "sentiment", id="0", mkstream=True)
    xadd(redis_client, stream, msg(1).model_dump_json())
    redis_client.xreadgroup("sentiment", "gone-with-pending", {stream: ">"}, count=1)
    redis_client.xgroup_createconsumer(stream, "sentiment", "gone-idle")
    client = Redis.from_url(settings.redis_url)
    try:
        runner = StageRunner(SentimentStage(settings, Runtime(settings, client)), settings)
        await asyncio.sleep(0.05)
        removed = await runner.remove_dead_consumers(idle_ms=10)
        assert removed == ["gone-idle"]
        names = {c["name"].decode() for c in redis_client.xinfo_consumers(stream, "sentiment")}
        assert names == {"gone-with-pending"}
    finally:
        await client.aclose()


async def test_a_read_that_never_answers_is_abandoned_and_the_loop_reads_on(
    make_settings: Callable[..., RapportSettings],
    redis_client: redis_sync.Redis,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A blocking read held by Redis (CLIENT PAUSE stands in for a connection that stopped
    answering) is abandoned after its block time plus the stall limit, said at ERROR, and the
    loop goes on reading: the message sent meanwhile is classified once Redis answers."""
    from rapport_runtime import consumer
    from rapport_sentiment.app import SentimentStage

    monkeypatch.setattr(consumer, "READ_STALL_S", 0.3)
    settings = make_settings()
    stream = settings.streams.messages
    redis_client.xgroup_create(stream, "sentiment", id="0", mkstream=True)
    client = Redis.from_url(settings.redis_url)
    runner = consumer.StageRunner(SentimentStage(settings, Runtime(settings, client)), settings)
    try:
        await runner.start()
        await asyncio.sleep(0.1)
        redis_client.client_pause(1500, all=True)
        await asyncio.sleep(1.0)
        assert any("had no answer after" in r.getMessage() for r in caplog.records), caplog.text
        assert runner.running  # the loop read again, it did not die
        xadd(redis_client, stream, msg(1).model_dump_json())  # waits out the pause itself
        await asyncio.to_thread(
            wait_until, lambda: redis_client.xlen(settings.streams.classified) == 1, 10
        )
    finally:
        await runner.stop(2.0)
        await client.aclose()


class _LosesCancellation(Redis):
    """A client whose XCLAIM loses a cancellation that lands while it waits for its reply, as
    redis-py 8.1 does now and then (redis-py issues 2028, 2551): it returns as if answered."""

    async def xclaim(self, *args: Any, **kwargs: Any) -> Any:
        try:
            await asyncio.sleep(0.2)  # a slow reply: most of the keeper's time is spent here
        except asyncio.CancelledError:
            return []
        return await super().xclaim(*args, **kwargs)


async def test_a_batch_ends_although_redis_py_loses_the_keepers_cancellation(
    make_settings: Callable[..., RapportSettings],
    redis_client: redis_sync.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The keeper that holds a slow batch's entries (XCLAIM every reclaim_idle_ms / 3) is
    stopped without relying on cancellation: with a client that loses it, the reader still
    finishes each batch and reads the next one. (Before, the finished batch waited for a
    cancelled keeper that slept on, and the partition stopped reading.)"""
    from rapport_runtime import consumer
    from rapport_sentiment.app import SentimentStage

    settings = make_settings(reclaim_idle_ms=60)  # the keeper claims every 20 ms
    stream = settings.streams.messages
    redis_client.xgroup_create(stream, "sentiment", id="0", mkstream=True)
    client = _LosesCancellation.from_url(settings.redis_url)
    stage = SentimentStage(settings, Runtime(settings, client))
    handle = stage.handle_raw

    async def slow(rows: Any) -> Any:
        await asyncio.sleep(0.3)  # long enough for the keeper to be inside an XCLAIM
        return await handle(rows)

    monkeypatch.setattr(stage, "handle_raw", slow)
    runner = consumer.StageRunner(stage, settings)
    try:
        await runner.start()
        for i in range(1, 6):
            xadd(redis_client, stream, msg(i).model_dump_json())
            await asyncio.to_thread(
                wait_until, lambda i=i: redis_client.xlen(settings.streams.classified) == i, 10
            )
    finally:
        await runner.stop(2.0)
        await client.aclose()
