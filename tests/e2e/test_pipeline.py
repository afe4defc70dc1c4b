"""End to end: signed webhooks in over HTTP, decisions and handoffs out, through three real
service processes and a real Redis.

Each test runs on a single Redis (``[standalone]``) and on a local 3-master Redis Cluster with
four partitions (``[cluster]``, ``tests/redis_backends.py``): the same behaviour, read through
the backend, which looks in every partition."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Pipeline
from tests.helpers import message, signed, wait_until
from tests.redis_backends import Backend

pytestmark = pytest.mark.e2e

TOKEN = {"Authorization": "Bearer e2e-admin-token"}


def conversation(p: Pipeline, cid: str) -> dict[str, Any] | None:
    reply = httpx.get(f"{p.edge}/v1/sites/demo/conversations/{cid}", headers=TOKEN, timeout=5)
    return reply.json() if reply.status_code == 200 else None


def post(p: Pipeline, body: dict[str, Any]) -> httpx.Response:
    raw, headers = signed(body)
    return httpx.post(f"{p.edge}/v1/sites/demo/messages", content=raw, headers=headers, timeout=5)


def test_a_request_for_a_person_is_escalated_with_the_transcript_within_a_second(
    any_pipeline: Pipeline,
) -> None:
    pipeline = any_pipeline
    assert (
        post(
            pipeline, message("c-esc", "m1", "Hello, I have a question about my account.")
        ).status_code
        == 202
    )
    wait_until(lambda: (v := conversation(pipeline, "c-esc")) and v["decisions"])
    text = "This is the third time I'm writing, I want to talk to a real person"
    started = time.monotonic()
    assert post(pipeline, message("c-esc", "m2", text)).status_code == 202

    def escalated() -> dict[str, Any] | None:
        view = conversation(pipeline, "c-esc")
        if view and any(h["status"] == "delivered" for h in view["handoffs"]):
            return view
        return None

    view = wait_until(escalated, timeout=5, interval=0.02)
    elapsed = time.monotonic() - started
    decision = next(d for d in view["decisions"] if d["message_id"] == "m2")
    assert decision["route"] == "human"
    assert decision["queue"] == "support"
    assert decision["priority"] == "high"
    assert decision["reasons"][0]["rule"] == "explicit-human-request"
    [handoff] = view["handoffs"]
    assert handoff["adapter"] == "inbox"
    transcript = [t["text"] for t in handoff["packet"]["transcript"]]
    assert transcript == ["Hello, I have a question about my account.", text]
    assert [m["classification"] is not None for m in view["messages"]] == [True, True]
    assert elapsed < 1.0, f"escalation took {elapsed:.2f} s"


def test_a_routine_question_stays_with_automation(any_pipeline: Pipeline, backend: Backend) -> None:
    pipeline = any_pipeline
    assert post(pipeline, message("c-auto", "m1", "How do I reset my password?")).status_code == 202
    view = wait_until(lambda: (v := conversation(pipeline, "c-auto")) and v["decisions"] and v)
    [decision] = view["decisions"]
    assert (decision["route"], decision["queue"], decision["reasons"][0]["rule"]) == (
        "automation",
        None,
        "default",
    )
    assert view["handoffs"] == []
    automation = backend.events(pipeline.prefix, "automation")
    assert [i["message_id"] for i in automation] == ["m1"]


def test_once_a_person_owns_the_conversation_there_is_no_second_escalation(
    any_pipeline: Pipeline,
) -> None:
    pipeline = any_pipeline
    post(pipeline, message("c-own", "m1", "I want to talk to a real person"))
    wait_until(lambda: (v := conversation(pipeline, "c-own")) and v["handoffs"])
    post(pipeline, message("c-own", "m2", "Hi, Sam here, I'll help you", author="agent"))
    post(pipeline, message("c-own", "m3", "Please, a real person, now"))
    view = wait_until(
        lambda: (v := conversation(pipeline, "c-own")) and len(v["decisions"]) == 2 and v
    )
    later = next(d for d in view["decisions"] if d["message_id"] == "m3")
    assert later["route"] == "human"
    assert later["reasons"][0]["rule"] == "human-owns-conversation"
    assert len(view["handoffs"]) == 1


def test_sigkill_of_the_sentiment_service_loses_and_duplicates_nothing(
    any_pipeline: Pipeline, backend: Backend
) -> None:
    pipeline, client = any_pipeline, backend.client
    total, conversations = 1000, 50
    # One stream per partition (one on the single Redis): the victim's entries in flight may
    # be on any of them.
    messages_streams = backend.keys(pipeline.prefix, "messages")

    async def send(numbers: range) -> None:
        async with httpx.AsyncClient(base_url=pipeline.edge, timeout=10) as http:
            sem = asyncio.Semaphore(20)

            async def one(i: int) -> None:
                body = message(
                    f"k{i % conversations}", f"k-m{i}", f"message {i}: where is my parcel?"
                )
                raw, headers = signed(body)
                async with sem:
                    reply = await http.post("/v1/sites/demo/messages", content=raw, headers=headers)
                assert reply.status_code == 202, reply.text

            await asyncio.gather(*(one(i) for i in numbers))

    def pending_of(consumer: str) -> int:
        return sum(
            int(c["pending"])
            for stream in messages_streams
            if client.exists(stream)
            for c in client.xinfo_consumers(stream, "sentiment")
            if c["name"].decode() == consumer
        )

    asyncio.run(send(range(0, 300)))
    sent, stranded = 300, 0
    for _attempt in range(5):
        # Freeze the service so a backlog builds, let it take a batch, and kill it mid-batch.
        sentiment = pipeline.processes["sentiment"]
        victim = f"{socket.gethostname()}-{sentiment.pid}"
        sentiment.send_signal(signal.SIGSTOP)
        asyncio.run(send(range(sent, sent + 100)))
        sent += 100
        sentiment.send_signal(signal.SIGCONT)
        wait_until(lambda v=victim: pending_of(v) > 0, timeout=5, interval=0.001)
        pipeline.kill("sentiment")
        stranded = pending_of(victim)
        pipeline.start("sentiment")
        pipeline.wait_ready("sentiment")
        if stranded:
            break
    asyncio.run(send(range(sent, total)))

    wait_until(
        lambda: backend.xlen(pipeline.prefix, "decisions") >= total, timeout=60, interval=0.2
    )
    backend.wait_quiescent(pipeline.prefix)  # nothing can land late after this
    ids = [d["message_id"] for d in backend.events(pipeline.prefix, "decisions")]
    assert stranded > 0, "the kill did not catch entries in flight; the test proved nothing"
    assert len(ids) == total
    assert sorted(ids) == sorted(f"k-m{i}" for i in range(total))
    assert all(client.xpending(s, "sentiment")["pending"] == 0 for s in messages_streams)
    assert backend.xlen(pipeline.prefix, "dlq") == 0
    print(f"entries pending on the killed consumer when it died: {stranded}")


def test_services_stop_cleanly_on_sigterm(any_pipeline: Pipeline) -> None:
    codes = any_pipeline.stop_all()
    # uvicorn re-raises SIGTERM after a clean shutdown, hence 143 or 0, never a crash code.
    assert all(code in (0, -15, 143) for code in codes.values()), codes
