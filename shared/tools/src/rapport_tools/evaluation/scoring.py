"""Predicting and scoring: every item through the same code path as the router
(``decide(default_policy(), classify(text, context), state)``), then per-source metrics."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import typer

from rapport_contracts import Turn
from rapport_router.engine import decide
from rapport_router.replay import state_from_context
from rapport_runtime.policies import default_policy
from rapport_sentiment.classifier import classify, is_bot_fallback
from rapport_tools.evaluation.metrics import (
    binary_metrics,
    bootstrap_interval,
    macro_f1,
    per_class_f1,
    precision_recall_f1,
)
from rapport_tools.evaluation.readers import EvalError, parse_context, read_jsonl

SENTIMENTS = ("negative", "neutral", "positive")
PRIORITIES = ("low", "medium", "high")
# The policy's four priorities folded into the three that the labelled data uses.
PRIORITY_MAP: dict[str, str] = {"low": "low", "normal": "medium", "high": "high", "urgent": "high"}
# ``frustrated`` in the eval output is ``frustration >= FRUSTRATED_THRESHOLD``.
FRUSTRATED_THRESHOLD = 0.5
PROGRESS_MIN_ITEMS = 2_000

Predictor = Callable[[str, tuple[Turn, ...]], dict[str, Any]]
Classifier = Callable[[str, tuple[Turn, ...]], Any]


def _load_calibration() -> tuple[float, float, float] | None:
    """(A, B, C) of ``escalate_calibration.tsv``: escalate_score = sigmoid(A * raw + B + C *
    escalated), fitted on train files only by
    ``services/sentiment/scripts/fit_escalate_calibration.py`` (docs/classifier.md)."""
    path = Path(__file__).with_name("escalate_calibration.tsv")
    if not path.is_file():
        return None
    for line in path.read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            a, b, c = (float(x) for x in line.split("\t")[:3])
            return a, b, c
    return None


CALIBRATION = _load_calibration()


def calibrate(raw: float, escalated: bool) -> float:
    """The probability that the item is labelled escalate, from the raw score (strictly
    increasing in ``raw``: rankings and PR-AUC are those of the raw score)."""
    if CALIBRATION is None:
        return raw
    a, b, c = CALIBRATION
    z = max(-30.0, min(30.0, a * raw + b + c * escalated))
    return 1.0 / (1.0 + math.exp(-z))


def make_predictor(classifier: Classifier | None = None, *, calibrated: bool = True) -> Predictor:
    """A function from (text, context) to a prediction. ``classifier`` replaces the default
    classifier for the message itself (an optional backend); the earlier turns, which only
    count negative turns, use the default one. ``escalate_score`` is the calibrated
    probability (``calibrated=False``: the raw score, for the fitting script); the raw score is
    ``escalate_score_raw`` either way."""
    policy = default_policy()
    human_signals = frozenset(
        name for rule in policy.rules if rule.route == "human" for name in rule.when.any_signal
    )

    def predict(text: str, context: tuple[Turn, ...]) -> dict[str, Any]:
        # The same state the router would hold after these turns (one definition, in the router).
        state = state_from_context(context, classify, is_bot_fallback)
        c = (classifier or classify)(text, context)
        outcome = decide(policy, c, state)
        escalate = outcome.route == "human"
        signal_score = max((s.score for s in c.signals if s.name in human_signals), default=0.0)
        raw = max(signal_score, c.frustration, -c.sentiment_score, 0.0)
        # Monotone in the evidence, and >= 0.5 exactly when the policy escalated.
        escalate_score = round(0.5 + 0.5 * raw if escalate else 0.5 * min(raw, 0.999), 4)
        probability = calibrate(escalate_score, escalate) if calibrated else escalate_score
        return {
            "sentiment": c.sentiment,
            "escalate": int(escalate),
            # 7 decimals: distinct raw scores stay distinct, so rankings do not change
            "escalate_score": round(probability, 7),
            "escalate_score_raw": escalate_score,
            "frustrated": int(c.frustration >= FRUSTRATED_THRESHOLD),
            "frustration": round(c.frustration, 4),
            "priority": PRIORITY_MAP[outcome.priority],
            "complexity": round(c.complexity, 4),
            "rule": outcome.rule,
        }

    return predict


def _progress(items: list[Any], label: str) -> Iterator[Any]:
    if len(items) < PROGRESS_MIN_ITEMS:
        yield from items
        return
    with typer.progressbar(items, label=label, file=sys.stderr) as bar:
        yield from bar


def predict_files(
    paths: Sequence[Path], classifier: Classifier | None = None
) -> Iterator[dict[str, Any]]:
    """Validate every file first (so a bad line fails before any output), then predict."""
    predictor = make_predictor(classifier)
    for path in paths:
        items: list[tuple[str, str, tuple[Turn, ...], str | None]] = []
        for number, obj in read_jsonl(path):
            where = f"{path}:{number}"
            item_id, text = obj.get("id"), obj.get("text")
            if not isinstance(item_id, str | int) or isinstance(item_id, bool):
                raise EvalError(f"{where}: missing 'id' (a string)")
            if not isinstance(text, str):
                raise EvalError(f"{where}: missing 'text' (a string)")
            source = obj.get("source")
            items.append(
                (
                    str(item_id),
                    text,
                    parse_context(obj.get("context"), where),
                    source if isinstance(source, str) else None,
                )
            )
        for item_id, text, context, source in _progress(items, f"predicting {path.name}"):
            row: dict[str, Any] = {"id": item_id}
            if source is not None:
                row["source"] = source
            row.update(predictor(text, context))
            yield row


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------


def _source_of(obj: dict[str, Any]) -> str:
    source = obj.get("source")
    if isinstance(source, str) and source:
        return source
    item_id = str(obj.get("id", ""))
    return item_id.split(":", 1)[0] if ":" in item_id else "all"


def _check_label(value: Any, allowed: Iterable[Any], where: str, field: str) -> Any:
    allowed = tuple(allowed)
    if value not in allowed:
        raise EvalError(
            f"{where}: '{field}' must be one of {', '.join(map(str, allowed))}, got {value!r}"
        )
    return value


def _interval(
    gold: Sequence[Any],
    pred: Sequence[Any],
    metric: Callable[[list[Any], list[Any]], float],
    boot: int,
) -> list[float]:
    low, high = bootstrap_interval(
        len(gold), lambda idx: metric([gold[i] for i in idx], [pred[i] for i in idx]), boot
    )
    return [round(low, 4), round(high, 4)]


def score_predictions(
    predictions: Iterable[tuple[str, dict[str, Any]]],
    gold: Iterable[tuple[str, dict[str, Any]]],
    boot: int = 0,
) -> dict[str, dict[str, Any]]:
    """Per-source metrics. Both inputs are (where, object) pairs; objects joined by ``id``.
    With ``boot`` > 0, each headline figure also gets a 95 % percentile-bootstrap interval
    (``ci95``) from that many resamples of the source's items."""
    by_id: dict[str, tuple[str, dict[str, Any]]] = {}
    for where, obj in predictions:
        if "id" not in obj:
            raise EvalError(f"{where}: prediction without 'id'")
        by_id[str(obj["id"])] = (where, obj)
    columns: dict[str, dict[str, list[Any]]] = {}
    missing = 0
    for where, g in gold:
        if "id" not in g:
            raise EvalError(f"{where}: gold item without 'id'")
        found = by_id.get(str(g["id"]))
        if found is None:
            missing += 1
            continue
        pwhere, p = found
        col = columns.setdefault(_source_of(g), {})
        col.setdefault("n", []).append(1)
        if g.get("sentiment") is not None:
            col.setdefault("sentiment_gold", []).append(
                _check_label(g["sentiment"], SENTIMENTS, where, "sentiment")
            )
            col.setdefault("sentiment_pred", []).append(
                _check_label(p.get("sentiment"), SENTIMENTS, pwhere, "sentiment")
            )
        for field, score_field in (("escalate", "escalate_score"), ("frustrated", "frustration")):
            if g.get(field) is None:
                continue
            col.setdefault(f"{field}_gold", []).append(
                int(_check_label(g[field], (0, 1), where, field))
            )
            col.setdefault(f"{field}_pred", []).append(
                int(_check_label(p.get(field), (0, 1), pwhere, field))
            )
            value = p.get(score_field, p.get(field))
            if not isinstance(value, int | float):
                raise EvalError(f"{pwhere}: '{score_field}' must be a number")
            col.setdefault(f"{field}_score", []).append(float(value))
        if g.get("priority") is not None:
            col.setdefault("priority_gold", []).append(
                _check_label(g["priority"], PRIORITIES, where, "priority")
            )
            col.setdefault("priority_pred", []).append(
                _check_label(p.get("priority"), PRIORITIES, pwhere, "priority")
            )
    if not columns:
        raise EvalError("no prediction matches a gold item by 'id'")
    report: dict[str, dict[str, Any]] = {}
    for source in sorted(columns):
        col = columns[source]
        entry: dict[str, Any] = {"n": len(col["n"])}
        if "sentiment_gold" in col:
            gold_s, pred_s = col["sentiment_gold"], col["sentiment_pred"]
            entry["sentiment"] = {
                "macro_f1": macro_f1(gold_s, pred_s, SENTIMENTS),
                "per_class_f1": per_class_f1(gold_s, pred_s, SENTIMENTS),
                "n": len(gold_s),
            }
            if boot:
                entry["sentiment"]["ci95"] = _interval(
                    gold_s, pred_s, lambda g, p: macro_f1(g, p, SENTIMENTS), boot
                )
        for field in ("escalate", "frustrated"):
            if f"{field}_gold" in col:
                m = binary_metrics(
                    col[f"{field}_gold"], col[f"{field}_pred"], col[f"{field}_score"]
                )
                entry[field] = {
                    "precision": m.precision,
                    "recall": m.recall,
                    "f1": m.f1,
                    "pr_auc": m.pr_auc,
                    "positives": m.support,
                    "n": m.n,
                }
                if boot:
                    entry[field]["ci95"] = _interval(
                        col[f"{field}_gold"],
                        col[f"{field}_pred"],
                        lambda g, p: precision_recall_f1(g, p, 1)[2],
                        boot,
                    )
        if "priority_gold" in col:
            gold_p, pred_p = col["priority_gold"], col["priority_pred"]
            entry["priority"] = {
                "macro_f1": macro_f1(gold_p, pred_p, PRIORITIES),
                "high_recall": precision_recall_f1(gold_p, pred_p, "high")[1],
                "n": len(gold_p),
            }
            if boot:
                entry["priority"]["ci95"] = _interval(
                    gold_p, pred_p, lambda g, p: macro_f1(g, p, PRIORITIES), boot
                )
        report[source] = entry
    if missing:
        report["_unmatched_gold_items"] = {"n": missing}
    return report


