"""A running console (real HTTP, real Redis, its own key prefix) holding a seeded
conversation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
import redis as redis_sync
import uvicorn

from rapport_console.app import ConsoleSettings, create_app
from rapport_runtime.settings import RapportSettings
from rapport_tools.dev import free_port
from tests.console.seed import Seeded, seed

TOKEN = "console-test-token-0123456789"


@dataclass(frozen=True)
class Console:
    url: str
    prefix: str
    seeded: Seeded


@pytest.fixture
def console(
    make_settings: Callable[..., RapportSettings],
    redis_client: redis_sync.Redis,
    prefix: str,
) -> Iterator[Console]:
    seeded = seed(redis_client, prefix)
    app = create_app(make_settings(admin_token=TOKEN), ConsoleSettings())
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the console did not become ready")
        time.sleep(0.05)
    try:
        yield Console(url, prefix, seeded)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
