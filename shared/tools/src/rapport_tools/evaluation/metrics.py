"""Metrics for ``rapport eval``, in plain Python (no scikit-learn), unit-tested against
hand-computed values; and bootstrap intervals so that a difference can be told from noise."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class BinaryMetrics:
    precision: float
    recall: float
    f1: float
    pr_auc: float | None
    support: int
    n: int


def _f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def precision_recall_f1(
    gold: Sequence[Any], pred: Sequence[Any], positive: Any
) -> tuple[float, float, float]:
    """Precision, recall and F1 of one class; 0.0 where a ratio is undefined."""
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == positive and p == positive)
    predicted = sum(1 for p in pred if p == positive)
    actual = sum(1 for g in gold if g == positive)
    precision = tp / predicted if predicted else 0.0
    recall = tp / actual if actual else 0.0
    return precision, recall, _f1(precision, recall)


def per_class_f1(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None
) -> dict[str, float]:
    """F1 of every label that occurs in gold or predictions (or of the labels given)."""
    if labels is None:
        labels = sorted(set(gold) | set(pred))
    return {label: precision_recall_f1(gold, pred, label)[2] for label in labels}


def macro_f1(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None
) -> float:
    """Unweighted mean of per-class F1 (as scikit-learn's ``f1_score(average="macro")``)."""
    scores = per_class_f1(gold, pred, labels)
    return sum(scores.values()) / len(scores) if scores else 0.0


def average_precision(gold: Sequence[int], scores: Sequence[float]) -> float | None:
    """Area under the precision-recall curve as average precision: the mean of the precision at
    each threshold weighted by the recall gained there. Tied scores form one threshold (as
    scikit-learn's ``average_precision_score``). None when there is no positive item."""
    positives = sum(1 for g in gold if g)
    if positives == 0:
        return None
    pairs = sorted(zip(scores, gold, strict=True), key=lambda sg: -sg[0])
    ap = 0.0
    tp = seen = 0
    i = 0
    while i < len(pairs):
        threshold = pairs[i][0]
        gained = 0
        while i < len(pairs) and pairs[i][0] == threshold:
            seen += 1
            if pairs[i][1]:
                tp += 1
                gained += 1
            i += 1
        if gained:
            ap += (gained / positives) * (tp / seen)
    return ap


def binary_metrics(
    gold: Sequence[int], pred: Sequence[int], scores: Sequence[float] | None
) -> BinaryMetrics:
    precision, recall, f1 = precision_recall_f1(gold, pred, 1)
    pr_auc = average_precision(gold, scores) if scores is not None else None
    return BinaryMetrics(precision, recall, f1, pr_auc, sum(1 for g in gold if g), len(gold))


def bootstrap_interval(
    n: int,
    statistic: Callable[[Sequence[int]], float],
    rounds: int,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """A percentile bootstrap interval of ``statistic`` over ``n`` items: each round resamples
    the item indexes with replacement. Seeded, so a report is reproducible."""
    rng = random.Random(seed)
    values = sorted(statistic([rng.randrange(n) for _ in range(n)]) for _ in range(rounds))
    tail = (1 - confidence) / 2
    low = values[int(tail * (rounds - 1))]
    high = values[round((1 - tail) * (rounds - 1))]
    return low, high
