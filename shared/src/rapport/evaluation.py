"""``rapport eval``: measure the classifier and the default policy on labelled JSONL files.

``predict`` runs every item through the same code path as the router
(``decide(default_policy(), classify(text, context), state)``) and writes one prediction per
line; ``score`` compares predictions with gold labels per source; the bare form does both.

The input format is the one of ``../shared/data/README.md``: one JSON object per line with
``id``, ``text`` and ``context`` (earlier turns, oldest first: either strings, taken as customer
turns, or ``{"author", "text"}`` objects). Gold files may carry ``source``, ``sentiment``,
``escalate``, ``priority`` and ``frustrated``; null or missing labels are not scored.

The metrics are written here in plain Python (no scikit-learn) and unit-tested against
hand-computed values.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from rapport.contracts import Author, Turn

SENTIMENTS = ("negative", "neutral", "positive")
PRIORITIES = ("low", "medium", "high")
# The policy's four priorities folded into the three that the labelled data uses.
PRIORITY_MAP: dict[str, str] = {"low": "low", "normal": "medium", "high": "high", "urgent": "high"}
# ``frustrated`` in the eval output is ``frustration >= FRUSTRATED_THRESHOLD`` (chosen on dev).
FRUSTRATED_THRESHOLD = 0.5
PROGRESS_MIN_ITEMS = 2_000
_AUTHORS: frozenset[str] = frozenset({"customer", "bot", "agent", "system"})


class EvalError(Exception):
    """A problem with the input that the user can fix; printed without a traceback."""


# --------------------------------------------------------------------------------------------
# Metrics (pure Python)
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Reading input
# --------------------------------------------------------------------------------------------


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; EvalError on anything else."""
    try:
        handle = path.open(encoding="utf-8")
    except FileNotFoundError:
        raise EvalError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise EvalError(f"{path}: is a directory, not a JSONL file") from None
    except OSError as exc:
        raise EvalError(f"{path}: cannot open ({exc.strerror})") from None
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise EvalError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
                if not isinstance(obj, dict):
                    raise EvalError(f"{path}:{number}: expected a JSON object per line") from None
                yield number, obj
        except UnicodeDecodeError:
            raise EvalError(f"{path}: not UTF-8 text") from None


def parse_context(raw: Any, where: str) -> tuple[Turn, ...]:
    """Context items are strings (customer turns) or ``{"author", "text"}`` objects."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise EvalError(f"{where}: 'context' must be a list")
    turns: list[Turn] = []
    for item in raw:
        if isinstance(item, str):
            turns.append(Turn(author="customer", text=item))
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            author = item.get("author", "customer")
            if author not in _AUTHORS:
                raise EvalError(f"{where}: unknown context author {author!r}")
            turns.append(Turn(author=_author(author), text=item["text"]))
        else:
            raise EvalError(f"{where}: context items must be strings or {{author, text}} objects")
    return tuple(turns)


def _author(value: str) -> Author:
    if value == "bot":
        return "bot"
    if value == "agent":
        return "agent"
    if value == "system":
        return "system"
    return "customer"


# --------------------------------------------------------------------------------------------
# Predicting
# --------------------------------------------------------------------------------------------

Predictor = Callable[[str, tuple[Turn, ...]], dict[str, Any]]
Classifier = Callable[[str, tuple[Turn, ...]], Any]


def make_predictor(classifier: Classifier | None = None) -> Predictor:
    """Import the classifier and the router's engine (lazily: the shared package must not
    depend on the services) and return a function from (text, context) to a prediction.
    ``classifier`` replaces the default classifier for the message itself (an optional
    backend); the earlier turns, which only count negative turns, use the default one."""
    try:
        from rapport_router.engine import decide
        from rapport_router.replay import state_from_context
        from rapport_sentiment.classifier import classify, is_bot_fallback
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EvalError(
            f"rapport eval needs the rapport-sentiment and rapport-router packages ({exc}); "
            "run it from the workspace (uv run rapport eval ...) or install them"
        ) from None
    from rapport.policy import default_policy

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
        escalate_score = 0.5 + 0.5 * raw if escalate else 0.5 * min(raw, 0.999)
        return {
            "sentiment": c.sentiment,
            "escalate": int(escalate),
            "escalate_score": round(escalate_score, 4),
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


def score_predictions(
    predictions: Iterable[tuple[str, dict[str, Any]]], gold: Iterable[tuple[str, dict[str, Any]]]
) -> dict[str, dict[str, Any]]:
    """Per-source metrics. Both inputs are (where, object) pairs; objects joined by ``id``."""
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
        if "priority_gold" in col:
            gold_p, pred_p = col["priority_gold"], col["priority_pred"]
            entry["priority"] = {
                "macro_f1": macro_f1(gold_p, pred_p, PRIORITIES),
                "high_recall": precision_recall_f1(gold_p, pred_p, "high")[1],
                "n": len(gold_p),
            }
        report[source] = entry
    if missing:
        report["_unmatched_gold_items"] = {"n": missing}
    return report


def _fmt(value: float | None) -> str:
    return "   - " if value is None else f"{value:5.3f}"


def format_report(report: dict[str, dict[str, Any]]) -> str:
    lines: list[str] = []
    for source, entry in report.items():
        if source.startswith("_"):
            lines.append(f"warning: {entry['n']} gold items had no prediction")
            continue
        lines.append(f"{source} (n={entry['n']})")
        if s := entry.get("sentiment"):
            per = "  ".join(f"{k} {_fmt(v)}" for k, v in s["per_class_f1"].items())
            lines.append(f"  sentiment   macro-F1 {_fmt(s['macro_f1'])}   F1: {per}")
        for field in ("escalate", "frustrated"):
            if b := entry.get(field):
                lines.append(
                    f"  {field:<11} P {_fmt(b['precision'])}  R {_fmt(b['recall'])}  "
                    f"F1 {_fmt(b['f1'])}  PR-AUC {_fmt(b['pr_auc'])}  "
                    f"({b['positives']}/{b['n']} positive)"
                )
        if p := entry.get("priority"):
            lines.append(
                f"  priority    macro-F1 {_fmt(p['macro_f1'])}   "
                f"high recall {_fmt(p['high_recall'])}"
            )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# The Typer app
# --------------------------------------------------------------------------------------------


class _DefaultToRun(TyperGroup):
    """``rapport eval FILE...`` means ``rapport eval run FILE...``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(
    name="eval",
    cls=_DefaultToRun,
    help=(
        "Measure the classifier and the default policy on labelled JSONL files. "
        "`rapport eval FILE...` predicts and scores in one go."
    ),
    no_args_is_help=True,
    add_completion=False,
)

