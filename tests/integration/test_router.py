"""The router against a real Redis: ownership over a conversation's life, instructions to the
bot, and shadow decisions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from rapport_contracts import Author, Classification, ClassifiedMessage, Message, Signal
from rapport_contracts.policy import Policy
from rapport_contracts.stored import expand
from rapport_router.stage import RouterStage
from rapport_router.timers import claim_due
from rapport_runtime.config import AdapterConfig, Site, Sites
from rapport_runtime.consumer import Entry
from rapport_runtime.policies import default_policy
from rapport_runtime.service import Runtime
from rapport_runtime.settings import RapportSettings
from tests.helpers import entry_dict

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ASK = Signal(name="human_request", score=0.95, evidence="a real person")
EVERYTHING_TO_A_PERSON = Policy.model_validate(
    {
        "id": "candidate",
        "version": "7",
        "rules": [{"name": "all", "route": "human", "queue": "vip"}],
    }
)


class Harness:
    def __init__(self, stage: RouterStage, redis: Redis, prefix: str) -> None:
        self.stage, self.redis, self.prefix, self.n = stage, redis, prefix, 0

    async def send(
        self,
        author: Author,
        text: str = "",
        *,
        signals: tuple[Signal, ...] = (),
        score: float = 0.0,
        minutes: float = 0,
        status: str | None = None,
    ) -> None:
        self.n += 1
        message = Message(
            site="demo",
            conversation_id="c1",
            message_id=f"m{self.n}",
            author=author,
            text=text or "…",
            sent_at=T0 + timedelta(minutes=minutes),
            provider_ids={"status": status} if status else {},
        )
        classification = None
        if author == "customer":
            classification = Classification(
                sentiment="negative" if score < -0.2 else "neutral",
                sentiment_score=score,
                frustration=max(0.0, -score),
                complexity=0.1,
                complexity_level="low",
                signals=signals,
                classifier_version="t",
            )
        event = ClassifiedMessage(message=message, classification=classification)
        # The sentiment stage records every message before the router sees it.
        await self.redis.hset(
            f"{self.prefix}:conv:{{demo:c1}}:messages", message.message_id, event.model_dump_json()
        )
        await self.stage.process([Entry(f"0-{self.n}", event)])

    async def stream(self, name: str) -> list[dict[str, Any]]:
        return [
            entry_dict(name, f[b"__data__"])
            for _, f in await self.redis.xrange(f"{self.prefix}:{name}")
        ]

    async def state(self) -> dict[str, Any]:
        raw = await self.redis.get(f"{self.prefix}:conv:{{demo:c1}}:state")
        return json.loads(expand(raw)) if raw else {}  # JSON or deflated (RAPPORT_STORED_FORM)


@pytest.fixture
async def router(
    make_settings: Callable[..., RapportSettings], redis_url: str, prefix: str
) -> AsyncIterator[Harness]:
    settings = make_settings(cooldown_s=600)
    redis = Redis.from_url(redis_url)
    site = Site(
        "demo", "s", AdapterConfig(), default_policy(), lambda loc: "", EVERYTHING_TO_A_PERSON
    )
    runtime = Runtime(settings, redis)
    stage = RouterStage(settings, runtime, Sites({"demo": site}, "test"))
    yield Harness(stage, redis, prefix)
    keys = [k async for k in redis.scan_iter(match=f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def test_a_conversations_life_bot_escalated_human_resolved_bot(router: Harness) -> None:
    await router.send("customer", "how do I change my address?")
    await router.send("customer", "a real person please", signals=(ASK,), minutes=1)
    assert (await router.state())["owner"] == "escalated"
    await router.send("customer", "hello??", signals=(ASK,), minutes=2)  # no second escalation
    await router.send("agent", "Hi, Sam here", minutes=3)
    assert (await router.state())["owner"] == "human"
    await router.send("customer", "thanks Sam", minutes=4)
    await router.send("system", "ticket solved", minutes=5, status="solved")
    assert (await router.state())["owner"] == "resolved"
    await router.send("customer", "one more question about delivery", minutes=6)
    assert (await router.state())["owner"] == "bot"

    live = [d for d in await router.stream("decisions") if not d["shadow"]]
    assert [d["route"] for d in live] == ["automation", "human", "human", "human", "automation"]
    assert [d["reasons"][0]["rule"] for d in live][2:4] == ["human-owns-conversation"] * 2
    assert len(await router.stream("escalations")) == 1
    actions = [(i["action"], i["message_id"]) for i in await router.stream("automation")]
    assert actions == [("respond", "m1"), ("hold", "m2"), ("resume", "m6"), ("respond", "m7")]


async def test_a_high_priority_outcome_re_escalates_right_after_resolution(
    router: Harness,
) -> None:
    await router.send("customer", "a person please", signals=(ASK,))
    await router.send("system", "closed", minutes=1, status="closed")
    await router.send("customer", "this is awful", score=-0.9, minutes=2)  # strongly negative: high
    assert len(await router.stream("escalations")) == 2  # high priority re-escalates at once


async def test_shadow_policy_is_recorded_and_never_acted_on(router: Harness) -> None:
    await router.send("customer", "how do I change my address?")
    decisions = await router.stream("decisions")
    live, shadow = [d for d in decisions if not d["shadow"]], [d for d in decisions if d["shadow"]]
    assert [d["route"] for d in live] == ["automation"]
    assert [(d["route"], d["queue"], d["policy_id"], d["policy_version"]) for d in shadow] == [
        ("human", "vip", "candidate", "7")
    ]
    assert shadow[0]["decision_id"] != live[0]["decision_id"]
    assert await router.stream("escalations") == []
    assert (await router.state())["owner"] == "bot"


LADDER = Policy.model_validate(
    {
        "id": "ladder",
        "version": "1",
        "resolve_after_minutes": 0.01,
        "rules": [
            {
                "name": "ask",
                "when": {"any_signal": ["human_request"]},
                "route": "human",
                "queue": "support",
                "priority": "normal",
            }
        ],
        "queues": {
            "support": {
                "ladder": [
                    {"after_minutes": 0.001, "priority": "high"},
                    {"after_minutes": 0.002, "queue": "tier2", "priority": "urgent"},
                ]
            }
        },
    }
)


@pytest.fixture
async def ladder_router(
    make_settings: Callable[..., RapportSettings], redis_url: str, prefix: str
) -> AsyncIterator[Harness]:
    settings = make_settings()
    redis = Redis.from_url(redis_url)
    site = Site("demo", "s", AdapterConfig(), LADDER, lambda loc: "")
    runtime = Runtime(settings, redis)
    yield Harness(RouterStage(settings, runtime, Sites({"demo": site}, "test")), redis, prefix)
    keys = [k async for k in redis.scan_iter(match=f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def fire_due(h: Harness, at: float) -> list[str]:
    timers = await claim_due(h.redis, h.stage.timer_keys, at, lease_s=60)
    for timer in timers:
        await h.stage.fire(timer, at)
    return [f"{t.kind}:{t.step}" for t in timers]


async def test_the_ladder_raises_priority_then_moves_the_queue_each_step_once(
    ladder_router: Harness,
) -> None:
    h = ladder_router
    await h.send("customer", "a person please", signals=(ASK,))
    start = (await h.state())["escalated_ts"]
    assert await fire_due(h, start + 0.1) == ["ladder:1"]
    assert await fire_due(h, start + 0.2) == ["ladder:2"]
    packets = await h.stream("escalations")
    assert [(p["decision"]["queue"], p["decision"]["priority"]) for p in packets] == [
        ("support", "normal"),
        ("support", "high"),
        ("tier2", "urgent"),
    ]
    ladder_decision = (await h.stream("decisions"))[1]
    assert ladder_decision["reasons"][0]["rule"] == "ladder:support:1"
    assert ladder_decision["reasons"][0]["signal"] == "minutes_without_agent_reply"
    assert ladder_decision["reasons"][0]["threshold"] == 0.001
    # A timer that comes back (an expired lease) changes nothing.
    from rapport_router.timers import Timer

    again = Timer(kind="ladder", site="demo", conversation_id="c1", episode=1, step=1)
    await h.redis.zadd(h.stage.timer_keys.due, {again.member(): 0})
    await fire_due(h, start + 0.3)
    assert len(await h.stream("escalations")) == 3


async def test_an_agent_reply_stops_the_ladder(ladder_router: Harness) -> None:
    h = ladder_router
    await h.send("customer", "a person please", signals=(ASK,))
    await h.send("agent", "on it")
    start = (await h.state())["escalated_ts"]
    assert await fire_due(h, start + 0.1) == ["ladder:1"]
    assert len(await h.stream("escalations")) == 1


async def test_silence_resolves_the_conversation_and_resumes_the_bot(
    ladder_router: Harness,
) -> None:
    h = ladder_router
    await h.send("customer", "a person please", signals=(ASK,))
    await h.send("agent", "on it")
    last = (await h.state())["last_activity"]
    fired = await fire_due(h, last + 0.3)  # past resolve_after_minutes (0.6 s)
    fired += await fire_due(h, last + 1.0)
    assert "resolve:0" in fired
    assert (await h.state())["owner"] == "resolved"
    assert [i["action"] for i in await h.stream("automation")][-1] == "resume"


async def test_a_leased_timer_that_is_never_finished_comes_back(ladder_router: Harness) -> None:
    h = ladder_router
    await h.send("customer", "a person please", signals=(ASK,))
    start = (await h.state())["escalated_ts"]
    [first, *_] = await claim_due(h.redis, h.stage.timer_keys, start + 0.1, lease_s=5)
    assert first not in await claim_due(h.redis, h.stage.timer_keys, start + 1, lease_s=5)
    again = await claim_due(h.redis, h.stage.timer_keys, start + 10, lease_s=5)
    assert first in again


async def test_a_rule_with_notify_and_tags_alerts_and_tags_once(
    make_settings: Callable[..., RapportSettings], redis_url: str, prefix: str
) -> None:
    policy = Policy.model_validate(
        {
            "id": "alert",
            "version": "1",
            "rules": [
                {
                    "name": "safety",
                    "when": {"any_signal": ["safety"]},
                    "route": "human",
                    "queue": "urgent",
                    "priority": "urgent",
                    "notify": ["supervisor"],
                    "tags": ["safety"],
                }
            ],
        }
    )
    settings = make_settings()
    redis = Redis.from_url(redis_url)
    runtime = Runtime(settings, redis)
    site = Site("demo", "s", AdapterConfig(), policy, lambda loc: "")
    h = Harness(RouterStage(settings, runtime, Sites({"demo": site}, "test")), redis, prefix)
    try:
        danger = Signal(name="safety", score=1.0, evidence="hurt myself")
        await h.send("customer", "I want to hurt myself", signals=(danger,))
        await h.send("customer", "please", signals=(danger,))
        [note] = await h.stream("notifications")
        assert (note["targets"], note["priority"], note["site"]) == (
            ["supervisor"],
            "urgent",
            "demo",
        )
        [packet] = await h.stream("escalations")
        assert packet["decision"]["tags"] == ["safety"]
        assert packet["decision"]["notify"] == ["supervisor"]
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def test_after_hours_the_bot_holds_and_tells_the_customer_when_a_person_will_answer(
    make_settings: Callable[..., RapportSettings], redis_url: str, prefix: str
) -> None:
    policy = Policy.model_validate(
        {
            "id": "hours",
            "version": "1",
            # Closed all week: every message arrives after hours.
            "business_hours": {"timezone": "Europe/Berlin", "hours": {}},
            "rules": [
                {
                    "name": "ask",
                    "when": {"any_signal": ["human_request"]},
                    "route": "human",
                    "queue": "support",
                    "after_hours": {
                        "route": "human",
                        "queue": "next-morning",
                        "message": "We're closed; a person will answer after 9:00.",
                    },
                }
            ],
        }
    )
    settings = make_settings()
    redis = Redis.from_url(redis_url)
    runtime = Runtime(settings, redis)
    site = Site("demo", "s", AdapterConfig(), policy, lambda loc: "")
    h = Harness(RouterStage(settings, runtime, Sites({"demo": site}, "test")), redis, prefix)
    try:
        await h.send("customer", "a person please", signals=(ASK,))
        [packet] = await h.stream("escalations")
        assert packet["decision"]["queue"] == "next-morning"
        [hold] = await h.stream("automation")
        assert hold["action"] == "hold"
        assert hold["customer_message"] == "We're closed; a person will answer after 9:00."
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
