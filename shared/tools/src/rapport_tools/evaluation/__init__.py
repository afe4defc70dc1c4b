"""``rapport eval``: metrics (pure), readers (the JSONL input), scoring (predict + score) and
the command. Import the command from :mod:`rapport_tools.evaluation.command`.

The names below are imported on first use (PEP 562), so that importing the command (which
``rapport --help`` does) does not load the classifier and the router."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_WHERE = {
    **dict.fromkeys(
        (
            "BinaryMetrics",
            "average_precision",
            "binary_metrics",
            "bootstrap_interval",
            "macro_f1",
            "per_class_f1",
            "precision_recall_f1",
        ),
        "metrics",
    ),
    **dict.fromkeys(("EvalError", "parse_context", "read_jsonl"), "readers"),
    **dict.fromkeys(
        ("format_report", "make_predictor", "predict_files", "score_predictions"), "scoring"
    ),
}

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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
