"""`rapport dlq`, `rapport status` and `rapport policy replay --from-stream` with
RAPPORT_PARTITIONS=4: they read every partition's streams, dead-letter ids carry their
partition (`p3:<id>`), and a bare, malformed or wrongly partitioned id is refused with what to
write. Through the real CLI, against a real Redis, and on a real 3-master Redis Cluster."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
import redis as redis_sync
from redis.cluster import RedisCluster as SyncCluster
from typer.testing import CliRunner

from rapport_contracts import (
    DATA_FIELD,
    ClassifiedMessage,
    DeadLetter,
    Decision,
    HandoffResult,
    Message,
    Reason,
)
from rapport_runtime.partitions import conversation_settings, partition_prefix
from rapport_runtime.settings import RapportSettings
from rapport_tools.cli import app
from tests.helpers import RedisClusterProcess
from tests.router.test_policy_cli import STRICT, classification

pytestmark = pytest.mark.integration
runner = CliRunner()
P = 4
SAME_ID = "1700000000000-0"  # the same bare id in two partitions' DLQs


def cli(url: str, prefix: str, *args: str) -> Any:
    env = {"REDIS_URL": url, "RAPPORT_PREFIX": prefix, "RAPPORT_PARTITIONS": str(P)}
    return runner.invoke(app, list(args), env=env)


def settings_for(url: str, prefix: str) -> RapportSettings:
    return RapportSettings(redis_url=url, prefix=prefix, partitions=P, config=None)


def part(settings: RapportSettings, p: int) -> str:
    return partition_prefix(settings, p)


def park(r: Any, where: str, site: str, reason: str, entry_id: str = "*") -> str:
    """A dead letter in the DLQ under partition prefix ``where``, from that partition's
    escalations stream; its entry id."""
    letter = DeadLetter(
        stream=f"{where}:escalations",
        group="handoff",
        entry_id="1-1",
        deliveries=6,
        reason=reason,
        payload=json.dumps({"site": site, "handoff_id": f"h-{where}"}),
    )
    added = r.xadd(f"{where}:dlq", {DATA_FIELD: letter.model_dump_json()}, id=entry_id)
    return added.decode() if isinstance(added, bytes) else str(added)


def test_dlq_list_show_replay_purge_across_four_partitions(
    redis_url: str, prefix: str, redis_client: redis_sync.Redis
) -> None:
    s = settings_for(redis_url, prefix)
    park(redis_client, part(s, 2), "beta", "same id", SAME_ID)  # older than the others
    ids = {
        p: park(redis_client, part(s, p), "acme" if p < 2 else "beta", f"r{p}") for p in range(P)
    }

    listed = cli(redis_url, prefix, "dlq", "list", "--json", "--all")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert rows["total"] == 5
    got = {(r["id"], r["partition"]) for r in rows["entries"]}
    assert got == {(f"p{p}:{i}", p) for p, i in ids.items()} | {(f"p2:{SAME_ID}", 2)}
    text = cli(redis_url, prefix, "dlq", "list", "--count", "2")
    assert "2 of 5 matching dead letters shown" in text.output
    assert text.output.splitlines()[1].startswith("p")  # the newest first, qualified

    shown = cli(redis_url, prefix, "dlq", "show", f"p1:{ids[1]}")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["reason"] == "r1"

    bare = cli(redis_url, prefix, "dlq", "show", ids[1])
    assert bare.exit_code == 2
    assert "names no partition" in bare.output and "p3:1764151200000-0" in bare.output
    nowhere = cli(redis_url, prefix, "dlq", "replay", "p7:1-0")
    assert nowhere.exit_code == 2 and "partition 7 does not exist" in nowhere.output
    garbage = cli(redis_url, prefix, "dlq", "replay", f"p1:{ids[1]}", "p1:latest")
    assert garbage.exit_code == 2 and "'p1:latest' is not a dead-letter entry id" in garbage.output
    assert redis_client.xlen(f"{part(s, 1)}:dlq") == 1  # nothing replayed: refused up front
    wrong = cli(redis_url, prefix, "dlq", "show", f"p0:{SAME_ID}")
    assert wrong.exit_code == 1
    assert f"it is in another partition: p2:{SAME_ID}" in wrong.output

    replayed = cli(redis_url, prefix, "dlq", "replay", f"p2:{SAME_ID}", f"p3:{SAME_ID}")
    assert replayed.exit_code == 1  # p3 has no such entry, and it says so
    assert f"p2:{SAME_ID}: replayed" in replayed.output
    assert f"p3:{SAME_ID}: not found in the DLQ; it is in another partition" not in replayed.output
    assert f"p3:{SAME_ID}: not found in the DLQ" in replayed.output
    assert redis_client.xlen(f"{part(s, 2)}:escalations") == 1
    assert redis_client.xlen(f"{part(s, 2)}:dlq") == 1

    dry = cli(redis_url, prefix, "dlq", "purge", "--site", "beta")
    assert "2 dead letters match" in dry.output
    done = cli(redis_url, prefix, "dlq", "purge", "--site", "beta", "--yes")
    assert "purged 2" in done.output
    assert [redis_client.xlen(f"{part(s, p)}:dlq") for p in range(P)] == [1, 1, 0, 0]


def test_a_bare_id_keeps_working_with_one_partition(
    redis_url: str, prefix: str, redis_client: redis_sync.Redis
) -> None:
    entry_id = park(redis_client, prefix, "acme", "refused")
    env = {"REDIS_URL": redis_url, "RAPPORT_PREFIX": prefix}
    shown = runner.invoke(app, ["dlq", "show", entry_id], env=env)
    assert shown.exit_code == 0 and json.loads(shown.output)["id"] == entry_id
    qualified = runner.invoke(app, ["dlq", "show", f"p0:{entry_id}"], env=env)
    assert qualified.exit_code == 0, qualified.output
    listed = json.loads(runner.invoke(app, ["dlq", "list", "--json"], env=env).output)
    assert listed["entries"][0]["id"] == entry_id and "partition" not in listed["entries"][0]


def seed_status(r: Any, s: RapportSettings) -> None:
    """Partition 1 has work waiting and no consumer and a dead letter, partition 2 a failed
    handoff, partitions 0 and 3 a decision each; every partition's groups exist."""
    for p in range(P):
        where = part(s, p)
        for stream, group in (("messages", "sentiment"), ("classified", "router")):
            r.xgroup_create(f"{where}:{stream}", group, id="$", mkstream=True)
    r.xadd(f"{part(s, 1)}:messages", {DATA_FIELD: "{}"})
    park(r, part(s, 1), "acme", "helpdesk refused: 404")
    failed = HandoffResult(
        handoff_id="h1",
        site="demo",
        conversation_id="c1",
        adapter="zendesk",
        status="failed",
        attempts=1,
    )
    r.xadd(f"{part(s, 2)}:handoffs", {DATA_FIELD: failed.model_dump_json()})
    for p in (0, 3):
        decision = Decision(
            decision_id=f"d{p}",
            site="demo",
            conversation_id=f"c{p}",
            message_id="m1",
            route="human",
            queue="q",
            priority="high",
            reasons=(Reason(rule=f"rule-{p}"),),
            policy_id="default",
            policy_version="1",
            classifier_version="t",
        )
        r.xadd(f"{part(s, p)}:decisions", {DATA_FIELD: decision.model_dump_json()})


