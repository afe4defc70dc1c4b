"""`rapport dlq`: list pages through every dead letter with filters and says how many match,
`show` prints one whole (payloads are never cut), `purge` deletes only what matches, and
`replay` puts an entry back where it came from. Against a real Redis, through the real CLI."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis as redis_sync
from typer.testing import CliRunner

from rapport_contracts import DATA_FIELD, DeadLetter
from rapport_tools.cli import app

pytestmark = pytest.mark.integration
runner = CliRunner()


def park(r: redis_sync.Redis, prefix: str, n: int, stream: str, site: str, reason: str) -> None:
    for i in range(n):
        payload = json.dumps({"site": site, "handoff_id": f"h{i}", "big": "x" * 150_000})
        letter = DeadLetter(
            stream=f"{prefix}:{stream}",
            group="g",
            entry_id=f"1-{i}",
            deliveries=6,
            reason=reason,
            payload=payload,
        )
        r.xadd(f"{prefix}:dlq", {DATA_FIELD: letter.model_dump_json()})


def cli(redis_url: str, prefix: str, *args: str) -> Any:
    env = {"REDIS_URL": redis_url, "RAPPORT_PREFIX": prefix}
    return runner.invoke(app, list(args), env=env)


def test_list_filters_counts_and_pages_through_everything(
    redis_url: str, prefix: str, redis_client: redis_sync.Redis
) -> None:
    park(redis_client, prefix, 700, "escalations", "acme", "helpdesk refused: 404")
    park(redis_client, prefix, 3, "messages", "beta", "invalid event: text missing")
    result = cli(redis_url, prefix, "dlq", "list", "--json", "--all", "--stream", "escalations")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert listed["total"] == 700 and len(listed["entries"]) == 700  # beyond one page (500)
    result = cli(redis_url, prefix, "dlq", "list", "--site", "beta", "--reason", "INVALID")
    assert result.exit_code == 0, result.output
    assert "3 of 3 matching dead letters shown" in result.output
    result = cli(redis_url, prefix, "dlq", "list", "--count", "5")
    assert "5 of 703 matching" in result.output


def test_show_prints_the_whole_payload(
    redis_url: str, prefix: str, redis_client: redis_sync.Redis
) -> None:
    park(redis_client, prefix, 1, "escalations", "acme", "refused")
    [(entry_id, _)] = redis_client.xrange(f"{prefix}:dlq")  # type: ignore[misc]
    result = cli(redis_url, prefix, "dlq", "show", entry_id.decode())
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert len(json.loads(shown["payload"])["big"]) == 150_000


def test_purge_counts_first_and_deletes_only_what_matches(
    redis_url: str, prefix: str, redis_client: redis_sync.Redis
) -> None:
    park(redis_client, prefix, 4, "escalations", "acme", "refused")
    park(redis_client, prefix, 2, "messages", "beta", "invalid")
    dry = cli(redis_url, prefix, "dlq", "purge", "--site", "beta")
    assert "2 dead letters match" in dry.output and redis_client.xlen(f"{prefix}:dlq") == 6
    done = cli(redis_url, prefix, "dlq", "purge", "--site", "beta", "--yes")
    assert "purged 2" in done.output
    assert redis_client.xlen(f"{prefix}:dlq") == 4
    refused = cli(redis_url, prefix, "dlq", "purge")
    assert refused.exit_code == 2 and "say which dead letters" in refused.output
    bad_age = cli(redis_url, prefix, "dlq", "list", "--older-than", "soon")
    assert bad_age.exit_code == 2 and "30m, 6h or 7d" in bad_age.output
