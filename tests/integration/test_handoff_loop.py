"""The router follows every handoff to its end (issue: never leave a customer on hold). Against
a real Redis: a refused handoff releases the customer to the bot with an honest message and
tells the on-call; a fallback queue is tried first when the policy names one; a handoff nobody
confirms in time counts as failed; a message that arrives after a newer one is never answered."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from rapport_contracts import ClassifiedMessage, HandoffResult, Message
from rapport_contracts.policy import Policy
from rapport_router.stage import HandoffOutcomeStage, RouterStage
from rapport_router.timers import Timer
from rapport_runtime.config import AdapterConfig, Site, Sites
from rapport_runtime.consumer import Entry
from rapport_runtime.service import Runtime
from rapport_runtime.settings import RapportSettings
from tests.helpers import human_request_policy
from tests.integration.test_router import ASK, T0, Harness

pytestmark = [pytest.mark.integration, pytest.mark.chaos]

HONEST = "We could not reach a person; our on-call team will call you within the hour."


def policy(fallback: str | None = None) -> Policy:
    return Policy.model_validate(
        human_request_policy("p", handoff_failure={"fallback_queue": fallback, "message": HONEST})
    )


class Loop(Harness):
    outcomes: HandoffOutcomeStage

    async def result(self, status: str, handoff_id: str | None = None, n: int = 0) -> None:
        state = await self.state()
        event = HandoffResult(
            handoff_id=handoff_id or state["handoff_id"],
            site="demo",
            conversation_id="c1",
            adapter="fake",
            status=status,  # type: ignore[arg-type]
            attempts=1,
            detail="404 Not Found: no such group" if status == "failed" else "",
        )
        await self.outcomes.process([Entry(f"1-{n}", event)])

    async def actions(self) -> list[tuple[str, str | None]]:
        return [(i["action"], i["message_id"]) for i in await self.stream("automation")]


async def make_loop(
    settings: RapportSettings, redis_url: str, prefix: str, fallback: str | None
) -> Loop:
    redis = Redis.from_url(redis_url)
    site = Site("demo", "s", AdapterConfig(), policy(fallback), lambda loc: "")
    runtime = Runtime(settings, redis)
    stage = RouterStage(settings, runtime, Sites({"demo": site}, "test"))
    loop = Loop(stage, redis, prefix)
    loop.outcomes = HandoffOutcomeStage(stage)
    return loop


@pytest.fixture
async def loop(
    make_settings: Callable[..., RapportSettings], redis_url: str, prefix: str
) -> AsyncIterator[Loop]:
    result = await make_loop(make_settings(), redis_url, prefix, None)
    yield result
    await _cleanup(result.redis, prefix)


async def _cleanup(redis: Redis, prefix: str) -> None:
    keys = [k async for k in redis.scan_iter(match=f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def test_a_refused_handoff_releases_the_customer_honestly_and_tells_the_on_call(
    loop: Loop,
) -> None:
    await loop.send("customer", "I want a real person", signals=(ASK,))
    assert (await loop.state())["owner"] == "escalated"
    await loop.result("failed")

    state = await loop.state()
    assert state["owner"] == "bot"
    instructions = await loop.stream("automation")
    assert [i["action"] for i in instructions] == ["hold", "resume"]
    assert instructions[-1]["customer_message"] == HONEST
    [note] = await loop.stream("notifications")
    assert note["priority"] == "urgent" and note["targets"] == ["on-call"]
    assert "404 Not Found" in note["reason"]
    failed = [
        d for d in await loop.stream("decisions") if d["reasons"][0]["rule"] == "handoff-failed"
    ]
    assert len(failed) == 1 and failed[0]["route"] == "automation"

    # Asking again is never answered with silence: it is a new escalation, not "a person owns it".
    await loop.send("customer", "I want a person NOW", signals=(ASK,), minutes=1)
    last = next(d for d in await loop.stream("decisions") if d["message_id"] == "m2")
    assert last["route"] == "human" and last["reasons"][0]["rule"] == "explicit-human-request"
    assert (await loop.state())["owner"] == "escalated"
    assert len(await loop.stream("escalations")) == 2


async def test_a_duplicated_failure_result_acts_once(loop: Loop) -> None:
    await loop.send("customer", "a person please", signals=(ASK,))
    handoff_id = (await loop.state())["handoff_id"]
    await loop.result("failed", handoff_id, 1)
    await loop.result("failed", handoff_id, 2)
    assert [a for a, _ in await loop.actions()] == ["hold", "resume"]
    assert len(await loop.stream("notifications")) == 1


async def test_a_delivered_handoff_is_confirmed_and_its_deadline_does_nothing(loop: Loop) -> None:
    await loop.send("customer", "a person please", signals=(ASK,))
    await loop.result("delivered")
    assert (await loop.state())["handoff_confirmed"] is True
    deadline = Timer(kind="handoff-deadline", site="demo", conversation_id="c1", episode=1)
    await loop.stage.fire(deadline, (T0 + timedelta(hours=1)).timestamp())
    assert (await loop.state())["owner"] == "escalated"
    assert [a for a, _ in await loop.actions()] == ["hold"]


async def test_a_handoff_nobody_confirms_in_time_counts_as_failed(loop: Loop) -> None:
    await loop.send("customer", "a person please", signals=(ASK,))
    due: Any = await loop.redis.zrange(f"{loop.prefix}:timers", 0, -1, withscores=True)
    deadlines = [(json.loads(m), at) for m, at in due if b"handoff-deadline" in m]
    assert len(deadlines) == 1
    timer, at = Timer.model_validate(deadlines[0][0]), float(deadlines[0][1])
    await loop.stage.fire(timer, at + 1)
    assert (await loop.state())["owner"] == "bot"
    [note] = await loop.stream("notifications")
    assert "not confirmed" in note["reason"]


async def fell_back_to_the_on_call_desk(loop: Loop, first: str) -> dict[str, Any]:
    """After the first handoff failed: a new handoff to the fallback queue, with the
    transcript in its packet; returns the conversation's state."""
    state: dict[str, Any] = await loop.state()
    assert state["owner"] == "escalated" and state["queue"] == "on-call-desk"
    assert state["handoff_id"] != first
    packets = await loop.stream("escalations")
    assert [p["decision"]["queue"] for p in packets] == ["support", "on-call-desk"]
    assert packets[1]["transcript"][-1]["text"] == "a person please"
    return state


