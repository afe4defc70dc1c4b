"""How every Rapport stage consumes a stream: in batches, at least once, with effects that
happen once.

A :class:`StageRunner` runs two loops per stage, in the stage's consumer group:

* a batch reader (``XREADGROUP``, ``max_records`` entries per call) on the hot path;
* a reclaimer (``XAUTOCLAIM`` after ``reclaim_idle_ms``) that takes over entries a dead or
  failing consumer left pending, and parks an entry in the dead-letter stream once it has been
  delivered more than ``max_deliveries`` times.

While a batch is being processed its entries are touched (``XCLAIM ... JUSTID``, which resets
their idle time without counting a delivery), so a slow but live consumer's entries are never
reclaimed from under it. A consumer group that vanished (Redis lost its data, or someone ran
``XGROUP DESTROY``) is recreated at once, loudly, instead of stopping the consumer.

Acks are manual: a stage acknowledges an entry in the same MULTI/EXEC as the effects it caused
(see :meth:`Stage.ack`). An entry that fails to parse is parked at once (retrying cannot fix
it); a batch that fails is retried entry by entry so one poison entry never holds back the
others. Why an owned loop rather than FastStream's subscribers: ``docs/architecture.md``.

Longer than most modules on purpose: the stage contract and the loop that keeps it are one
design (delivery counting, reclaiming, dead-lettering), best read together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from prometheus_client import Counter
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import ResponseError

from rapport_contracts import DeadLetter, Event
from rapport_contracts.stored import StoredFormError, expand
from rapport_contracts.streams import DATA_FIELD
from rapport_runtime.errors import CAUGHT, TRANSIENT, is_transient
from rapport_runtime.logs import Id, bind, bind_event, bind_here, redact
from rapport_runtime.redis import ensure_group, transaction_client, xadd_event
from rapport_runtime.settings import RapportSettings

log = logging.getLogger("rapport_runtime.consumer")

E = TypeVar("E", bound=Event)

DEAD_LETTERS = Counter(
    "rapport_dead_letters_total", "Entries parked in the dead-letter stream", ["stream", "group"]
)
STAGE_FAILURES = Counter(
    "rapport_stage_failures_total", "Entries whose processing raised", ["stream", "group"]
)
GROUPS_RECREATED = Counter(
    "rapport_groups_recreated_total",
    "Consumer groups found missing (Redis lost its data) and recreated",
    ["stream", "group"],
)
# A consumer name idle this long with nothing pending is a process that is gone (pod names
# change on every restart): the reclaimer removes it so XINFO CONSUMERS stays readable.
DEAD_CONSUMER_IDLE_MS = 6 * 3600 * 1000
JANITOR_EVERY_S = 300.0

# Back-off after Redis errors in a loop: short, so a restart is followed quickly, but bounded so
# an outage does not become a busy loop.
ERROR_BACKOFF_S = (0.1, 0.5, 1.0, 2.0)
# A blocking read answers within its BLOCK time; one that has not answered this long after it
# is stuck on a connection (no socket timeout is set, since BLOCK must outlast it) and is
# abandoned: cancelling it drops that connection, and the loop reads again on a fresh one.
# (The quiet stall of two partitions' readers seen on a cluster under load was not a read: it
# was a finished batch waiting for its claim keeper, see _kept_claimed. This bound stays for a
# connection that really stops answering.)
READ_STALL_S = 15.0
# A batch still in hand after this long is said so in the log (and again each time as long),
# so that a stage that stops making progress says where it stopped.
SLOW_BATCH_S = 60.0
# How long a finished batch waits for an XCLAIM of its claim keeper still out: one round trip
# at most, on a healthy Redis (see _kept_claimed).
KEEPER_STOP_S = 2.0


def _payload_text(payload: bytes) -> str:
    """A dead letter's ``payload``: the entry's JSON, inflated when it was stored deflated (so
    the DLQ tools and erasure read it as JSON), or its bytes as they are when even that fails."""
    try:
        data = expand(payload)
    except StoredFormError:
        data = payload
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


@dataclass(frozen=True, slots=True)
class Entry(Generic[E]):
    id: str
    event: E


class Stage(Generic[E]):
    """One consumer group's work. Subclasses implement :meth:`process`, which must ack (with
    :meth:`ack`, in the same transaction as its effects) every entry it completes."""

    event_type: type[E]
    stream: str
    group: str
    # After a batch smaller than ``max_records``, the reader waits this long before it reads
    # again, so that entries nobody waits for are applied in fewer, larger batches (a batch's
    # round trips and turn cost the same for 2 entries as for 20). 0: read again at once.
    batch_pause_s: float = 0.0

    def __init__(self, settings: RapportSettings, redis: Redis) -> None:
        self.settings = settings
        self.redis = redis
        self.streams = settings.streams

    async def process(self, entries: Sequence[Entry[E]]) -> None:
        raise NotImplementedError

    def ack(self, pipe: Pipeline, entry_ids: Sequence[str]) -> None:
        if entry_ids:
            pipe.xack(self.stream, self.group, *entry_ids)

    @property
    def _errors_key(self) -> str:
        return f"{self.settings.prefix}:errors:{self.group}"

    async def dead_letter(
        self, entry_id: str, payload: bytes, deliveries: int, reason: str
    ) -> None:
        # The reason is often a helpdesk's error text or an exception's, which can quote the
        # customer: it is stored redacted, like every log line, since the DLQ outlives logs.
        reason = redact(reason)
        letter = DeadLetter(
            stream=self.stream,
            group=self.group,
            entry_id=entry_id,
            deliveries=deliveries,
            reason=reason[:2000],
            # Never cut: a replay must put back exactly what was parked. The edge bounds what
            # can enter the pipeline, so the size is bounded too.
            payload=_payload_text(payload),
        )
        client = await transaction_client(self.redis, self.stream)  # one slot (partition)
        async with client.pipeline(transaction=True) as pipe:
            xadd_event(pipe, self.streams.dlq, letter, self.settings.stream_maxlen)
            self.dead_letter_effects(pipe, payload, reason)
            pipe.hdel(self._errors_key, entry_id)
            self.ack(pipe, [entry_id])
            await pipe.execute()
        DEAD_LETTERS.labels(self.stream, self.group).inc()
        log.error(
            "dead-lettered %s entry %s after %d deliveries: %s",
            Id(self.stream),
            Id(entry_id),
            deliveries,
            reason,
        )

    def dead_letter_effects(self, pipe: Pipeline, payload: bytes, reason: str) -> None:
        """What else must happen, in the same transaction, when an entry of this stage is
        parked (the handoff stage reports a failed handoff, so the router can act)."""

    async def handle_raw(self, raw: Sequence[tuple[str, bytes]], deliveries: int = 1) -> None:
        entries: list[Entry[E]] = []
        for entry_id, payload in raw:
            try:
                event = self.event_type.read(payload)
            except ValidationError as exc:
                with bind(entry_id=entry_id):
                    await self.dead_letter(entry_id, payload, deliveries, f"invalid event: {exc}")
                continue
            entries.append(Entry(entry_id, event))
        if not entries:
            return
        try:
            # One entry: its ids are this record's context (a batch's stages bind each).
            with bind_event(entries[0].event, entries[0].id) if len(entries) == 1 else bind():
                await self.process(entries)
            return
        except Exception as exc:
            if len(entries) == 1:
                await self._remember_failure(entries[0].id, exc)
                raise
            log.warning("batch of %d failed (%r); retrying one by one", len(entries), exc)
        failed: Exception | None = None
        for entry in entries:
            try:
                with bind_event(entry.event, entry.id):
                    await self.process([entry])
            except Exception as exc:
                await self._remember_failure(entry.id, exc)
                failed = exc
        if failed is not None:
            # Leaves the failed entries pending: the reclaimer retries them later.
            raise failed

    async def _remember_failure(self, entry_id: str, exc: Exception) -> None:
        STAGE_FAILURES.labels(self.stream, self.group).inc()
        try:
            await self.redis.hset(
                self._errors_key, entry_id, redact(f"{type(exc).__name__}: {exc}")[:2000]
            )
        except Exception:  # the original error matters more than this bookkeeping
            log.exception("could not record the failure of entry %s", entry_id)

    async def reclaim(self, entry_id: str, payload: bytes, deliveries: int) -> None:
        if deliveries > self.settings.max_deliveries:
            last = await self.redis.hget(self._errors_key, entry_id)
            reason = (
                f"failed {deliveries - 1} deliveries; last error: {last.decode()}"  # type: ignore[union-attr]
                if last
                else f"left pending through {deliveries - 1} deliveries (consumer died or stalled)"
            )
            await self.dead_letter(entry_id, payload, deliveries, reason)
            return
        await self.handle_raw([(entry_id, payload)], deliveries)


def _entries(rows: Any) -> list[tuple[str, bytes]]:
    """(id, payload) of each entry an XREADGROUP or XAUTOCLAIM returned; the payload is the raw
    ``__data__`` bytes, parsed by the stage itself."""
    out = []
    for entry_id, fields in rows or ():
        key = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
        payload = fields.get(DATA_FIELD.encode(), b"") if isinstance(fields, dict) else b""
        out.append((key, payload))
    return out


def _said_if_died(task: asyncio.Task[None]) -> None:
    """A loop that ended of an error says which (/healthz reports only that it stopped)."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.critical("%s died: %r", task.get_name(), exc, exc_info=exc)


