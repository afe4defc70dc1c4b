"""`rapport status` reads Rapport's health from Redis: quiet and healthy exits 0; a dead
letter, a failed handoff and work waiting with nobody to do it are reported and exit 1."""

from __future__ import annotations

import json

import pytest
import redis as redis_sync
from typer.testing import CliRunner

from rapport_contracts import DATA_FIELD, DeadLetter, Event, HandoffResult
from rapport_contracts.stored import deflate
from rapport_tools.cli import app

pytestmark = pytest.mark.integration
runner = CliRunner()


def status(redis_url: str, prefix: str, *extra: str) -> tuple[int, str]:
    env = {"REDIS_URL": redis_url, "RAPPORT_PREFIX": prefix}
    result = runner.invoke(app, ["status", "--sample", "0", *extra], env=env)
    return result.exit_code, result.output


def test_a_quiet_rapport_is_all_good(
    redis_url: str, prefix: str, redis_client: redis_sync.Redis
) -> None:
    redis_client.xgroup_create(f"{prefix}:messages", "sentiment", id="$", mkstream=True)
    code, out = status(redis_url, prefix)
    assert code == 0, out
    assert "all good" in out and f"{prefix}:messages" in out


@pytest.mark.parametrize("stored_form", ["json", "deflate"])
def test_problems_are_named_and_exit_1(
    redis_url: str, prefix: str, redis_client: redis_sync.Redis, stored_form: str
) -> None:
    """In either stored form (RAPPORT_STORED_FORM) of the entries it reads."""
    store = (lambda e: deflate(e.compact_json())) if stored_form == "deflate" else _json
    redis_client.xgroup_create(f"{prefix}:messages", "sentiment", id="0", mkstream=True)
    redis_client.xadd(f"{prefix}:messages", {DATA_FIELD: "{}"})  # waiting, nobody consumes
    letter = DeadLetter(
        stream=f"{prefix}:escalations",
        group="handoff",
        entry_id="1-1",
        deliveries=6,
        reason="helpdesk refused: 404",
        payload="{}",
    )
    redis_client.xadd(f"{prefix}:dlq", {DATA_FIELD: store(letter)})
    failed = HandoffResult(
        handoff_id="h1",
        site="demo",
        conversation_id="c1",
        adapter="zendesk",
        status="failed",
        attempts=1,
    )
    redis_client.xadd(f"{prefix}:handoffs", {DATA_FIELD: store(failed)})
    code, out = status(redis_url, prefix)
    assert code == 1
    assert "1 dead letter(s)" in out and "1 via zendesk" in out and "no consumer" in out
    code, out = status(redis_url, prefix, "--json")
    assert code == 1
    report = json.loads(out)
    assert report["handoff_failures_last_hour"] == {"zendesk": 1}
    assert report["dead_letters"] == {"helpdesk refused: 404": 1}


def _json(event: Event) -> str | bytes:
    return event.model_dump_json()
