"""Redis plumbing shared by the services: connections, consumer groups, and the keys of the
conversation record.

Stream entries carry one field, ``__data__``, with the event's JSON. Every write that has an
effect downstream happens in one MULTI/EXEC together with the XACK of the entry that caused it,
so a process that dies mid-way leaves either all of it or none of it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any, cast
from urllib.parse import unquote

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.cluster import ClusterNode, ClusterPipeline, RedisCluster
from redis.asyncio.connection import SSLConnection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import MaxConnectionsError, ResponseError, WatchError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rapport_contracts import Event
from rapport_contracts.stored import deflate, is_deflated
from rapport_contracts.streams import DATA_FIELD, Streams

# Lives with the watch that remembers what it accepted; still importable from here.
from rapport_runtime.acceptance import accept_once as accept_once
from rapport_runtime.settings import CLUSTER_SCHEMES

log = logging.getLogger("rapport_runtime.redis")

_RETRY_ON = [RedisConnectionError, RedisTimeoutError]


def _retry() -> Retry:
    # Without this the first command after a Redis restart fails on a stale pooled connection.
    return Retry(ExponentialBackoff(cap=2.0, base=0.05), retries=5)


# Connections one process may hold, and how long a command waits for a free one. A burst must
# queue for a connection, never fail: redis-py's default pool raises MaxConnectionsError at its
# cap, which the edge used to report as "Redis is unreachable" (503) with Redis healthy.
POOL_SIZE = 64
POOL_WAIT_S = 5.0
# On a cluster, no command waits for its reply forever. The longest a healthy Redis takes is a
# blocking read's BLOCK (RAPPORT_POLL_MS, at most 10 s), so 20 s means a connection that stopped
# answering: the command fails with a TimeoutError, the connection is dropped and the caller's
# loop goes on. Seen on a Redis Cluster under heavy load: a batch script's reply never came (the
# script had run), and that partition's reader waited for it until the process was restarted.
COMMAND_TIMEOUT_S = 20.0
# On a cluster, connections a node may hold beyond the in-flight bound, for the blocking
# reads: RAPPORT_PARTITIONS is at most 1,024, and a process runs at most a few stages.
NODE_CONNECTIONS_FOR_READS = 4 * 1024
CONNECT_TIMEOUT_S = 5.0


class PoolExhaustedError(MaxConnectionsError):
    """Every connection of this process's pool stayed busy for the whole wait: the process is
    saturated, Redis itself may be perfectly healthy. redis-py's BlockingConnectionPool raises
    a bare ``ConnectionError("No connection available.")``, indistinguishable from Redis being
    down; this one says what happened, so the edge answers 429 (not "Redis is unreachable")
    and the handoff circuit breaker never counts it."""


class _Pool(BlockingConnectionPool):
    async def get_connection(self, command_name: Any = None, *keys: Any, **options: Any) -> Any:
        try:
            return await super().get_connection()  # type: ignore[no-untyped-call]
        except RedisConnectionError as exc:
            if isinstance(exc.__cause__, TimeoutError) and "No connection available" in str(exc):
                raise PoolExhaustedError(
                    f"all {self.max_connections} Redis connections of this process were busy "
                    f"for {self.timeout:g} s"
                ) from exc
            raise


# Connections a client keeps between its commands (see _Client), at most a quarter of its pool:
# beyond that (a burst of concurrent commands) they go back to the pool, so that pipelines and
# transactions, which always take theirs from the pool, never wait behind kept ones.
KEPT_CONNECTIONS = 8


class _Client(Redis):
    """redis-py's standalone client, its commands sent on a connection it keeps between them.

    Why: redis-py takes a connection from the pool and gives it back around every command,
    and records its observability metrics for each; both cost 60-100 us of CPU per command on
    the machines Rapport is measured on, 30-40 % of what a whole round trip costs the caller
    (``benchmarks/redis_round_trip.py``; docs/performance.md, 2026-12-08). At a few
    messages per batch a stage sends one or two commands per message, so that was several
    percent of every service's CPU. What a command does on its connection is redis-py's own
    (its retry with reconnect, its health check, its reply parsing); only the pool round is
    skipped. A command that fails in any way (an error, a cancel mid-reply) disconnects its
    connection and gives it back to the pool, so a kept connection never holds a stale reply.
    Pipelines, transactions and blocking-pool waits are unchanged: they use the pool."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept: list[Any] = []
        max_connections = getattr(self.connection_pool, "max_connections", 0) or 0
        self._keep = min(KEPT_CONNECTIONS, max_connections // 4)

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if self.single_connection_client or self.connection is not None:
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        pool = self.connection_pool
        kept = self._kept
        conn = kept.pop() if kept else await pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            result = await conn.retry.call_with_retry(
                lambda: self._send_command_parse_response(conn, args[0], *args, **options),  # type: ignore[no-untyped-call]
                lambda _error: conn.disconnect(),
            )
        except BaseException:
            try:
                # The command's own error is the one to raise; a connection that also fails
                # to close (already broken) is dropped all the same.
                with contextlib.suppress(Exception):
                    await conn.disconnect()
            finally:
                await pool.release(conn)
            raise
        if len(kept) < self._keep:
            kept.append(conn)
        else:
            await pool.release(conn)
        return result


def is_saturation(exc: BaseException) -> bool:
    """True for a refusal of this process's own making (its pool was exhausted), not Redis's."""
    return isinstance(exc, MaxConnectionsError)


class ClusterURLError(ValueError):
    """A ``redis+cluster://`` URL that names no usable seed node."""


def cluster_nodes(url: str) -> tuple[list[tuple[str, int]], dict[str, Any]]:
    """Seed nodes and client options of ``redis+cluster://[user:password@]host:port,...``
    (``rediss+cluster://`` for TLS). A query string is refused: say what you need instead."""
    scheme, _, rest = url.partition("://")
    if scheme not in ("redis+cluster", "rediss+cluster") or not rest:
        raise ClusterURLError(f"not a cluster URL: use redis+cluster://host:port,... ({url!r})")
    rest = rest.split("/", 1)[0]
    if "?" in rest:
        raise ClusterURLError("options in a cluster URL are not supported; remove the ?...")
    auth, _, hosts = rest.rpartition("@")
    options: dict[str, Any] = {"ssl": scheme == "rediss+cluster"}
    if auth:
        user, _, password = auth.partition(":")
        options["username"] = unquote(user) or None
        options["password"] = unquote(password) or None
    nodes = []
    for item in hosts.split(","):
        host, _, port = item.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ClusterURLError(
                f"cluster seed {item!r} is not host:port; write "
                "redis+cluster://10.0.0.1:6379,10.0.0.2:6379"
            )
        nodes.append((host.strip("[]"), int(port)))
    return nodes, options


class _Cluster(RedisCluster):
    """redis-py's cluster client, plus a plain client per master for WATCH transactions.

    Why: after WATCH, redis-py's asyncio cluster pipeline runs each read (the GET of the
    watched state) through its synchronous API, in a thread with an event loop of its own; it
    blocks the service's loop, and once the client must re-read the topology (a fail-over) it
    fails with "bound to a different event loop", every time. A standalone client on the node
    that owns the slot runs the same WATCH/MULTI as on a single Redis; the cluster client keeps
    the slot map current (its own commands follow MOVED and fail-overs)."""

    def __init__(
        self, node_options: dict[str, Any], pool_size: int, wait_s: float, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._node_options = node_options
        self._node_pool = (pool_size, wait_s)
        self._node_clients: dict[str, Redis] = {}
        # redis-py's cluster nodes raise MaxConnectionsError at max_connections instead of
        # waiting, and a pipeline that meets it closes every connection of the client
        # (ClusterPipeline.execute retries "connection errors" after aclose()), under the
        # commands other tasks are writing: seen in a burst on the cluster as batches failing
        # with "'NoneType' object has no attribute 'writelines'" and "the handler is closed".
        # So at most pool_size commands and pipelines of this client are out at once (each
        # holds at most one connection per node); the rest wait their turn, as on the
        # standalone client's blocking pool. The stages' blocking reads are left out: there
        # is one per partition and stage whatever the load, each waits up to RAPPORT_POLL_MS,
        # and with many partitions they would hold every turn. The nodes' own cap is then set
        # far above (see connect), so it is never what refuses a command.
        self._in_flight = asyncio.Semaphore(pool_size)

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        if _holds_a_turn.get() or _is_a_blocking_read(args):
            return await super().execute_command(*args, **kwargs)
        async with self._in_flight:
            token = _holds_a_turn.set(True)
            try:
                return await super().execute_command(*args, **kwargs)
            finally:
                _holds_a_turn.reset(token)

    def pipeline(self, transaction: Any | None = None, shard_hint: Any | None = None) -> Any:
        if shard_hint:
            return super().pipeline(transaction, shard_hint)  # raises redis-py's own error
        # redis-py builds its own ClusterPipeline the same way (its base leaves an attribute
        # abstract that the instance sets).
        return _TakingTurnsPipeline(self, transaction)  # type: ignore[abstract]

    async def node_client(self, key: str) -> Redis:
        if self._initialize:
            await self.initialize()
        node = self.nodes_manager.get_node_from_slot(self.keyslot(key), False)
        client = self._node_clients.get(node.name)
        if client is None:
            options = dict(self._node_options)
            if options.pop("ssl", False):
                options["connection_class"] = SSLConnection
            size, wait_s = self._node_pool
            pool = _Pool(
                host=node.host,
                port=node.port,
                max_connections=size,
                timeout=wait_s,
                retry=_retry(),
                retry_on_error=_RETRY_ON,
                health_check_interval=30,
                socket_timeout=COMMAND_TIMEOUT_S,
                socket_connect_timeout=CONNECT_TIMEOUT_S,
                **options,
            )
            client = self._node_clients[node.name] = Redis.from_pool(pool)
        return client

    async def aclose(self) -> None:
        clients, self._node_clients = list(self._node_clients.values()), {}
        for client in clients:
            await client.aclose()
        await super().aclose()


def _is_a_blocking_read(args: Sequence[Any]) -> bool:
    # redis-py builds XREADGROUP as ("XREADGROUP", b"GROUP", ..., b"BLOCK", ms, ...).
    return bool(args) and args[0] == "XREADGROUP" and (b"BLOCK" in args or "BLOCK" in args)


# Set while a task runs a command or pipeline of a _Cluster under its in-flight bound (and
# inherited by the tasks redis-py starts inside it), so that a command the client might run
# from inside another never waits for a second turn that may not come. Defensive: redis-py
# 8.1's pipelines and topology refresh use the nodes' connections directly.
_holds_a_turn: ContextVar[bool] = ContextVar("rapport_cluster_turn", default=False)


class _TakingTurnsPipeline(ClusterPipeline):
    """A cluster pipeline that runs under its client's in-flight bound (see _Cluster)."""

    async def execute(self, raise_on_error: bool = True, allow_redirections: bool = True) -> Any:
        client = self.cluster_client
        if _holds_a_turn.get() or not isinstance(client, _Cluster):
            return await super().execute(raise_on_error, allow_redirections)
        async with client._in_flight:
            token = _holds_a_turn.set(True)
            try:
                return await super().execute(raise_on_error, allow_redirections)
            finally:
                _holds_a_turn.reset(token)


async def watch_and_mget(pipe: Pipeline, watched: Sequence[str], keys: Sequence[str]) -> list[Any]:
    """``WATCH watched`` then ``MGET keys`` on ``pipe``'s connection in one round trip (see
    :func:`watch_and_read`); the values of ``keys``."""
    values, _ = await watch_and_read(pipe, watched, keys)
    return values


async def watch_and_read(
    pipe: Pipeline, watched: Sequence[str], keys: Sequence[str], hashes: Sequence[str] = ()
) -> tuple[list[Any], list[dict[Any, Any]]]:
    """``WATCH watched``, ``MGET keys`` and ``HGETALL`` of each of ``hashes`` on ``pipe``'s
    connection, all sent in one write and their replies read in turn: one round trip where
    ``await pipe.watch(...)``, ``await pipe.mget(...)`` and the hashes' reads take two or
    three (issue 14: the router's batches are small under load, ~3-5 messages, and each round
    trip of a batch is a wait for Redis and for the CPU that the batch's messages all share).
    Returns the values of ``keys`` and each hash as a dict (empty when it does not exist).
    The pipeline is left exactly as after ``watch`` and ``mget``: WATCHing on its own
    connection, so ``multi()`` and ``execute()`` run the transaction that the WATCH guards,
    and its reset UNWATCHes.

    A connection error (or timeout) raises :class:`WatchError`, as redis-py does for a
    command that fails while watching: the caller decides again on a fresh connection. Any
    other failure drops the connection (a reply may be left unread) and is raised."""
    if not keys:
        raise ValueError("watch_and_read needs at least one key to read")
    conn = pipe.connection
    if conn is None:
        conn = pipe.connection = await pipe.connection_pool.get_connection()  # type: ignore[no-untyped-call]
    # From here on the pipeline's reset() UNWATCHes (or drops) the connection, whatever happens.
    pipe.watching = True
    commands: list[tuple[Any, ...]] = [("WATCH", *watched), ("MGET", *keys)]
    commands += [("HGETALL", key) for key in hashes]
    try:
        await conn.send_packed_command(conn.pack_commands(commands))
        await conn.read_response()  # +OK
        values: Any = await conn.read_response()
        read = [_as_dict(await conn.read_response()) for _ in hashes]
    except (RedisConnectionError, RedisTimeoutError) as exc:
        await conn.disconnect()
        raise WatchError(f"a {type(exc).__name__} occurred while watching keys") from exc
    except BaseException:
        await conn.disconnect()
        raise
    return list(values), read


def _as_dict(reply: Any) -> dict[Any, Any]:
    """An ``HGETALL`` reply read off the connection: a map in RESP3, a flat list of fields and
    values in RESP2 (redis-py's own callback, which makes the dict, is not on this path)."""
    if isinstance(reply, dict):
        return reply
    return dict(zip(reply[::2], reply[1::2], strict=True))


def is_cluster(redis: Redis) -> bool:
    """Whether ``redis`` is the cluster client :func:`connect` makes for a cluster URL."""
    return isinstance(redis, _Cluster)


async def transaction_client(redis: Redis, key: str) -> Redis:
    """The client to run a WATCH/MULTI on ``key``'s slot with: ``redis`` itself, or on a
    cluster the plain client of the master owning the slot (see :class:`_Cluster`)."""
    if isinstance(redis, _Cluster):
        return await redis.node_client(key)
    return redis


def connect(url: str, pool_size: int = POOL_SIZE, wait_s: float = POOL_WAIT_S) -> Redis:
    """A client for ``url``: standalone Redis (``redis://``, ``rediss://``, ``unix://``) or,
    for ``redis+cluster://host:port,...``, redis-py's asyncio :class:`RedisCluster`, which
    follows MOVED/ASK redirections and a fail-over's new topology by itself. The cluster
    client is typed as :class:`Redis`: Rapport uses only the commands both share (every key
    of one call, script or MULTI in one slot; see rapport_runtime.partitions)."""
    if url.startswith(CLUSTER_SCHEMES):
        nodes, options = cluster_nodes(url)
        cluster = _Cluster(
            options,
            pool_size,
            wait_s,
            startup_nodes=[ClusterNode(host, port) for host, port in nodes],
            # The client's in-flight bound (pool_size) is what makes a burst wait; the nodes'
            # cap only has to leave room for it plus the blocking reads (one per partition
            # and stage), so a node never raises MaxConnectionsError (see _Cluster).
            max_connections=pool_size + NODE_CONNECTIONS_FOR_READS,
            retry=_retry(),
            retry_on_error=list[type[Exception]](_RETRY_ON),
            health_check_interval=30,
            socket_timeout=COMMAND_TIMEOUT_S,
            socket_connect_timeout=CONNECT_TIMEOUT_S,
            **options,
        )
        return cast("Redis", cluster)
    pool = _Pool.from_url(
        url,
        max_connections=pool_size,
        timeout=wait_s,
        retry=_retry(),
        retry_on_error=_RETRY_ON,
        health_check_interval=30,
    )
    return _Client.from_pool(pool)  # owns the pool: aclose() closes its connections


async def ensure_group(redis: Redis, stream: str, group: str) -> None:
    """Create ``group`` on ``stream`` at ``0`` (and the stream if needed), so that nothing
    published before a consumer first started is skipped; an existing group is left as is."""
    try:
        await redis.xgroup_create(stream, group, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


async def ensure_groups(redis: Redis, streams: Streams) -> None:
    """Every consumer group Rapport's own stages read."""
    for stream, groups in streams.groups().items():
        for group in groups:
            await ensure_group(redis, stream, group)


# RAPPORT_STORED_FORM of this process (set once by the service's app at its start, before any
# write): whether stored_value deflates. Process-wide because every writer of a process must
# store the same form, and the writers are plain functions called from many stages.
_deflate_stored = False


def use_stored_form(form: str) -> None:
    """Set this process's stored form: ``json`` or ``deflate`` (``RAPPORT_STORED_FORM``)."""
    global _deflate_stored
    if form not in ("json", "deflate"):
        raise ValueError(f"RAPPORT_STORED_FORM is json or deflate, not {form!r}")
    _deflate_stored = form == "deflate"


def stored_value(event: Event | str) -> str | bytes:
    """What a writer stores for ``event`` (or its compact JSON already made): the compact
    JSON, deflated when this process's stored form is ``deflate``
    (:mod:`rapport_contracts.stored`; every ``Model.read`` reads both)."""
    data = event if isinstance(event, str) else event.compact_json()
    if _deflate_stored and not is_deflated(data):
        return deflate(data)
    return data


def xadd_event(pipe: Pipeline | Redis, stream: str, event: Event | str, maxlen: int) -> Any:
    """``event`` or its JSON already made (an event stored twice is serialised once)."""
    return pipe.xadd(
        stream,
        {DATA_FIELD: stored_value(event)},
        maxlen=maxlen,
        approximate=True,
    )


# A record's value that refers to the stream entry holding the event (``<entry id>@<stream>``)
# instead of a second copy of its JSON (issue 14: every message and decision was stored twice,
# ~1.9 KB of the ~5.1 KB retained per message). A reference is ~40 bytes, so a record of up to
# ``hash-max-listpack-entries`` (128) of them stays a listpack on a default Redis, where a hash
# of JSON values (> 64 bytes each) is a hashtable with ~100 bytes of overhead per field.
REF_SEPARATOR = "@"


# A reference may carry a tag before the entry id, ``<tag>:<entry id>@<stream>``: the one fact
# its reader needs without the entry (the handoffs record's status, whose "delivered already?"
# check must not depend on an entry that MAXLEN may have trimmed). Entry ids hold no ``:``.
TAG_SEPARATOR = ":"


def record_ref(value: bytes | str) -> tuple[str, str] | None:
    """``(stream, entry id)`` if a record's value is a reference (tagged or not), None if it
    is the event's JSON itself (records written before references, or by hand)."""
    text = value.decode() if isinstance(value, bytes) else value
    if text[:1] in ("{", ""):
        return None
    entry_id, sep, stream = text.partition(REF_SEPARATOR)
    return (stream, entry_id.rpartition(TAG_SEPARATOR)[2]) if sep and stream else None


def record_tag(value: bytes | str) -> str | None:
    """The tag of a tagged reference (``delivered`` of ``delivered:<id>@<stream>``); None for
    an untagged one or for JSON."""
    text = value.decode() if isinstance(value, bytes) else value
    if record_ref(text) is None:
        return None
    tag, sep, _ = text.partition(REF_SEPARATOR)[0].rpartition(TAG_SEPARATOR)
    return tag if sep else None


async def _resolve(redis: Redis, values: list[Any]) -> list[bytes | None]:
    """Each value as event JSON, position for position; None where the entry is gone."""
    out: list[bytes | None] = [v if isinstance(v, bytes) else str(v).encode() for v in values]
    refs = [(i, ref) for i, v in enumerate(values) if (ref := record_ref(v)) is not None]
    if not refs:
        return out
    async with redis.pipeline(transaction=False) as read:
        for _, (stream, entry_id) in refs:
            read.xrange(stream, min=entry_id, max=entry_id, count=1)
        pages: list[Any] = await read.execute()
    for (i, _), page in zip(refs, pages, strict=True):
        out[i] = page[0][1].get(DATA_FIELD.encode()) if page else None
    return out


async def resolve_records(redis: Redis, *groups: list[Any]) -> list[list[bytes]]:
    """Records' values (``HVALS`` replies, one list per record) as event JSON, each list in
    its order: references are read from their streams, all in one pipelined round trip
    (``XRANGE id id`` each); JSON values are kept as they are. An entry its stream no longer
    holds (trimmed by ``MAXLEN``, or erased) is left out: the record shows what the history
    still has."""
    values = await _resolve(redis, [v for group in groups for v in group])
    out: list[list[bytes]] = []
    start = 0
    for group in groups:
        out.append([v for v in values[start : start + len(group)] if v is not None])
        start += len(group)
    return out


async def resolve_record_maps(
    redis: Redis, records: list[dict[Any, Any]]
) -> list[dict[Any, bytes]]:
    """Records' ``HGETALL`` replies with their references resolved, all in one round trip (a
    field whose entry is gone is left out)."""
    flat = [(n, f) for n, record in enumerate(records) for f in record]
    values = await _resolve(redis, [records[n][f] for n, f in flat])
    out: list[dict[Any, bytes]] = [{} for _ in records]
    for (n, f), v in zip(flat, values, strict=True):
        if v is not None:
            out[n][f] = v
    return out


class ConversationKeys:
    """Keys of one conversation's record. The ``{site:conversation}`` hash tag keeps them in one
    slot, so a Redis Cluster can still update them in one transaction."""

    def __init__(self, prefix: str, site: str, conversation_id: str) -> None:
        base = f"{prefix}:conv:{{{site}:{conversation_id}}}"
        self.messages = f"{base}:messages"  # hash message_id -> ClassifiedMessage JSON
        self.turns = f"{base}:turns"  # recent turns, oldest first (Turn.pack)
        self.decisions = f"{base}:decisions"  # hash decision_id -> Decision JSON
        # hash handoff_id -> reference tagged with the status (<status>:<id>@<stream>), or
        # HandoffResult JSON (before references, and a dead-lettered handoff's)
        self.handoffs = f"{base}:handoffs"
        self.state = f"{base}:state"  # the router's ConversationState JSON

    def all(self) -> tuple[str, ...]:
        return (self.messages, self.turns, self.decisions, self.handoffs, self.state)


def dedupe_key(prefix: str, scope: str, *parts: str) -> str:
    """The key marking ``parts`` as seen in ``scope``: ``<prefix>:seen:<scope>:<digest>``, the
    digest 16 characters (96 bits of BLAKE2b, base64url) of the parts, each prefixed with its
    length so that no two lists of parts share a key whatever characters they hold
    (conversation ``order`` with message ``42:1`` and conversation ``order:42`` with message
    ``1`` used to collide). Fixed length whatever the ids (two UUIDs made the readable form
    ~110 characters; there are two such keys per message, kept a day): the scope stays
    readable, so ``SCAN MATCH rapport:seen:edge:*`` still counts them. A collision needs about
    2^48 live keys."""
    joined = "\x00".join(f"{len(part)}:{part}" for part in parts).encode()
    digest = base64.urlsafe_b64encode(hashlib.blake2b(joined, digest_size=12).digest()).decode()
    return f"{prefix}:seen:{scope}:{digest}"


# Many small writes as one command. redis-py spends ~50 µs of Python per command (packing,
# parsing, an asyncio timeout each), which dominated the stages' batches; one script call per
# batch keeps the MULTI/EXEC atomicity (it runs inside the transaction) at a fraction of the cost.
# The keys are not all declared, which Redis allows; on a Redis Cluster every key of one batch
# shares its partition's hash tag, and the first one routes the call.
_APPLY = """
local allowed = {HSET=1, HDEL=1, XADD=1, XACK=1, EXPIRE=1, SET=1, RPUSH=1, LTRIM=1, ZADD=1, ZREM=1}
-- Seconds since the epoch of an ISO 8601 time (any offset), for ordering records by it.
local function epoch(s)
  if not s then return 0 end
  local y, mo, d, h, mi, sec, frac, tz =
    string.match(s, '^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)(%.?%d*)(.*)$')
  if not y then return 0 end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  if mo <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * ((mo + 9) % 12) + 2) / 5) + d - 1
  local days = era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  local t = (days - 719468) * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(sec)
  if frac ~= '' then t = t + tonumber('0' .. frac) end
  local sign, oh, om = string.match(tz, '^([+-])(%d%d):?(%d%d)$')
  if sign then
    local off = tonumber(oh) * 3600 + tonumber(om) * 60
    if sign == '+' then t = t - off else t = t + off end
  end
  return t
end
-- HCAP key keep slack field: once the hash holds more than keep + slack records, drop all but
-- the newest keep by the time in each JSON value's first "field" (amortised: one HGETALL per
-- slack writes, not one per write).
local function hcap(key, keep, slack, field)
  if redis.call('HLEN', key) <= keep + slack then return end
  local all = redis.call('HGETALL', key)
  local items = {}
  local pattern = '"' .. field .. '"%s*:%s*"([^"]*)"'
  for j = 1, #all, 2 do
    -- A reference (<ms>-<seq>@<stream>) is ordered by its entry id; JSON by its field.
    local ms, seq = string.match(all[j + 1], '^%l*:?(%d+)%-(%d+)@')
    if ms then
      items[#items + 1] = {all[j], tonumber(ms) / 1000, tonumber(seq)}
    else
      items[#items + 1] = {all[j], epoch(string.match(all[j + 1], pattern)), 0}
    end
  end
  table.sort(items, function(a, b)
    if a[2] ~= b[2] then return a[2] < b[2] end
    return a[3] < b[3]
  end)
  for j = 1, #items - keep do redis.call('HDEL', key, items[j][1]) end
end
-- The writes come as one JSON array (see Writes.apply): one argument to pack, not thousands.
-- A number in it is the index of a binary value (a deflated event) passed after it.
local BLOBS = ARGV
local ARGV = cjson.decode(BLOBS[1])
if #BLOBS > 1 then
  for j = 1, #ARGV do
    if type(ARGV[j]) == 'number' then ARGV[j] = BLOBS[ARGV[j] + 1] end
  end
end
local i, n = 1, #ARGV
while i <= n do
  local op, argc = ARGV[i], tonumber(ARGV[i + 1])
  if op == 'HCAP' then
    hcap(ARGV[i + 2], tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4]), ARGV[i + 5])
  elseif op == 'XREF' then
    -- XREF stream maxlen field data key hfield [tag]: the event goes to the stream once, and
    -- the record's field refers to its entry ([tag:]<id>@<stream>) instead of holding a
    -- second copy.
    local stream = ARGV[i + 2]
    local id = redis.call('XADD', stream, 'MAXLEN', '~', ARGV[i + 3], '*', ARGV[i + 4], ARGV[i + 5])
    local tag = ''
    if argc >= 7 then tag = ARGV[i + 8] .. ':' end
    redis.call('HSET', ARGV[i + 6], ARGV[i + 7], tag .. id .. '@' .. stream)
  elseif not allowed[op] then
    return redis.error_reply('rapport: command not allowed: ' .. op)
  else
    redis.call(op, unpack(ARGV, i + 2, i + 1 + argc))
  end
  i = i + 2 + argc
end
return n
"""


class Writes:
    """Writes collected for one batch and applied by a single script call."""

    def __init__(self) -> None:
        self.args: list[str | int] = []
        # Deflated values (RAPPORT_STORED_FORM=deflate) are binary, which the JSON argument
        # cannot carry: each goes as an argument of its own, and the JSON holds its index
        # (a number; every other item is a string), which the script swaps back.
        self.blobs: list[bytes] = []

    def _op(self, *parts: str | bytes | int) -> None:
        self.args += [str(parts[0]), str(len(parts) - 1)]
        for p in parts[1:]:
            if isinstance(p, bytes) and is_deflated(p):
                self.blobs.append(p)
                self.args.append(len(self.blobs))
            else:
                self.args.append(p.decode() if isinstance(p, bytes) else str(p))

    def hset(self, key: str, field: str, value: str) -> None:
        self._op("HSET", key, field, value)

    def expire(self, key: str, seconds: int) -> None:
        self._op("EXPIRE", key, seconds)

    def set(self, key: str, value: str | bytes, ex: int) -> None:
        self._op("SET", key, value, "EX", ex)

    def rpush(self, key: str, *values: str) -> None:
        self._op("RPUSH", key, *values)

    def ltrim(self, key: str, start: int, end: int) -> None:
        self._op("LTRIM", key, start, end)

    def xadd(self, stream: str, event: Event | str, maxlen: int, *, pipe: bool = False) -> None:
        """``event`` or its JSON already made (an event stored twice is serialised once). A
        ``pipe`` entry (an internal hop, kept minutes) is the compact JSON in any stored form."""
        if pipe:
            data: str | bytes = event if isinstance(event, str) else event.compact_json()
        else:
            data = stored_value(event)
        self._op("XADD", stream, "MAXLEN", "~", maxlen, "*", DATA_FIELD, data)

    def xadd_ref(
        self, stream: str, event: Event | str, maxlen: int, key: str, field: str, tag: str = ""
    ) -> None:
        """``XADD`` the event and set ``key``'s ``field`` to a reference to its entry
        (``<id>@<stream>``, see :func:`resolve_records`): stored once, found from both. A
        ``tag`` (letters only) goes before the id, ``<tag>:<id>@<stream>`` (:func:`record_tag`)."""
        data = stored_value(event)
        if tag and not (tag.isascii() and tag.isalpha() and tag.islower()):
            raise ValueError(f"a reference's tag is lower-case letters: {tag!r}")
        self._op("XREF", stream, maxlen, DATA_FIELD, data, key, field, *([tag] if tag else []))

    def xack(self, stream: str, group: str, *entry_ids: str) -> None:
        if entry_ids:
            self._op("XACK", stream, group, *entry_ids)

    def hcap(self, key: str, keep: int, by: str) -> None:
        """Keep the newest ``keep`` records of hash ``key``, ordered by the ISO time in each
        JSON value's first ``by`` field (``received_at``, ``decided_at``, ``at``); the hash
        may hold up to a quarter more between trims, which happen once per that many
        writes."""
        self._op("HCAP", key, keep, max(1, keep // 4), by)

    def zadd(self, key: str, score: float, member: str) -> None:
        self._op("ZADD", key, repr(score), member)

    def apply(self, target: Pipeline | Redis) -> Any:
        if not self.args:
            return None
        # One JSON argument: redis-py packs every argument of a command in Python (~1 us
        # each), which for a batch's few thousand arguments was 12 % of the router's CPU
        # (py-spy); json.dumps does the same in C, and the script decodes it with cjson. The
        # first key written is declared (the script ignores KEYS) so that a Redis Cluster
        # client sends the script to the node owning the batch's slot; partitioned keys put
        # every key of a batch in that one slot (rapport_runtime.partitions).
        keys = [self.args[2]] if self.args[1] != "0" else []  # a first op with no key: none
        data = json.dumps(self.args, ensure_ascii=False)
        return target.eval(_APPLY, len(keys), *keys, data, *self.blobs)


# --------------------------------------------------------------------------- stream retention

# Streams that are internal hops (a queue between two stages, whose content lives on in the
# next stage's stream and the conversation record) and those that are history (replays read
# classified; the console reads decisions, handoffs and feedback; integrations read the rest).
# The DLQ is never trimmed by age: its entries wait for an operator.
TRIM_EVERY_S = 30.0


def pipe_streams(streams: Streams) -> tuple[str, str]:
    """The internal hops, kept ``pipe_retention_s`` after every group has read them: their
    content lives on in the classified stream and the conversation record."""
    return streams.messages, streams.escalations


def retention_s(streams: Streams, stream: str, pipe_s: int, history_s: int) -> int | None:
    if stream == streams.dlq:
        return None
    return pipe_s if stream in pipe_streams(streams) else history_s


def _next_id(entry_id: str) -> str:
    ms, _, seq = entry_id.partition("-")
    return f"{ms}-{int(seq or 0) + 1}"


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def safe_min_id(redis: Redis, stream: str, cutoff_ms: int) -> str:
    """The MINID to trim ``stream`` to: entries older than ``cutoff_ms``, but never one that a
    consumer group (Rapport's or anyone's) has not read yet or has read and not acked: the
    bound is each group's oldest pending entry, else the entry after its last-delivered id."""
    bound = f"{cutoff_ms}-0"
    try:
        groups: Any = await redis.xinfo_groups(stream)
    except ResponseError:  # no such stream
        return "0-0"
    for group in groups:
        name = _text(group["name"])
        last = _text(group.get("last-delivered-id") or "0-0")
        needed = _next_id(last)
        if int(group.get("pending") or 0):
            summary: Any = await redis.xpending(stream, name)
            oldest = summary.get("min")
            if oldest is not None and _id_key(_text(oldest)) < _id_key(needed):
                needed = _text(oldest)
        if _id_key(needed) < _id_key(bound):
            bound = needed
    return bound


async def trim_by_age(
    redis: Redis, streams: Streams, pipe_s: int, history_s: int, *, approximate: bool = True
) -> int:
    """One pass of age trimming over every Rapport stream (``XTRIM MINID ~``, which never
    removes an entry at or after the MINID, and removes only whole radix-tree nodes, so a few
    more than the retention can stay); the entries removed."""
    now_ms = int(time.time() * 1000)
    removed = 0
    for stream in streams.all():
        keep_s = retention_s(streams, stream, pipe_s, history_s)
        if keep_s is None:
            continue
        min_id = await safe_min_id(redis, stream, now_ms - keep_s * 1000)
        if min_id != "0-0":
            removed += int(await redis.xtrim(stream, minid=min_id, approximate=approximate))
    return removed


async def run_trimmer(
    redis: Redis, streams: Streams, pipe_s: int, history_s: int, every_s: float = TRIM_EVERY_S
) -> None:
    """Trim by age every ``every_s`` until cancelled; errors are logged and retried."""
    while True:
        try:
            removed = await trim_by_age(redis, streams, pipe_s, history_s)
            if removed:
                log.debug("trimmed %d stream entries older than their retention", removed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("could not trim the streams by age (retrying): %r", exc)
        await asyncio.sleep(every_s)
