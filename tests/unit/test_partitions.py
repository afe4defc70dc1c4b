"""Partitioned key layout (rapport_runtime.partitions) and the cluster URL."""

from __future__ import annotations

from collections import Counter

import pytest
from pydantic import ValidationError
from redis.crc import key_slot

from rapport_runtime.partitions import (
    all_partitions,
    conversation_settings,
    partition_of,
    partition_prefix,
)
from rapport_runtime.redis import ClusterURLError, ConversationKeys, cluster_nodes, dedupe_key
from rapport_runtime.settings import RapportSettings


def test_one_partition_on_a_standalone_redis_keeps_todays_key_names() -> None:
    settings = RapportSettings(prefix="rapport")
    assert partition_prefix(settings, 0) == "rapport"
    part = conversation_settings(settings, "demo", "c-1")
    assert part is settings
    assert part.streams.messages == "rapport:messages"
    assert [s.prefix for s in all_partitions(settings)] == ["rapport"]


def test_every_key_of_a_conversation_shares_its_partitions_slot() -> None:
    settings = RapportSettings(prefix="rapport", partitions=7)
    for cid in ("c-1", "order:42", "x" * 80):
        part = conversation_settings(settings, "demo", cid)
        assert part.prefix == f"rapport:{{p{partition_of('demo', cid, 7)}}}"
        keys = [
            *ConversationKeys(part.prefix, "demo", cid).all(),
            dedupe_key(part.prefix, "edge", "demo", cid, "m1"),
            *part.streams.all(),
            f"{part.prefix}:timers",
        ]
        assert len({key_slot(k.encode()) for k in keys}) == 1, keys


def test_the_partition_is_stable_and_spreads_conversations() -> None:
    assert partition_of("demo", "c-1", 8) == partition_of("demo", "c-1", 8)
    # Length-prefixed: site "a:b" + id "c" is not site "a" + id "b:c".
    assert partition_of("a:b", "c", 1000) != partition_of("a", "b:c", 1000)
    spread = Counter(partition_of("demo", f"c-{i}", 4) for i in range(4000))
    assert set(spread) == {0, 1, 2, 3}
    assert min(spread.values()) > 800, spread
    # Fixed: a change of the hash would move every live conversation.
    assert [partition_of("demo", f"c-{i}", 5) for i in range(6)] == [2, 2, 2, 4, 4, 2]


def test_a_cluster_url_uses_the_tagged_layout_even_with_one_partition() -> None:
    settings = RapportSettings(redis_url="redis+cluster://10.0.0.1:7000,10.0.0.2:7001")
    assert settings.redis_cluster
    assert partition_prefix(settings, 0) == "rapport:{p0}"


def test_owned_partitions() -> None:
    assert RapportSettings(partitions=4).owned_partitions == (0, 1, 2, 3)
    assert RapportSettings(partitions=8, consumer_partitions="1,3-5").owned_partitions == (
        1,
        3,
        4,
        5,
    )
    spread = RapportSettings(
        partitions=8, consumer_partitions="spread", replicas=3, replica_index=2
    )
    assert spread.owned_partitions == (2, 5)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"partitions": 2, "consumer_partitions": "2"}, "outside 0..1"),
        ({"partitions": 2, "consumer_partitions": "one"}, "use all, spread"),
        (
            {"partitions": 2, "consumer_partitions": "spread", "replicas": 2, "replica_index": 2},
            "below",
        ),
    ],
)
def test_bad_partition_settings_say_what_to_fix(fields: dict[str, object], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        RapportSettings(**fields)  # type: ignore[arg-type]


def test_cluster_urls() -> None:
    nodes, options = cluster_nodes("rediss+cluster://u:p%40ss@h1:7000,[::1]:7001")
    assert nodes == [("h1", 7000), ("::1", 7001)]
    assert options == {"ssl": True, "username": "u", "password": "p@ss"}
    with pytest.raises(ClusterURLError, match="host:port"):
        cluster_nodes("redis+cluster://h1")