def _fmt(value: float | None) -> str:
    return "   - " if value is None else f"{value:5.3f}"


def _ci(block: dict[str, Any]) -> str:
    ci = block.get("ci95")
    return f" [{ci[0]:.3f}-{ci[1]:.3f}]" if ci else ""


def format_report(report: dict[str, dict[str, Any]]) -> str:
    lines: list[str] = []
    for source, entry in report.items():
        if source.startswith("_"):
            lines.append(f"warning: {entry['n']} gold items had no prediction")
            continue
        lines.append(f"{source} (n={entry['n']})")
        if s := entry.get("sentiment"):
            per = "  ".join(f"{k} {_fmt(v)}" for k, v in s["per_class_f1"].items())
            lines.append(f"  sentiment   macro-F1 {_fmt(s['macro_f1'])}{_ci(s)}   F1: {per}")
        for field in ("escalate", "frustrated"):
            if b := entry.get(field):
                lines.append(
                    f"  {field:<11} P {_fmt(b['precision'])}  R {_fmt(b['recall'])}  "
                    f"F1 {_fmt(b['f1'])}{_ci(b)}  PR-AUC {_fmt(b['pr_auc'])}  "
                    f"({b['positives']}/{b['n']} positive)"
                )
        if p := entry.get("priority"):
            lines.append(
                f"  priority    macro-F1 {_fmt(p['macro_f1'])}{_ci(p)}   "
                f"high recall {_fmt(p['high_recall'])}"
            )
    return "\n".join(lines)