class StageRunner:
    """Runs one stage: its batch reader and its reclaimer, until stopped."""

    def __init__(self, stage: Stage[Any], settings: RapportSettings) -> None:
        self.stage = stage
        self.settings = settings
        self.redis = stage.redis
        self.consumer = settings.consumer_name
        self.reclaimer = f"{settings.consumer_name}-reclaimer"
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def __str__(self) -> str:
        return f"{self.stage.group} on {self.stage.stream}"

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._read_loop(), name=f"read {self}"),
            asyncio.create_task(self._reclaim_loop(), name=f"reclaim {self}"),
        ]
        for task in self._tasks:
            task.add_done_callback(_said_if_died)

    @property
    def running(self) -> bool:
        return bool(self._tasks) and not any(t.done() for t in self._tasks)

    def stopped_loops(self) -> list[str]:
        return [t.get_name() for t in self._tasks if t.done()]

    async def stop(self, timeout_s: float) -> None:
        """Stop reading; let the batch in hand finish (up to ``timeout_s``), then cancel."""
        self._stopping.set()
        if not self._tasks:
            return
        _, late = await asyncio.wait(self._tasks, timeout=timeout_s)
        for task in late:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _read_loop(self) -> None:
        stage, errors = self.stage, 0
        bind_here(stage=stage.group, stream=stage.stream)  # this loop's task only
        read_limit_s = self.settings.poll_ms / 1000 + READ_STALL_S
        while not self._stopping.is_set():
            try:
                async with asyncio.timeout(read_limit_s):
                    reply: Any = await self.redis.xreadgroup(
                        stage.group,
                        self.consumer,
                        {stage.stream: ">"},
                        count=self.settings.max_records,
                        block=self.settings.poll_ms,
                    )
                errors = 0
            except TimeoutError:
                log.error(
                    "%s: a read with a %d ms block had no answer after %.0f s; abandoned "
                    "(its connection is dropped) and read again",
                    self,
                    self.settings.poll_ms,
                    read_limit_s,
                )
                continue
            except CAUGHT as exc:
                if not is_transient(exc):
                    raise
                errors = await self._back_off(errors, exc)
                continue
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                await self._recreate_group(exc)
                continue
            if not reply:
                continue
            rows = _entries(reply[0][1])
            async with self._kept_claimed([entry_id for entry_id, _ in rows]):
                try:
                    await stage.handle_raw(rows)
                except Exception:
                    # Left pending: the reclaimer retries them and counts the deliveries.
                    log.exception("%s: a batch of %d failed; retried later", self, len(rows))
            if stage.batch_pause_s > 0 and len(rows) < self.settings.max_records:
                # Short: stop() waits for it (a full batch means a backlog: no pause then).
                await asyncio.sleep(stage.batch_pause_s)

    async def remove_dead_consumers(self, idle_ms: int = DEAD_CONSUMER_IDLE_MS) -> list[str]:
        """Delete consumers of this group idle longer than ``idle_ms`` with nothing pending;
        returns their names. One with pending entries stays: the reclaimer takes those first."""
        removed = []
        consumers: Any = await self.redis.xinfo_consumers(self.stage.stream, self.stage.group)
        for info in consumers:
            name = info["name"].decode() if isinstance(info["name"], bytes) else info["name"]
            if info.get("pending", 0) == 0 and int(info.get("idle", 0)) > idle_ms:
                await self.redis.xgroup_delconsumer(self.stage.stream, self.stage.group, name)
                removed.append(name)
        if removed:
            log.info("%s: removed %d dead consumer name(s): %s", self, len(removed), removed)
        return removed

    async def _reclaim_loop(self) -> None:
        stage, cursor, errors = self.stage, "0-0", 0
        next_janitor = 0.0
        bind_here(stage=stage.group, stream=stage.stream)
        while not self._stopping.is_set():
            if asyncio.get_running_loop().time() >= next_janitor:
                next_janitor = asyncio.get_running_loop().time() + JANITOR_EVERY_S
                with contextlib.suppress(*TRANSIENT, ResponseError):
                    await self.remove_dead_consumers()
            try:
                reply: Any = await self.redis.xautoclaim(
                    stage.stream,
                    stage.group,
                    self.reclaimer,
                    min_idle_time=self.settings.reclaim_idle_ms,
                    start_id=cursor,
                    count=self.settings.max_records,
                )
                errors = 0
            except CAUGHT as exc:
                if not is_transient(exc):
                    raise
                errors = await self._back_off(errors, exc)
                continue
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                await self._recreate_group(exc)
                continue
            next_cursor, claimed = reply[0], _entries(reply[1])
            cursor = next_cursor.decode() if isinstance(next_cursor, bytes) else str(next_cursor)
            if claimed:
                try:
                    await self._reclaim(claimed)
                except CAUGHT as exc:  # left claimed: taken over again after the idle time
                    if not is_transient(exc):
                        raise
                    errors = await self._back_off(errors, exc)
                    continue
            if cursor == "0-0" or not claimed:
                cursor = "0-0"
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._stopping.wait(), self.settings.reclaim_poll_ms / 1000
                    )

    async def _reclaim(self, claimed: list[tuple[str, bytes]]) -> None:
        stage = self.stage
        pending = await self.redis.xpending_range(
            stage.stream,
            stage.group,
            min=claimed[0][0],
            max=claimed[-1][0],
            count=len(claimed),
            consumername=self.reclaimer,
        )
        deliveries = {
            (
                p["message_id"].decode() if isinstance(p["message_id"], bytes) else p["message_id"]
            ): int(p["times_delivered"])
            for p in pending
        }
        for entry_id, payload in claimed:
            with bind(entry_id=entry_id):
                try:
                    await stage.reclaim(entry_id, payload, deliveries.get(entry_id, 1))
                except Exception:
                    log.exception("%s: reclaimed entry %s failed again; retried", self, entry_id)

    @contextlib.asynccontextmanager
    async def _kept_claimed(self, entry_ids: list[str]) -> AsyncIterator[None]:
        """While the batch is processed, reset its entries' idle time now and then, so that the
        reclaimer of another replica never takes over the entries of a live consumer.

        A timer of the event loop (``call_later``), not a task: almost every batch ends long
        before the first touch is due (``reclaim_idle_ms / 3``, 10 s by default), and a keeper
        task per batch (its start, its ``wait_for`` and the wait for it to end, two tasks and
        several loop turns) was a fixed cost of every batch, paid ~50 times a second per stage
        on small batches (docs/performance.md, 2026-12-03 evening). The timer is cancelled
        when the batch ends, which is safe at any time: it runs no command. A touch that is
        due starts its ``XCLAIM`` as a task of its own and schedules the next one; that task is
        never cancelled either: redis-py (8.1) can lose a task's cancellation that lands inside
        a command (the XCLAIM returns normally, about a third of the time in a test here;
        redis-py issues 2028, 2551), and a cancelled keeper that slept on was once awaited
        forever, so the batch, handled and acked, never left ``async with`` and the
        partition's reader stopped reading (seen on a burst into a cluster: lag growing,
        nothing pending, "still in hand after 60 s")."""
        interval = self.settings.reclaim_idle_ms / 3000
        loop = asyncio.get_running_loop()
        started = loop.time()
        finished = False
        said = 0
        touching: asyncio.Task[Any] | None = None
        timer: asyncio.TimerHandle | None = None

        async def touch() -> None:
            with contextlib.suppress(Exception):
                await self.redis.xclaim(
                    self.stage.stream,
                    self.stage.group,
                    self.consumer,
                    min_idle_time=0,
                    message_ids=list[Any](entry_ids),
                    justid=True,
                )

        def due() -> None:
            nonlocal said, touching, timer
            if finished:
                return
            running_s = loop.time() - started
            if running_s >= SLOW_BATCH_S * (said + 1):
                said += 1
                log.warning(
                    "%s: a batch of %d still in hand after %.0f s",
                    self,
                    len(entry_ids),
                    running_s,
                )
            if touching is None or touching.done():  # one XCLAIM out at a time
                touching = loop.create_task(touch())
            timer = loop.call_later(interval, due)

        timer = loop.call_later(interval, due)
        try:
            yield
        finally:
            finished = True
            timer.cancel()
            if touching is not None and not touching.done():
                # At most one XCLAIM is out when the batch ends; bounded all the same, so that
                # a connection that stopped answering cannot hold the reader: the touch is left
                # to end with its command, and its one late XCLAIM is harmless (the entries
                # are acked).
                await asyncio.wait({touching}, timeout=KEEPER_STOP_S)

    async def _recreate_group(self, exc: ResponseError) -> None:
        GROUPS_RECREATED.labels(self.stage.stream, self.stage.group).inc()
        log.error(
            "consumer group %s on %s is missing (%s): Redis lost its data or the group was "
            "deleted. Recreating it at 0: entries still in the stream will be processed; "
            "entries Redis no longer has, and pending deliveries, are lost. Check Redis "
            "persistence (AOF) and `rapport dlq list`.",
            self.stage.group,
            self.stage.stream,
            exc,
        )
        try:
            await ensure_group(self.redis, self.stage.stream, self.stage.group)
        except (*TRANSIENT, ResponseError) as error:
            await self._back_off(1, error)

    async def _back_off(self, errors: int, exc: Exception) -> int:
        delay = ERROR_BACKOFF_S[min(errors, len(ERROR_BACKOFF_S) - 1)]
        log.warning("%s: Redis error %s; retrying in %.1f s", self, exc, delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), delay)
        return errors + 1
