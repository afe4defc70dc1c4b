"""Partitioned streams: one conversation's events on one partition, every key of a partition in
one Redis Cluster hash slot.

With ``RAPPORT_PARTITIONS=P`` each logical stream (``messages``, ``classified``, ...) becomes P
streams. A stable hash of site + conversation id picks the partition, so one conversation's
events stay in order on one stream. Partition ``p``'s keys all live under the prefix
``<prefix>:{p<p>}``: the ``{p<p>}`` hash tag puts its streams, conversation records, dedupe
keys, timers and retry queues in one slot, so each batch script and each MULTI/EXEC a stage
runs touches exactly one slot (what Redis Cluster requires). Conversation keys keep their own
``{site:conversation}`` braces after the prefix; Redis hashes only the first pair.

The untagged layout (partition prefix = ``RAPPORT_PREFIX``, today's key names) is used with one
partition on a standalone Redis, so a single-Redis deployment sees no change at all. A cluster
URL always uses the tagged layout, even with one partition (everything then lives in one slot,
which works but uses one master: set ``RAPPORT_PARTITIONS`` to a few per master).
"""

from __future__ import annotations

import hashlib
import re

from redis.asyncio import Redis

from rapport_runtime.settings import RapportSettings


def partition_of(site: str, conversation_id: str, partitions: int) -> int:
    """The partition of a conversation: BLAKE2b of the length-prefixed site and id, modulo
    ``partitions``. Stable across processes, versions and Python's hash randomisation; changing
    ``partitions`` moves conversations (docs/scaling.md says how to change it safely)."""
    if partitions <= 1:
        return 0
    joined = f"{len(site)}:{site}\x00{conversation_id}".encode()
    digest = hashlib.blake2b(joined, digest_size=8).digest()
    return int.from_bytes(digest, "big") % partitions


def tagged(settings: RapportSettings) -> bool:
    """Whether keys carry a partition hash tag (more than one partition, or a cluster)."""
    return settings.partitions > 1 or settings.redis_cluster


def partition_prefix(settings: RapportSettings, partition: int) -> str:
    """The key prefix of ``partition``: ``RAPPORT_PREFIX`` itself in the untagged layout."""
    if not 0 <= partition < settings.partitions:
        raise ValueError(f"partition {partition} is not in 0..{settings.partitions - 1}")
    if not tagged(settings):
        return settings.prefix
    return f"{settings.prefix}:{{p{partition}}}"


def partition_settings(settings: RapportSettings, partition: int) -> RapportSettings:
    """``settings`` as seen by the stages of one partition: the same, with that partition's
    prefix, so every key a stage derives from ``settings.prefix`` lands in its slot. The
    settings object itself when untagged (nothing changes)."""
    prefix = partition_prefix(settings, partition)
    if prefix == settings.prefix:
        return settings
    # model_copy does not validate: the braces are refused in RAPPORT_PREFIX on purpose.
    return settings.model_copy(update={"prefix": prefix})


def conversation_settings(
    settings: RapportSettings, site: str, conversation_id: str
) -> RapportSettings:
    """The settings of the partition that holds this conversation."""
    return partition_settings(settings, partition_of(site, conversation_id, settings.partitions))


def all_partitions(settings: RapportSettings) -> list[RapportSettings]:
    return [partition_settings(settings, p) for p in range(settings.partitions)]


def owned_partitions(settings: RapportSettings) -> list[int]:
    """The partitions this process's stages read: ``RAPPORT_CONSUMER_PARTITIONS`` (``all``, a
    list such as ``0,2,4-6``, or ``spread``: every partition p with
    ``p % RAPPORT_REPLICAS == RAPPORT_REPLICA_INDEX``)."""
    return list(settings.owned_partitions)


async def partition_client(redis: Redis, part: RapportSettings) -> Redis:
    """A client for the reads an operator tool makes over one partition's keys (SCAN, MGET, a
    pipeline of reads): ``redis`` itself on a standalone Redis; on a cluster the plain client
    of the master owning the partition's slot. Why: every key of a partition is in that one
    slot, so that master holds them all and answers alone, where redis-py's cluster client
    walks a SCAN over every master (P partitions: P full walks of the cluster) and routes each
    command of a pipeline on its own. Not for writes that must follow a fail-over: use
    ``redis`` (the cluster client re-reads the slot map) or ``transaction_client``."""
    from rapport_runtime.redis import is_cluster, transaction_client

    if is_cluster(redis):
        # One command through the cluster client first: after a fail-over it meets the dead
        # master, re-reads the slot map and retries on the promoted replica, so the node
        # client below is the live master's (a long-running reader such as the console has
        # nothing else that would refresh the map).
        await redis.exists(part.streams.messages)
    return await transaction_client(redis, part.streams.messages)


# Stream entry ids as people see them: ``1764151200000-0`` with one partition, qualified by the
# partition otherwise (``p3:1764151200000-0``): the same id can exist in two partitions'
# streams, so a bare id names no entry once there are several.
_BARE_ID = re.compile(r"^\d+(?:-\d+)?$")
_QUALIFIED_ID = re.compile(r"^p(\d+):(\d+(?:-\d+)?)$")


class EntryIdError(ValueError):
    """An entry id that is malformed, names no partition when it must, or a partition that
    does not exist; the message says what to write instead."""


def qualify(partitions: int, partition: int, entry_id: str) -> str:
    """``entry_id`` of ``partition`` as people see it: bare with one partition (of
    ``partitions``), else ``p<partition>:<entry_id>``."""
    return entry_id if partitions <= 1 else f"p{partition}:{entry_id}"


def parse_entry_id(partitions: int, text: str, what: str = "entry") -> tuple[int, str]:
    """(partition, bare entry id) of an id written by a person (``1764151200000-0``, or
    ``p3:1764151200000-0``) when there are ``partitions``. A bare id is partition 0 with one
    partition and refused with several; ``what`` names the kind of id in the message
    (``dead-letter entry``)."""
    value = text.strip()
    example = qualify(partitions, min(3, partitions - 1), "1764151200000-0")
    if found := _QUALIFIED_ID.match(value):
        partition, bare = int(found.group(1)), found.group(2)
        if partition >= partitions:
            raise EntryIdError(
                f"{text!r}: partition {partition} does not exist (RAPPORT_PARTITIONS="
                f"{partitions}: partitions 0..{partitions - 1}); is RAPPORT_PARTITIONS the "
                "deployment's?"
            )
        return partition, bare
    if _BARE_ID.match(value):
        if partitions > 1:
            raise EntryIdError(
                f"{text!r} names no partition: with RAPPORT_PARTITIONS={partitions} "
                f"{what} ids carry their partition, like {example}"
            )
        return 0, value
    raise EntryIdError(f"{text!r} is not a {what} id; they look like {example}")
