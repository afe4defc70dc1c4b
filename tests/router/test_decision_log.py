"""The router's decision line and its language label: one JSON record per decision with its
facts as fields, and a language label bounded to the languages the classifier reads plus
``other``."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest
from redis.asyncio import Redis

from rapport_contracts import Classification, ClassifiedMessage, Decision, Message, Reason
from rapport_router.plan import Plan
from rapport_router.stage import (
    DECISIONS,
    ESCALATIONS,
    METRIC_LANGUAGES,
    OTHER_LANGUAGE,
    RouterStage,
    metric_language,
)
from rapport_runtime.config import Sites
from rapport_runtime.logs import configure_logging
from rapport_runtime.service import Runtime
from rapport_runtime.settings import RapportSettings


def test_the_language_labels_are_the_languages_the_classifier_reads() -> None:
    from rapport_sentiment.classifier import _language

    assert set(METRIC_LANGUAGES) == set(_language.SUPPORTED)
    assert OTHER_LANGUAGE not in METRIC_LANGUAGES


def classified(language: str | None, read_as: str | None) -> ClassifiedMessage:
    message = Message(
        site="demo",
        conversation_id="c1",
        message_id="m1",
        author="customer",
        text="hola",
        language=language,
        sent_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    classification = (
        None
        if read_as is None
        else Classification(
            sentiment="neutral",
            sentiment_score=0.0,
            frustration=0.0,
            complexity=0.0,
            complexity_level="low",
            language=read_as,
            classifier_version="t",
        )
    )
    return ClassifiedMessage(message=message, classification=classification)


@pytest.mark.parametrize(
    ("given", "read_as", "label"),
    [
        (None, "es", "es"),
        ("fr-CA", "en", "fr"),  # the helpdesk's tag first, as the decision reads it
        ("PT", None, "pt"),
        (None, "nl", "other"),
        ("xx-very-long", "en", "other"),
        (None, None, "other"),
    ],
)
def test_the_language_label_is_bounded(given: str | None, read_as: str | None, label: str) -> None:
    assert metric_language(classified(given, read_as)) == label


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("router", "INFO", "json")
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    handler.setStream(buffer)
    yield buffer
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_one_json_line_per_decision_with_its_facts(json_log: io.StringIO) -> None:
    settings = RapportSettings(config=None)
    stage = RouterStage(
        settings, Runtime(settings, Redis.from_url("redis://unused")), Sites({}, "-")
    )
    decided = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    routes: list[tuple[Literal["human", "automation"], str]] = [
        ("human", "explicit-human-request"),
        ("automation", "default"),
    ]
    decisions = [
        Decision(
            decision_id=f"d{i}",
            site="acme",
            conversation_id="4111111111111111",  # an id that looks like a card: kept whole
            message_id=f"m{i}",
            route=route,
            queue="billing" if route == "human" else None,
            priority="high",
            reasons=(Reason(rule=rule, detail="call me at 202.555.0176"),),
            policy_id="p",
            policy_version="1",
            classifier_version="t",
            decided_at=decided,
        )
        for i, (route, rule) in enumerate(routes)
    ]
    before = DECISIONS.labels("acme", "human", "explicit-human-request", "de")._value.get()
    escalations = ESCALATIONS.labels("acme", "", "de")._value.get()
    plan = Plan(decisions=decisions, accepted_at=decided - timedelta(milliseconds=250))
    stage.report(plan, "de")
    records = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert [r["event"] for r in records] == ["decision", "decision"]
    human, bot = records
    assert human["site"] == "acme" and human["conversation_id"] == "4111111111111111"
    assert human["message_id"] == "m0" and human["decision_id"] == "d0"
    assert (human["route"], human["rule"], human["queue"], human["priority"]) == (
        "human",
        "explicit-human-request",
        "billing",
        "high",
    )
    assert human["latency_s"] == pytest.approx(0.25)
    assert human["language"] == "de"
    assert "202.555.0176" not in json_log.getvalue() and "[phone]" in human["message"]
    assert bot["route"] == "automation" and bot["queue"] is None
    after = DECISIONS.labels("acme", "human", "explicit-human-request", "de")._value.get()
    assert after == before + 1
    # No packet in this plan: no escalation counted.
    assert ESCALATIONS.labels("acme", "", "de")._value.get() == escalations
