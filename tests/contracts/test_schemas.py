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


def test_published_asyncapi_document_is_current() -> None:
    from rapport.asyncapi import CHANNELS, asyncapi_document
    from rapport.streams import Streams

    published = json.loads((SNAPSHOTS.parents[2] / "docs" / "asyncapi.json").read_text())
    assert published == json.loads(json.dumps(asyncapi_document(Streams()))), (
        "docs/asyncapi.json is stale: uv run rapport asyncapi > docs/asyncapi.json"
    )
    assert published["asyncapi"] == "3.0.0"
    streams = Streams()
    assert {c["address"] for c in published["channels"].values()} == {
        getattr(streams, name) for name in CHANNELS
    }
    assert set(CHANNELS) == {
        name for name in dir(Streams) if isinstance(getattr(Streams, name), property)
    }
    for message in published["components"]["messages"].values():
        ref = message["payload"]["$ref"].rsplit("/", 1)[1]
        assert ref in published["components"]["schemas"]
