"""The console with RAPPORT_PARTITIONS=4, on a standalone Redis and on a real 3-master Redis
Cluster: the seeded conversations sit in different partitions (c-escalated in 1, c-calm and
the failed handoff and dead letter in 0), and every page finds them where they are. Over real
HTTP."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis as redis_sync
from pydantic import SecretStr
from redis.cluster import RedisCluster as SyncCluster

from rapport_console import data
from rapport_console.app import ConsoleSettings, create_app
from rapport_contracts import DATA_FIELD
from rapport_contracts.events import Feedback
from rapport_runtime.partitions import conversation_settings, partition_of
from rapport_runtime.redis import connect
from rapport_runtime.settings import RapportSettings
from tests.console.conftest import TOKEN, serving
from tests.console.seed import CALM, ESCALATED, HUMAN_REQUEST, SITE, add_decision, seed
from tests.console.test_http import csrf_of
from tests.helpers import RedisClusterProcess, wait_until

pytestmark = pytest.mark.integration
P = 4


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterProcess]:
    running = RedisClusterProcess(tmp_path_factory.mktemp("cluster"), masters=3)
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(params=["standalone", "cluster"])
def where(request: pytest.FixtureRequest, prefix: str) -> Iterator[tuple[str, Any]]:
    """(REDIS_URL, a synchronous client of it) for a standalone Redis or the cluster."""
    if request.param == "standalone":
        url: str = request.getfixturevalue("redis_url")
        request.getfixturevalue("redis_client")  # deletes this test's keys afterwards
        client: Any = redis_sync.Redis.from_url(url)
    else:
        running: RedisClusterProcess = request.getfixturevalue("cluster")
        url, client = running.url, SyncCluster(host="127.0.0.1", port=running.alive()[0].port)
    try:
        yield url, client
    finally:
        client.close()


@contextmanager
def signed_in(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=10) as client:
        page = client.get("/login")
        form = {"csrf": csrf_of(page.text), "token": TOKEN, "next": "/"}
        assert client.post("/login", data=form).status_code == 303
        yield client


def test_every_page_reads_every_partition(where: tuple[str, Any], prefix: str) -> None:
    url, r = where
    settings = RapportSettings(
        redis_url=url, prefix=prefix, partitions=P, admin_token=SecretStr(TOKEN), config=None
    )
    assert partition_of(SITE, ESCALATED, P) != partition_of(SITE, CALM, P)
    seeded = seed(r, prefix, settings=settings)
    esc = conversation_settings(settings, SITE, ESCALATED)
    with serving(create_app(settings, ConsoleSettings())) as base, signed_in(base) as client:
        now = client.get("/api/now").json()
        assert [w["conversation_id"] for w in now["waiting"]] == [ESCALATED]
        assert now["banner"]["dlq_depth"] == 1 and now["banner"]["helpdesk_failures"] == 1

        page = client.get("/")
        assert page.status_code == 200 and ESCALATED in page.text
        cursor = re.search(r'data-last-id="([^"]+)"', page.text)
        assert cursor and cursor.group(1).count(",") == P - 1  # a position per partition

        feed = client.get("/api/decisions").json()
        by_id = {d["decision_id"]: d["id"] for d in feed["decisions"]}
        assert by_id[seeded.calm_id].startswith(f"p{partition_of(SITE, CALM, P)}:")
        assert by_id[seeded.escalation_id].startswith(f"p{partition_of(SITE, ESCALATED, P)}:")
        assert feed["decisions"][0]["decision_id"] == seeded.calm_id  # newest first
        after = feed["cursor"]
        assert client.get("/api/decisions", params={"after": after}).json()["decisions"] == []
        add_decision(r, prefix, CALM, "d-calm-2", "m1", settings=settings)
        add_decision(r, prefix, ESCALATED, "d-esc-5", "m4", settings=settings)
        newer = client.get("/api/decisions", params={"after": after}).json()
        assert [d["decision_id"] for d in newer["decisions"]] == ["d-esc-5", "d-calm-2"]
        again = client.get("/api/decisions", params={"after": newer["cursor"]}).json()
        assert again["decisions"] == []
        for bad, says in (
            ("x", "one entry id per partition"),
            ("p0:1-0", f"each of the {P} partitions"),
            ("p9:1-0,p1:1-0,p2:1-0,p3:1-0", "one entry id per partition"),
        ):
            refused = client.get("/api/decisions", params={"after": bad})
            assert refused.status_code == 422 and says in refused.json()["message"], bad
        bare = client.get("/api/decisions", params={"after": "0-0"}).json()
        assert len(bare["decisions"]) == 6  # a bare id: the same position in each partition

        conversation = client.get(f"/sites/{SITE}/conversations/{ESCALATED}")
        assert conversation.status_code == 200
        assert HUMAN_REQUEST in conversation.text and "tickets/42" in conversation.text
        assert client.get(f"/sites/{SITE}/conversations/{CALM}").status_code == 200
        posted = client.post(
            "/feedback",
            data={
                "csrf": csrf_of(conversation.text),
                "site": SITE,
                "conversation_id": ESCALATED,
                "decision_id": seeded.escalation_id,
                "verdict": "unneeded-escalation",
            },
        )
        assert posted.status_code == 303
        [(_, fields)] = r.xrange(esc.streams.feedback)
        assert Feedback.read(fields[DATA_FIELD.encode()]).decision_id == seeded.escalation_id
        rates = client.get("/feedback").text
        row = re.search(r'data-rule="explicit-human-request">(.*?)</tr>', rates, re.S)
        assert row and 'data-field="unneeded-rate">100%<' in row.group(1)
        marked = client.get(f"/sites/{SITE}/conversations/{ESCALATED}").text
        assert "unneeded escalation" in marked

    async def lab_history() -> data.History:
        redis = connect(url)
        try:
            parts = await data.parts(redis, settings)
            now = datetime.now(UTC)
            return await data.site_history(parts, SITE, now - timedelta(hours=1), now, cap=10)
        finally:
            await redis.aclose()

    history = asyncio.run(lab_history())
    assert set(history.conversations) == {ESCALATED, CALM}  # from two partitions
    assert {d.decision_id for d in history.decisions} >= {seeded.calm_id, seeded.escalation_id}


def test_the_console_follows_a_master_fail_over(tmp_path: Path, prefix: str) -> None:
    """Three masters with a replica each: the master holding c-escalated's partition is killed,
    its replica takes over, and the console (a long-running reader with nothing else to
    refresh the slot map) finds the conversation on the new master."""
    (tmp_path / "cluster").mkdir()
    running = RedisClusterProcess(tmp_path / "cluster", masters=3, replicas=1)
    running.start()
    client: Any = SyncCluster(host="127.0.0.1", port=running.alive()[0].port)
    try:
        settings = RapportSettings(
            redis_url=running.url,
            prefix=prefix,
            partitions=P,
            admin_token=SecretStr(TOKEN),
            config=None,
        )
        seed(client, prefix, settings=settings)
        key = conversation_settings(settings, SITE, ESCALATED).streams.messages
        port = client.get_node_from_key(key).port
        [victim] = [n for n in running.nodes if n.port == port]
        with redis_sync.Redis(port=port) as master:
            assert master.wait(1, 5000) == 1  # the replica has every seeded write
        with serving(create_app(settings, ConsoleSettings())) as base, signed_in(base) as http:

            def waiting() -> list[str]:
                answer = http.get("/api/now")
                if answer.status_code != 200:
                    return []
                return [w["conversation_id"] for w in answer.json()["waiting"]]

            assert waiting() == [ESCALATED]
            victim.stop()
            wait_until(lambda: port not in {n.port for n in running.primaries()}, 30)
            assert wait_until(lambda: waiting() == [ESCALATED], 30)
            conversation = http.get(f"/sites/{SITE}/conversations/{ESCALATED}")
            assert conversation.status_code == 200 and HUMAN_REQUEST in conversation.text
    finally:
        client.close()
        running.stop()