def check_status(url: str, prefix: str) -> None:
    result = cli(url, prefix, "status", "--sample", "0")
    assert result.exit_code == 1, result.output
    out = result.output
    assert "streams (4 partitions)" in out
    assert f"sentiment on {prefix}:{{p1}}:messages: work waiting and no consumer" in out
    assert f"1 dead letter(s) in 1 of 4 partitions' DLQs: {prefix}:{{p1}}:dlq" in out
    assert "1 via zendesk" in out and "(rule-3)" in out and "(rule-0)" in out
    report = json.loads(cli(url, prefix, "status", "--sample", "0", "--json").output)
    assert report["partitions"] == P
    assert report["dead_letters"] == {"helpdesk refused: 404": 1}
    assert report["handoff_failures_last_hour"] == {"zendesk": 1}
    assert {d["partition"] for d in report["last_decisions"]} == {0, 3}
    assert len(report["streams"]) == 9 * P
    lagging = [g for g in report["groups"] if g["lag"]]
    assert [(g["stream"], g["group"]) for g in lagging] == [
        (f"{prefix}:{{p1}}:messages", "sentiment")
    ]


def test_status_reads_every_partition(
    redis_url: str, prefix: str, redis_client: redis_sync.Redis
) -> None:
    seed_status(redis_client, settings_for(redis_url, prefix))
    check_status(redis_url, prefix)


