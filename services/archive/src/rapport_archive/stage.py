"""The archive stage: one per history stream, all in the ``archive`` consumer group.

A batch becomes rows (:mod:`rapport_archive.rows`), written in one transaction with
insert-or-ignore; the entries are acked only after that commit. A crash between the commit and
the ack redelivers the batch, whose rows are then ignored: at least once in, exactly once in
the store. The database calls run in a worker thread, so the event loop (health checks, the
other streams) never waits on them.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Sequence
from typing import Any, TypeVar

from prometheus_client import Counter
from redis.asyncio import Redis
from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError

from rapport_archive.rows import rows_of
from rapport_archive.store import Rows, write
from rapport_contracts import AutomationInstruction, ClassifiedMessage, Decision, HandoffResult
from rapport_contracts.events import Event, Feedback
from rapport_contracts.streams import ARCHIVE_GROUP
from rapport_runtime.consumer import Entry, Stage
from rapport_runtime.settings import RapportSettings

log = logging.getLogger("rapport.archive")

E = TypeVar("E", bound=Event)

STORE_BACKOFF_S = (0.5, 1.0, 2.0, 5.0)
ARCHIVED = Counter("rapport_archived_rows_total", "Rows written to the archive", ["table"])


class ArchiveStage(Stage[E]):
    group = ARCHIVE_GROUP

    def __init__(
        self,
        settings: RapportSettings,
        redis: Redis,
        engine: Engine,
        stream: str,
        event_type: type[E],
    ) -> None:
        super().__init__(settings, redis)
        self.engine = engine
        self.stream = stream
        self.event_type = event_type

    async def process(self, entries: Sequence[Entry[E]]) -> None:
        rows = Rows()
        for entry in entries:
            rows.extend(rows_of(entry.event))
        if len(rows):
            await self._write(rows)
            for table, written in rows.by_table.items():
                ARCHIVED.labels(table).inc(len(written))
        await self.redis.xack(self.stream, self.group, *(e.id for e in entries))

    async def _write(self, rows: Rows) -> None:
        """Write, waiting out a store that is away (a restart, a failover) instead of failing
        the batch: failed batches count deliveries and would end in the dead-letter stream,
        which is no place for history. Entries stay claimed meanwhile; a stop cancels."""
        for attempt in itertools.count():
            try:
                await asyncio.to_thread(write, self.engine, rows)
                return
            except (OperationalError, InterfaceError) as exc:
                delay = STORE_BACKOFF_S[min(attempt, len(STORE_BACKOFF_S) - 1)]
                log.warning(
                    "archive store unavailable (%s); retrying %d row(s) in %.1f s",
                    str(exc.orig or exc).strip().splitlines()[0][:300],
                    len(rows),
                    delay,
                )
                await asyncio.sleep(delay)


def archive_stages(settings: RapportSettings, redis: Redis, engine: Engine) -> list[Stage[Any]]:
    streams = settings.streams
    pairs: list[tuple[str, type[Event]]] = [
        (streams.classified, ClassifiedMessage),
        (streams.decisions, Decision),
        (streams.handoffs, HandoffResult),
        (streams.automation, AutomationInstruction),
        (streams.feedback, Feedback),
    ]
    assert {s for s, _ in pairs} == set(streams.archive_groups())
    return [ArchiveStage(settings, redis, engine, stream, kind) for stream, kind in pairs]