async def test_the_fallback_queue_is_tried_once_before_giving_up(
    make_settings: Callable[..., RapportSettings], redis_url: str, prefix: str
) -> None:
    loop = await make_loop(make_settings(), redis_url, prefix, "on-call-desk")
    try:
        await loop.send("customer", "a person please", signals=(ASK,))
        first = (await loop.state())["handoff_id"]
        await loop.result("failed", first, 1)
        state = await fell_back_to_the_on_call_desk(loop, first)
        await loop.result("failed", state["handoff_id"], 2)
        assert (await loop.state())["owner"] == "bot"
        assert [a for a, _ in await loop.actions()] == ["hold", "resume"]
        assert len(await loop.stream("notifications")) == 2
    finally:
        await _cleanup(loop.redis, prefix)


async def test_results_read_in_one_batch_act_as_they_would_one_by_one(
    make_settings: Callable[..., RapportSettings], redis_url: str, prefix: str
) -> None:
    """The results stage applies a batch in one transaction: a failure and its duplicate in
    the same batch try the fallback queue once, with the transcript in its packet."""
    loop = await make_loop(make_settings(), redis_url, prefix, "on-call-desk")
    try:
        await loop.send("customer", "a person please", signals=(ASK,))
        first = (await loop.state())["handoff_id"]
        failed = HandoffResult(
            handoff_id=first, site="demo", conversation_id="c1", adapter="fake",
            status="failed", attempts=1, detail="404 Not Found: no such group",
        )  # fmt: skip
        await loop.outcomes.process([Entry("1-1", failed), Entry("1-2", failed)])
        state = await fell_back_to_the_on_call_desk(loop, first)
        delivered = failed.model_copy(update={"handoff_id": state["handoff_id"]})
        await loop.outcomes.process(
            [Entry("1-3", delivered.model_copy(update={"status": "delivered"}))]
        )
        assert (await loop.state())["handoff_confirmed"] is True
    finally:
        await _cleanup(loop.redis, prefix)