def seed_classified(r: Any, s: RapportSettings) -> list[str]:
    """Three customer messages in conversations of different partitions; the partitions."""
    now = datetime.now(UTC)
    used = []
    for cid, mid, score in (("c1", "m1", -0.5), ("c1", "m2", -0.9), ("c7", "m1", 0.3)):
        where = conversation_settings(s, "demo", cid)
        message = Message(
            site="demo",
            conversation_id=cid,
            message_id=mid,
            author="customer",
            text=f"text {cid}{mid}",
            sent_at=now,
        )
        event = ClassifiedMessage(message=message, classification=classification(score))
        r.xadd(where.streams.classified, {DATA_FIELD: event.model_dump_json()})
        used.append(where.prefix)
    return used


def check_replay(url: str, prefix: str, tmp_path: Path) -> None:
    policy = tmp_path / "strict.yaml"
    policy.write_text(STRICT)
    result = cli(url, prefix, "policy", "replay", str(policy), "--from-stream", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["candidate"]["messages"], report["candidate"]["escalated"]) == (3, 2)
    assert report["baseline"]["escalated"] == 1


def test_policy_replay_from_stream_reads_every_partition(
    redis_url: str, prefix: str, redis_client: redis_sync.Redis, tmp_path: Path
) -> None:
    used = seed_classified(redis_client, settings_for(redis_url, prefix))
    assert len(set(used)) == 2, "the test needs conversations in two partitions"
    check_replay(redis_url, prefix, tmp_path)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterProcess]:
    directory = tmp_path_factory.mktemp("cluster")
    running = RedisClusterProcess(directory, masters=3)
    try:
        running.start()
        yield running
    finally:
        running.stop()


def test_status_dlq_and_replay_on_a_cluster(
    cluster: RedisClusterProcess, prefix: str, tmp_path: Path
) -> None:
    """The same commands on three masters: each partition is read on the master owning its
    slot (a SCAN or multi-key read through the cluster client would go to one random node)."""
    client = SyncCluster(host="127.0.0.1", port=cluster.alive()[0].port)
    try:
        s = settings_for(cluster.url, prefix)
        owners = {cast("Any", client).get_node_from_key(f"{part(s, p)}:dlq").port for p in range(P)}
        assert len(owners) == 3, "partitions 0..3 fall on all three masters"
        seed_status(client, s)
        check_status(cluster.url, prefix)

        ids = {p: park(client, part(s, p), "acme", f"r{p}") for p in range(P)}
        listed = json.loads(cli(cluster.url, prefix, "dlq", "list", "--json", "--all").output)
        assert {r["id"] for r in listed["entries"]} >= {f"p{p}:{i}" for p, i in ids.items()}
        assert listed["total"] == P + 1  # and the status test's letter in partition 1
        done = cli(cluster.url, prefix, "dlq", "replay", *(f"p{p}:{i}" for p, i in ids.items()))
        assert done.exit_code == 0, done.output
        assert [client.xlen(f"{part(s, p)}:escalations") for p in range(P)] == [1] * P
        assert [client.xlen(f"{part(s, p)}:dlq") for p in range(P)] == [0, 1, 0, 0]

        seed_classified(client, s)
        check_replay(cluster.url, prefix, tmp_path)
    finally:
        client.close()
