"""``rapport eval``: metrics (pure), readers (the JSONL input), scoring (predict + score) and
the command. Import the command from :mod:`rapport_tools.evaluation.command`."""

from rapport_tools.evaluation.metrics import (
    BinaryMetrics,
    average_precision,
    binary_metrics,
    bootstrap_interval,
    macro_f1,
    per_class_f1,
    precision_recall_f1,
)
from rapport_tools.evaluation.readers import EvalError, parse_context, read_jsonl
from rapport_tools.evaluation.scoring import (
    format_report,
    make_predictor,
    predict_files,
    score_predictions,
)

__all__ = [
    "BinaryMetrics",
    "EvalError",
    "average_precision",
    "binary_metrics",
    "bootstrap_interval",
    "format_report",
    "macro_f1",
    "make_predictor",
    "parse_context",
    "per_class_f1",
    "precision_recall_f1",
    "predict_files",
    "read_jsonl",
    "score_predictions",
]
