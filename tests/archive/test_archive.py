"""The archive service end to end: a real Redis, the real store (SQLite and PostgreSQL), the
service over real HTTP; retention, idempotency and the migrate command."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import redis as redis_sync
import uvicorn
from sqlalchemy import Engine, func, select, text

from rapport_archive.app import create_app
from rapport_archive.rows import rows_of
from rapport_archive.store import DAY_MS, DecisionRow, MessageRow, delete_older_than, make_engine
from rapport_archive.store import write as write_rows
from rapport_contracts import DATA_FIELD, Streams
from rapport_contracts.events import Event
from rapport_contracts.stored import deflate
from rapport_contracts.streams import ARCHIVE_GROUP
from rapport_runtime.settings import RapportSettings
from rapport_tools.dev import free_port
from tests.archive.events import T0, decision, feedback, handoff, hold, message

pytestmark = pytest.mark.integration

TABLES = ("decisions", "messages", "handoff_results", "ownership_changes", "feedback")


@contextmanager
def serving(settings: RapportSettings) -> Iterator[str]:
    app = create_app(settings)
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
            raise RuntimeError("the archive did not become ready")
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def publish(client: redis_sync.Redis, stream: str, event: Event, form: str = "json") -> None:
    """As Rapport's writers store it: the compact form (fields at their default left out),
    deflated with ``form`` ``deflate`` (RAPPORT_STORED_FORM)."""
    data = event.compact_json()
    client.xadd(stream, {DATA_FIELD: deflate(data) if form == "deflate" else data})


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())  # noqa: S608
            for t in TABLES
        }


def wait_for(check: Callable[[], bool], timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.mark.parametrize("stored_form", ["json", "deflate"])
def test_every_history_event_is_archived_once_and_acked(
    make_settings: Callable[..., RapportSettings],
    redis_client: redis_sync.Redis,
    prefix: str,
    store_url: str,
    stored_form: str,
) -> None:
    streams = Streams(prefix)
    events: list[tuple[str, Event]] = [
        (streams.classified, message("c1", "m1", customer="cust-7")),
        (streams.decisions, decision("c1", "m1", route="human", rule="explicit-human-request")),
        (streams.handoffs, handoff("c1")),
        (streams.automation, hold("c1")),
        (streams.automation, hold("c1", action="respond")),  # not an ownership change
        (streams.feedback, feedback("c1", "d-c1-m1", "unneeded-escalation")),
    ]
    # Written before the archive first starts: its group starts at 0 and reads them.
    for stream, event in events:
        publish(redis_client, stream, event, stored_form)
    with serving(make_settings(archive_url=store_url)) as url:
        engine = make_engine(store_url)
        try:
            expected = dict.fromkeys(TABLES, 1)
            wait_for(lambda: counts(engine) == expected)
            # Every event again (a redelivery, a replay): nothing doubles.
            for stream, event in events:
                publish(redis_client, stream, event, stored_form)
            for stream in streams.archive_groups():
                wait_for(lambda s=stream: _settled(redis_client, s))  # type: ignore[misc]
            assert counts(engine) == expected
            with engine.connect() as conn:
                row = conn.execute(
                    select(MessageRow.customer_id, MessageRow.channel, MessageRow.language)
                ).one()
                assert tuple(row) == ("cust-7", "chat", "en")
                stored = conn.execute(select(DecisionRow.event)).scalar_one()
                assert '"explicit-human-request"' in stored
                # Customer text never reaches the store.
                for table in TABLES:
                    for values in conn.execute(text(f"SELECT * FROM {table}")):  # noqa: S608
                        assert "never stored" not in repr(tuple(values))
            assert httpx.get(f"{url}/healthz").status_code == 200
            assert httpx.get(f"{url}/readyz").json() == {"status": "ready"}
        finally:
            engine.dispose()


def _settled(client: redis_sync.Redis, stream: str) -> bool:
    """The archive group has read everything on ``stream`` and acked it."""
    for info in client.xinfo_groups(stream):
        name = info["name"].decode() if isinstance(info["name"], bytes) else info["name"]
        if name == ARCHIVE_GROUP:
            return int(info.get("lag") or 0) == 0 and int(info["pending"]) == 0
    return False


def test_retention_deletes_only_rows_older_than_the_setting(engine: Engine) -> None:
    rows = rows_of(decision("old", "m1", T0))
    rows.extend(rows_of(message("old", "m1", T0)))
    rows.extend(rows_of(feedback("old", "d-old-m1", "correct", T0)))
    later = T0 + timedelta(days=10)
    rows.extend(rows_of(decision("new", "m1", later)))
    rows.extend(rows_of(message("new", "m1", later)))
    write_rows(engine, rows)
    now_ms = int((T0 + timedelta(days=12)).timestamp() * 1000)
    removed = delete_older_than(engine, days=11, now_ms=now_ms)
    assert removed == {
        "decisions": 1,
        "messages": 1,
        "handoff_results": 0,
        "ownership_changes": 0,
        "feedback": 1,
    }
    with engine.connect() as conn:
        left = conn.execute(select(DecisionRow.conversation_id)).scalars().all()
        assert left == ["new"]
        assert conn.execute(select(func.count()).select_from(MessageRow)).scalar_one() == 1
    assert DAY_MS == 86_400_000


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_migrate_command(store_url: str) -> None:
    first = run(["rapport-archive", "migrate"], {"RAPPORT_ARCHIVE_URL": store_url})
    assert first.returncode == 0, first.stderr
    assert "is at revision 0002 (the newest)" in first.stdout
    engine = make_engine(store_url)
    try:
        assert counts(engine) == dict.fromkeys(TABLES, 0)
    finally:
        engine.dispose()
    again = run(["rapport-archive", "migrate"], {"RAPPORT_ARCHIVE_URL": store_url})
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"RAPPORT_ARCHIVE_URL": ""}, "RAPPORT_ARCHIVE_URL is not set; set it to sqlite:///"),
        ({"RAPPORT_ARCHIVE_URL": "mysql://x/y"}, "RAPPORT_ARCHIVE_URL: set it to sqlite:///"),
        (
            {"RAPPORT_ARCHIVE_URL": "postgresql://nobody@127.0.0.1:1/none"},
            "could not be opened or migrated: connection failed",
        ),
        (
            {"RAPPORT_ARCHIVE_URL": "sqlite:///x.db", "RAPPORT_ARCHIVE_RETENTION_DAYS": "0"},
            "RAPPORT_ARCHIVE_RETENTION_DAYS: Input should be greater than or equal to 1",
        ),
    ],
)
def test_bad_settings_are_one_line(env: dict[str, str], says: str, tmp_path: Path) -> None:
    for args in (["rapport-archive", "migrate"], ["rapport-archive"]):
        done = subprocess.run(
            args,
            env={**os.environ, "RAPPORT_STARTUP_TIMEOUT_S": "1", **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=tmp_path,
        )
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, lines
        assert says in lines[0]
        assert "Traceback" not in done.stderr
