"""The events on Rapport's streams are a public contract: their JSON Schemas must not change
by accident. When a change is intended, regenerate the snapshots and review the diff:

    uv run rapport schemas --write tests/contracts/snapshots
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from rapport.contracts import EVENTS, Message, json_schemas

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_schema_matches_snapshot(name: str) -> None:
    snapshot = SNAPSHOTS / f"{name}.json"
    assert snapshot.exists(), (
        f"no snapshot for {name}; run `uv run rapport schemas --write {SNAPSHOTS}`"
    )
    assert json.loads(snapshot.read_text()) == json_schemas()[name], (
        f"the JSON Schema of {name} changed. If that is intended, run "
        f"`uv run rapport schemas --write tests/contracts/snapshots` and commit the diff."
    )


def test_every_snapshot_is_a_current_event() -> None:
    assert {p.stem for p in SNAPSHOTS.glob("*.json")} == set(EVENTS)


@pytest.mark.parametrize("model", list(EVENTS.values()), ids=list(EVENTS))
def test_events_are_frozen_strict_and_versioned(model: type) -> None:
    config = model.model_config  # type: ignore[attr-defined]
    assert config.get("frozen") is True
    assert config.get("extra") == "forbid"
    assert model.model_fields["schema_version"].default == 1  # type: ignore[attr-defined]


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Message.model_validate(
            {
                "site": "demo",
                "conversation_id": "c1",
                "message_id": "m1",
                "author": "customer",
                "text": "hi",
                "sent_at": "2026-01-01T00:00:00Z",
                "surprise": 1,
            }
        )
