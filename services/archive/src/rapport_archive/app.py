"""The archive service: history that outlives Redis.

Reads the history streams (``Streams.archive_groups()``) in its own consumer group and writes
each event to the store at ``RAPPORT_ARCHIVE_URL`` (:mod:`rapport_archive.stage`); deletes
rows older than ``RAPPORT_ARCHIVE_RETENTION_DAYS`` every ``RAPPORT_ARCHIVE_RETENTION_EVERY_S``.
The store is migrated to the newest revision before anything is read (``create_app``), so a
new version's schema is in place before its first write. ``/healthz`` and ``/readyz`` come
from the service frame, ``/metrics`` is on the internal metrics port.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette

from rapport_archive.migrate import upgrade
from rapport_archive.stage import archive_stages
from rapport_archive.store import ArchiveURLError, delete_older_than, make_engine, redact_url
from rapport_runtime.consumer import Stage
from rapport_runtime.partitions import all_partitions
from rapport_runtime.redis import ensure_group
from rapport_runtime.service import Runtime, build_app, stop_if_cancelled
from rapport_runtime.settings import RapportSettings

log = logging.getLogger("rapport.archive")

NOT_CONFIGURED = (
    "RAPPORT_ARCHIVE_URL is not set; set it to sqlite:///<path>/archive.db (embedded) or "
    "postgresql://user:password@host/database"
)


class ArchiveStoreError(ValueError):
    """The store cannot be reached or migrated; one line saying which and why."""


def first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def open_store(settings: RapportSettings) -> Engine:
    """The migrated store of ``settings``, or a ValueError saying what to set or fix."""
    if not settings.archive_url:
        raise ArchiveURLError(NOT_CONFIGURED)
    engine = make_engine(settings.archive_url)
    try:
        before, after = upgrade(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise ArchiveStoreError(
            f"the archive store at {redact_url(settings.archive_url)} could not be opened or "
            f"migrated: {first_line(exc)}"
        ) from None
    if before != after:
        log.info("archive store migrated from %s to %s", before or "nothing", after)
    return engine


async def run_retention(engine: Engine, settings: RapportSettings) -> None:
    """Delete expired rows every ``archive_retention_every_s`` until cancelled."""
    while True:
        stop_if_cancelled()
        try:
            removed = await asyncio.to_thread(
                delete_older_than, engine, settings.archive_retention_days
            )
            if any(removed.values()):
                log.info(
                    "archive retention (%d days) deleted %s",
                    settings.archive_retention_days,
                    ", ".join(f"{n} {t}" for t, n in removed.items() if n),
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("archive retention failed (%s); trying again later", first_line(exc))
        await asyncio.sleep(settings.archive_retention_every_s)


def create_app(settings: RapportSettings | None = None) -> Starlette:
    settings = settings or RapportSettings()
    engine = open_store(settings)

    async def start(runtime: Runtime) -> None:
        for part in all_partitions(settings):
            for stream, groups in part.streams.archive_groups().items():
                for group in groups:
                    await ensure_group(runtime.redis, stream, group)

    async def stages(runtime: Runtime) -> list[Stage[Any]]:
        return archive_stages(runtime.settings, runtime.redis, engine)  # the partition's

    async def background(runtime: Runtime) -> None:
        await run_retention(engine, settings)

    async def stop(runtime: Runtime) -> None:
        engine.dispose()

    app = build_app(
        "archive", settings, stages, on_start=start, on_stop=stop, background=background
    )
    app.state.archive_engine = engine
    return app
