"""Rapport's streams as an AsyncAPI 3.0 document, built from the same stream names and event
models the services use, so that other teams can generate consumers from it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from rapport_contracts import events as contracts
from rapport_contracts.streams import Streams

# stream attribute -> (event model, who writes it, what it means)
CHANNELS: dict[str, tuple[type[contracts.Event], str, str]] = {
    "messages": (contracts.Message, "edge", "Every accepted message, once per message id."),
    "classified": (
        contracts.ClassifiedMessage,
        "sentiment",
        "Each message with its classification.",
    ),
    "decisions": (
        contracts.Decision,
        "router",
        "Every routing decision, both routes, and shadow ones.",
    ),
    "automation": (
        contracts.AutomationInstruction,
        "router",
        "What the site's bot should do: respond, hold, resume.",
    ),
    "escalations": (
        contracts.HandoffPacket,
        "router",
        "One handoff packet per escalation or ladder step.",
    ),
    "handoffs": (contracts.HandoffResult, "handoff", "What happened to each handoff."),
    "notifications": (contracts.Notification, "router", "People to alert besides the queue."),
    "dlq": (
        contracts.DeadLetter,
        "any stage",
        "Entries that could not be processed, with the reason.",
    ),
    "feedback": (
        contracts.Feedback,
        "console",
        "People's verdicts on decisions: unneeded or missed escalations.",
    ),
}


def asyncapi_document(streams: Streams | None = None) -> dict[str, Any]:
    streams = streams or Streams()
    models: list[tuple[type[BaseModel], Literal["serialization"]]] = [
        (model, "serialization") for model, _, _ in CHANNELS.values()
    ]
    refs, definitions = models_json_schema(models, ref_template="#/components/schemas/{model}")
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for attribute, (model, writer, meaning) in CHANNELS.items():
        name = model.__name__
        messages[name] = {
            "name": name,
            "contentType": "application/json",
            "payload": refs[(model, "serialization")],
            "description": (model.__doc__ or "").strip().split("\n\n")[0],
        }
        channels[attribute] = {
            "address": getattr(streams, attribute),
            "description": f"{meaning} Written by {writer}. Field `__data__` holds the JSON.",
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            "bindings": {
                "redis": {"bindingVersion": "custom", "type": "stream", "field": "__data__"}
            },
        }
        operations[f"receive_{attribute}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{attribute}"},
            "summary": f"Read {getattr(streams, attribute)} with your own consumer group.",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Rapport streams",
            "version": str(contracts.SCHEMA_VERSION),
            "description": "Redis streams Rapport writes; every event carries `schema_version`.",
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": definitions.get("$defs", {})},
    }