async def test_a_message_older_than_one_already_answered_is_never_answered(loop: Loop) -> None:
    older = Message(
        site="demo",
        conversation_id="c1",
        message_id="late",
        author="customer",
        text="where is my order?",
        sent_at=T0,
        received_at=T0,
    )
    await loop.send("customer", "hello?", minutes=1)  # received now: newer than `older`
    late = ClassifiedMessage(message=older, classification=_neutral())
    await loop.stage.process([Entry("0-99", late)])
    responds = [m for a, m in await loop.actions() if a == "respond"]
    assert responds == ["m1"]
    decision = next(d for d in await loop.stream("decisions") if d["message_id"] == "late")
    assert decision["reasons"][0]["rule"] == "superseded"


def _neutral() -> Any:
    from rapport_contracts import Classification

    return Classification(
        sentiment="neutral",
        sentiment_score=0.0,
        frustration=0.0,
        complexity=0.1,
        complexity_level="low",
        classifier_version="t",
    )


async def test_decision_latency_is_measured_from_acceptance(loop: Loop) -> None:
    from prometheus_client import REGISTRY

    def count() -> float:
        value = REGISTRY.get_sample_value(
            "rapport_decision_latency_seconds_count", {"site": "demo"}
        )
        return value or 0.0

    before = count()
    await loop.send("customer", "where is my parcel?")
    assert count() == before + 1


@pytest.mark.parametrize("pause_ms", [0, 60])
async def test_results_that_trickle_in_are_applied_in_batches_after_the_pause(
    make_settings: Callable[..., RapportSettings], redis_url: str, pause_ms: int
) -> None:
    """With router_results_pause_ms the results reader waits that long after a small batch, so
    results arriving one every few ms are applied several to a turn (fewer WATCH/MULTI round
    trips between the message batches); with 0 it reads each as it comes. Every result is
    applied and acked either way."""
    from rapport_runtime.consumer import StageRunner
    from rapport_runtime.redis import ensure_group

    settings = make_settings(router_results_pause_ms=pause_ms, poll_ms=200)
    redis = Redis.from_url(redis_url)
    site = Site("demo", "s", AdapterConfig(), policy(), lambda loc: "")
    router = RouterStage(settings, Runtime(settings, redis), Sites({"demo": site}, "test"))
    outcomes = HandoffOutcomeStage(router)
    sizes: list[int] = []
    process = outcomes.process
    all_applied = asyncio.Event()
    results = 40

    async def counted(entries: Any) -> None:
        sizes.append(len(entries))
        await process(entries)
        if sum(sizes) >= results:
            all_applied.set()

    outcomes.process = counted  # type: ignore[method-assign]
    await ensure_group(redis, outcomes.stream, outcomes.group)
    runner = StageRunner(outcomes, settings)
    try:
        await runner.start()
        for n in range(results):
            event = HandoffResult(
                handoff_id=f"h{n}",
                site="demo",
                conversation_id=f"c{n % 7}",
                adapter="fake",
                status="delivered",
                attempts=1,
            )
            await redis.xadd(outcomes.stream, {"__data__": event.model_dump_json()})
            await asyncio.sleep(0.005)
        async with asyncio.timeout(10):
            await all_applied.wait()
        info = await redis.xpending(outcomes.stream, outcomes.group)
        assert info["pending"] == 0
    finally:
        await runner.stop(2.0)
        keys = [k async for k in redis.scan_iter(match=f"{settings.prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
    assert sum(sizes) == results
    if pause_ms:
        assert len(sizes) <= results / 4, sizes  # ~8 results a turn at one per 5+ ms
    else:
        assert len(sizes) >= results / 2, sizes  # read as they come: mostly one at a time
