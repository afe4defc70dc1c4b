"""A running console (real HTTP, real Redis, its own key prefix) holding a seeded
conversation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis as redis_sync
import uvicorn
from sqlalchemy import func, select
from starlette.applications import Starlette

from rapport_archive.app import create_app as create_archive
from rapport_archive.store import DecisionRow, FeedbackRow, make_engine
from rapport_console.app import ConsoleSettings, create_app
from rapport_contracts import Streams
from rapport_runtime.settings import RapportSettings
from rapport_tools.dev import free_port
from tests.console.seed import Seeded, seed

TOKEN = "console-test-token-0123456789"


@dataclass(frozen=True)
class Console:
    url: str
    prefix: str
    seeded: Seeded


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """``app`` served by uvicorn on a free port in a thread; its URL once ready."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    try:
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the console did not become ready")
            time.sleep(0.05)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


MakeConsole = Callable[..., Console]


@pytest.fixture
def make_console(
    make_settings: Callable[..., RapportSettings],
    redis_client: redis_sync.Redis,
    prefix: str,
) -> Iterator[MakeConsole]:
    """Starts a console on the seeded Redis with these settings (``console`` for
    :class:`ConsoleSettings`, the rest for :class:`RapportSettings`)."""
    seeded = seed(redis_client, prefix)
    with ExitStack() as stack:

        def make(console: ConsoleSettings | None = None, **overrides: Any) -> Console:
            settings = make_settings(admin_token=TOKEN, **overrides)
            app = create_app(settings, console or ConsoleSettings())
            return Console(stack.enter_context(serving(app)), prefix, seeded)

        yield make


@pytest.fixture
def console(make_console: MakeConsole) -> Console:
    return make_console()


@contextmanager
def archiving(settings: RapportSettings) -> Iterator[str]:
    """The real archive service (``rapport-archive``: migrations at start, its own consumer
    group) on ``settings``' Redis and ``settings.archive_url``, served in a thread."""
    with serving(create_archive(settings)) as url:
        yield url


def archived(store_url: str, redis_client: redis_sync.Redis, prefix: str) -> None:
    """Waits until the archive holds every decision and feedback event on the streams."""
    streams = Streams(prefix)
    engine = make_engine(store_url)
    try:
        deadline = time.monotonic() + 20
        while True:
            with engine.connect() as conn:
                decisions = conn.execute(select(func.count()).select_from(DecisionRow)).scalar()
                feedback = conn.execute(select(func.count()).select_from(FeedbackRow)).scalar()
            if (decisions or 0) >= redis_client.xlen(streams.decisions) and (
                feedback or 0
            ) >= redis_client.xlen(streams.feedback):
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the archive holds {decisions} decisions, {feedback} feedback"
                )
            time.sleep(0.1)
    finally:
        engine.dispose()
