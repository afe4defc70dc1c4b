"""Runs `rapport eval` on the labelled dev files and checks the quality bar.

The data lives outside the repository (../shared/data/dev, licence rules in its README); the
test skips when it is absent. RAPPORT_DATA_DIR points it elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from rapport_tools.evaluation import predict_files, read_jsonl, score_predictions
from tests.helpers import reference_dir

DEV = Path(os.environ.get("RAPPORT_DATA_DIR", reference_dir() / "data" / "dev"))

# (source, metric path, minimum). Targets of issue 3 that the classifier reaches:
TARGETS: list[tuple[str, tuple[str, str], float]] = [
    ("airline", ("sentiment", "macro_f1"), 0.66),  # VADER 0.46
    ("airline", ("escalate", "f1"), 0.62),  # VADER 0.48
    ("complaints", ("escalate", "f1"), 0.78),  # VADER 0.58
    ("vader_tweets", ("sentiment", "macro_f1"), 0.72),  # VADER 0.71
    ("bitext", ("escalate", "f1"), 0.90),  # VADER 0.32
    ("banking77", ("escalate", "f1"), 0.55),  # VADER 0.36
    ("goemotions", ("frustrated", "f1"), 0.55),  # VADER 0.45
]
# Targets not reached yet: floors a little under today's figures (docs/classifier.md), so that
# a regression fails; the targets are in the comments.
FLOORS: list[tuple[str, tuple[str, str], float]] = [
    ("vader_amazon", ("sentiment", "macro_f1"), 0.51),  # no target, VADER 0.52
]


@pytest.fixture(scope="module")
def report() -> dict[str, dict[str, Any]]:
    if not DEV.is_dir():
        pytest.skip(f"labelled dev data not found at {DEV} (set RAPPORT_DATA_DIR)")
    files = sorted(DEV.glob("*.jsonl"))
    if not files:
        pytest.skip(f"no *.jsonl files in {DEV}")
    preds = [(str(row["id"]), row) for row in predict_files(files)]
    gold = [(f"{f}:{n}", obj) for f in files for n, obj in read_jsonl(f)]
    return score_predictions(preds, gold)


@pytest.mark.parametrize(("source", "metric", "minimum"), TARGETS + FLOORS)
def test_dev_quality(
    report: dict[str, dict[str, Any]], source: str, metric: tuple[str, str], minimum: float
) -> None:
    if source not in report:
        pytest.skip(f"{source}.jsonl not in {DEV}")
    value = report[source][metric[0]][metric[1]]
    assert value >= minimum, f"{source} {'.'.join(metric)} = {value:.3f} < {minimum}"
