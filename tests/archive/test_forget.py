"""``rapport forget`` erases in the archive too, and says what it removed there."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import redis as redis_sync
from sqlalchemy import Engine, text

from rapport_archive.rows import rows_of
from rapport_archive.store import write
from rapport_contracts import DATA_FIELD, Streams
from tests.archive.events import decision, feedback, handoff, hold, message

pytestmark = pytest.mark.integration

TABLES = ("decisions", "messages", "handoff_results", "ownership_changes", "feedback")


def seed(engine: Engine, conversation: str, customer: str) -> None:
    rows = rows_of(message(conversation, "m1", customer=customer))
    for event in (
        decision(conversation, "m1", route="human", rule="explicit-human-request"),
        handoff(conversation),
        hold(conversation),
        feedback(conversation, f"d-{conversation}-m1", "correct"),
    ):
        rows.extend(rows_of(event))
    write(engine, rows)


def left(engine: Engine, conversation: str) -> int:
    with engine.connect() as conn:
        return sum(
            int(
                conn.execute(
                    text(f"SELECT count(*) FROM {t} WHERE conversation_id = :c"),  # noqa: S608
                    {"c": conversation},
                ).scalar_one()
            )
            for t in TABLES
        )


def forget(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["rapport", "forget", "--site", "demo", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_forget_erases_the_archive_too(
    engine: Engine,
    store_url: str,
    redis_url: str,
    redis_client: redis_sync.Redis,
    prefix: str,
    tmp_path: Path,
) -> None:
    seed(engine, "c1", "cust-1")
    seed(engine, "c2", "cust-2")
    streams = Streams(prefix)
    redis_client.xadd(streams.decisions, {DATA_FIELD: decision("c1", "m1").model_dump_json()})
    env = {
        "REDIS_URL": redis_url,
        "RAPPORT_PREFIX": prefix,
        "RAPPORT_ARCHIVE_URL": store_url,
        "RAPPORT_DEV_STATE": str(tmp_path / "none.json"),
    }
    dry = forget(["--conversation", "c1", "--dry-run"], env)
    assert dry.returncode == 0, dry.stderr
    assert (
        "would remove 1 decisions, 1 messages, 1 handoff_results, 1 ownership_changes, "
        "1 feedback row(s)" in dry.stdout
    )
    assert left(engine, "c1") == 5
    done = forget(["--conversation", "c1"], env)
    assert done.returncode == 0, done.stderr
    assert "stream entries: 1 from" in done.stdout
    assert (
        "removed 1 decisions, 1 messages, 1 handoff_results, 1 ownership_changes, "
        "1 feedback row(s)" in done.stdout
    )
    assert left(engine, "c1") == 0
    assert left(engine, "c2") == 5  # another conversation is untouched
    # By customer: found in the archive even when Redis no longer has the conversation.
    by_customer = forget(["--customer", "cust-2"], env)
    assert by_customer.returncode == 0, by_customer.stderr
    assert "removed 1 conversation(s)" in by_customer.stdout
    assert left(engine, "c2") == 0


def test_forget_without_an_archive_says_so_and_an_unreachable_one_is_one_line(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    env = {
        "REDIS_URL": redis_url,
        "RAPPORT_PREFIX": prefix,
        "RAPPORT_DEV_STATE": str(tmp_path / "none.json"),
        "RAPPORT_ARCHIVE_URL": "",
    }
    none = forget(["--conversation", "c1"], env)
    assert none.returncode == 0, none.stderr
    assert "archive: none configured (RAPPORT_ARCHIVE_URL is unset); nothing there" in none.stdout
    away = forget(
        ["--conversation", "c1"],
        {**env, "RAPPORT_ARCHIVE_URL": "postgresql://nobody@127.0.0.1:1/none"},
    )
    assert away.returncode == 1
    errors = [line for line in away.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "cannot reach the archive at postgresql+psycopg://nobody@127.0.0.1:1/none" in errors[0]
    assert "nothing was erased" in errors[0]
    assert "Traceback" not in away.stderr
