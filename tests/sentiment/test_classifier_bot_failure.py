"""Bot failure across turns (issue 11, item 5), on conversations written for this project
(``data/bot_failure_conversations.jsonl``): fallbacks in a row or scattered, the bot looping,
the customer repeating themself, and the customer saying the bot is not answering; against
conversations that are going fine. ``bot_failing`` is read as the policy reads it
(``bot-failing``: bot_failure >= 0.65)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rapport_contracts import Turn
from rapport_sentiment.classifier import classify

DATA = Path(__file__).parent / "data" / "bot_failure_conversations.jsonl"
POLICY_AT = 0.65


def _conversations() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DATA.read_text("utf-8").splitlines() if line.strip()]


def _bot_failure(item: dict[str, Any]) -> float:
    context = tuple(Turn(**t) for t in item["context"])
    c = classify(item["text"], context)
    return max((s.score for s in c.signals if s.name == "bot_failure"), default=0.0)


@pytest.mark.parametrize("item", _conversations(), ids=lambda item: str(item["id"]))
def test_bot_failure_across_turns(item: dict[str, Any]) -> None:
    assert (_bot_failure(item) >= POLICY_AT) == bool(item["bot_failing"])


def test_the_conversation_file_has_both_kinds() -> None:
    labels = [c["bot_failing"] for c in _conversations()]
    assert labels.count(1) >= 10 and labels.count(0) >= 10


def test_a_loop_and_repeated_repeats_score_higher_than_one_repeat() -> None:
    by_id = {c["id"]: c for c in _conversations()}
    assert _bot_failure(by_id["customer_repeats_twice"]) > _bot_failure(
        by_id["customer_repeats_once"]
    )
    assert _bot_failure(by_id["bot_loop"]) >= 0.8
