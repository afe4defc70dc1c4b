"""The events on Rapport's streams are a public contract: their JSON Schemas must not change
by accident, and a change must keep every earlier version readable. When a change is intended,
bump ``SCHEMA_VERSION``, write the new snapshots beside the old ones and review the diff:

    uv run rapport schemas --write tests/contracts/snapshots/v<SCHEMA_VERSION>
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from rapport_contracts import EVENTS, SCHEMA_VERSION, Message, json_schemas

SNAPSHOTS = Path(__file__).parent / "snapshots"
CURRENT = SNAPSHOTS / f"v{SCHEMA_VERSION}"
PREVIOUS = sorted(
    (p for p in SNAPSHOTS.glob("v*") if p.is_dir() and p != CURRENT), key=lambda p: p.name
)
MESSAGE = {
    "site": "demo",
    "conversation_id": "c1",
    "message_id": "m1",
    "author": "customer",
    "text": "hi",
    "sent_at": "2026-01-01T00:00:00Z",
}


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_schema_matches_snapshot(name: str) -> None:
    snapshot = CURRENT / f"{name}.json"
    assert snapshot.exists(), (
        f"no snapshot for {name}; run `uv run rapport schemas --write {CURRENT}`"
    )
    assert json.loads(snapshot.read_text()) == json_schemas()[name], (
        f"the JSON Schema of {name} changed. A contract change bumps SCHEMA_VERSION and adds "
        f"snapshots under tests/contracts/snapshots/v<N> (docs/architecture.md, contract rule)."
    )


def test_every_snapshot_is_a_current_event() -> None:
    assert {p.stem for p in CURRENT.glob("*.json")} == set(EVENTS)


def test_there_is_a_previous_version_to_stay_compatible_with() -> None:
    assert PREVIOUS, "the previous version's snapshots must stay checked in"


@pytest.mark.parametrize("model", list(EVENTS.values()), ids=list(EVENTS))
def test_writers_are_strict_frozen_and_stamp_the_current_version(model: type) -> None:
    config = model.model_config  # type: ignore[attr-defined]
    assert config.get("frozen") is True
    assert config.get("extra") == "forbid"
    assert model.model_fields["schema_version"].default == SCHEMA_VERSION  # type: ignore[attr-defined]


def test_a_writer_refuses_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Message.model_validate({**MESSAGE, "surprise": 1})


def test_a_reader_ignores_fields_a_newer_writer_added() -> None:
    nested = {**MESSAGE, "surprise": 1, "customer": {"id": "u1", "new_field": True}}
    message = Message.read(json.dumps(nested))
    assert message.text == "hi"
    assert message.customer is not None and message.customer.id == "u1"


def test_a_reader_refuses_a_version_it_does_not_know_and_says_what_to_do() -> None:
    with pytest.raises(ValidationError, match="upgrade rapport-contracts"):
        Message.read(json.dumps({**MESSAGE, "schema_version": SCHEMA_VERSION + 1}))


def _instance(schema: dict[str, Any], root: dict[str, Any], full: bool) -> Any:
    """An instance of ``schema``: every property (``full``) or only the required ones. Enough
    of JSON Schema for Pydantic's output; the result is checked against the schema itself."""
    if "$ref" in schema:
        return _instance(root["$defs"][schema["$ref"].rsplit("/", 1)[1]], root, full)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][-1 if full else 0]
    if "anyOf" in schema:
        options = schema["anyOf"]
        return _instance(options[0] if full else options[-1], root, full)
    kind = schema.get("type")
    if kind == "object":
        props: dict[str, Any] = schema.get("properties", {})
        keys = props if full else schema.get("required", [])
        out = {k: _instance(props[k], root, full) for k in keys}
        if full and isinstance(schema.get("additionalProperties"), dict):
            out["extra-key"] = _instance(schema["additionalProperties"], root, full)
        return out
    if kind == "array":
        items = schema.get("items") or (schema.get("prefixItems") or [{"type": "string"}])[0]
        return [_instance(items, root, full)] if full else []
    if kind == "string":
        if schema.get("format") == "date-time":
            return "2026-01-01T00:00:00Z"
        return "a" * max(1, min(schema.get("minLength", 1), 8)) if "pattern" in schema else "x"
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return schema.get("minimum", 0.5) if "minimum" in schema else 0.5
    if kind == "boolean":
        return full
    if kind == "null":
        return None
    raise AssertionError(f"the compatibility test cannot build {schema}")


PREVIOUS_EVENTS = [
    (d.name, name, json.loads((d / f"{name}.json").read_text()))
    for d in PREVIOUS
    for name in EVENTS
    if (d / f"{name}.json").exists()  # an event new since that version had no older writer
]


@pytest.mark.parametrize("full", [True, False], ids=["every-field", "required-only"])
@pytest.mark.parametrize(
    ("version", "name", "schema"),
    PREVIOUS_EVENTS,
    ids=[f"{version}-{name}" for version, name, _ in PREVIOUS_EVENTS],
)
def test_todays_readers_read_every_previous_version(
    version: str, name: str, schema: dict[str, Any], full: bool
) -> None:
    """An event shaped by an older version's published schema (what an older writer, still
    running during a rolling deploy, puts on the stream) parses with today's reader."""
    event = _instance(schema, schema, full)
    jsonschema.validate(event, schema)  # the example is honest to the old contract
    parsed = EVENTS[name].read(json.dumps(event))
    assert parsed.schema_version == event.get("schema_version", SCHEMA_VERSION)


def test_published_asyncapi_document_is_current() -> None:
    from rapport_contracts.asyncapi import CHANNELS, asyncapi_document
    from rapport_contracts.streams import Streams

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