FilesArg = Annotated[list[Path], typer.Argument(help="JSONL files.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")]
ChatUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--chat-url",
        help="Classify with an OpenAI-compatible chat endpoint (e.g. http://host:8000/v1) "
        "instead of the default classifier; falls back to it per message on error or timeout. "
        "The API key, if any, is read from RAPPORT_CHAT_API_KEY.",
    ),
]
ChatModelOpt = Annotated[str, typer.Option("--chat-model", help="Model name for --chat-url.")]
ChatTimeoutOpt = Annotated[
    float, typer.Option("--chat-timeout", help="Seconds per message for --chat-url.")
]


@contextmanager
def _chat_backend(url: str | None, model: str, timeout: float) -> Iterator[Classifier | None]:
    """The chat backend for ``--chat-url`` (closed afterwards), or None for the default."""
    if url is None:
        yield None
        return
    import os

    try:
        from rapport_sentiment.backends import OpenAIChatBackend
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EvalError(f"--chat-url needs the rapport-sentiment package ({exc})") from None
    if not model:
        raise EvalError("--chat-url needs --chat-model")
    with OpenAIChatBackend(
        url, model, api_key=os.environ.get("RAPPORT_CHAT_API_KEY"), timeout=timeout
    ) as backend:
        yield lambda text, context: backend(text, context)


def _fail(exc: EvalError) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=2)


def _emit_report(report: dict[str, dict[str, Any]], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report, indent=2, sort_keys=True))
    else:
        typer.echo(format_report(report))


@eval_app.command("predict")
def predict_command(
    files: FilesArg,
    chat_url: ChatUrlOpt = None,
    chat_model: ChatModelOpt = "",
    chat_timeout: ChatTimeoutOpt = 5.0,
) -> None:
    """Write one prediction per input line (JSONL) to standard output."""
    try:
        out = sys.stdout
        with _chat_backend(chat_url, chat_model, chat_timeout) as classifier:
            for row in predict_files(files, classifier):
                out.write(json.dumps(row) + "\n")
    except EvalError as exc:
        raise _fail(exc) from None


def _pairs(paths: Sequence[Path]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in paths:
        for number, obj in read_jsonl(path):
            yield f"{path}:{number}", obj


@eval_app.command("score")
def score_command(
    predictions: Annotated[Path, typer.Argument(help="Predictions from `rapport eval predict`.")],
    gold: FilesArg,
    as_json: JsonOpt = False,
) -> None:
    """Compare predictions with gold labels: per-source metrics."""
    try:
        report = score_predictions(list(_pairs([predictions])), _pairs(gold))
    except EvalError as exc:
        raise _fail(exc) from None
    _emit_report(report, as_json)


@eval_app.command("run")
def run_command(
    files: FilesArg,
    as_json: JsonOpt = False,
    chat_url: ChatUrlOpt = None,
    chat_model: ChatModelOpt = "",
    chat_timeout: ChatTimeoutOpt = 5.0,
) -> None:
    """Predict and score the given labelled files (same as bare `rapport eval FILE...`)."""
    try:
        with _chat_backend(chat_url, chat_model, chat_timeout) as classifier:
            rows = list(predict_files(files, classifier))
        predictions = [(f"prediction {row['id']}", row) for row in rows]
        report = score_predictions(predictions, _pairs(files))
    except EvalError as exc:
        raise _fail(exc) from None
    _emit_report(report, as_json)


if __name__ == "__main__":
    eval_app()
