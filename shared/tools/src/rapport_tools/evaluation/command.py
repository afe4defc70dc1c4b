"""``rapport eval``: measure the classifier and the default policy on labelled JSONL files.

``predict`` runs every item through the same code path as the router and writes one prediction
per line; ``score`` compares predictions with gold labels per source; the bare form does both.

The input format is the one of ``../shared/data/README.md``: one JSON object per line with
``id``, ``text`` and ``context`` (earlier turns, oldest first: either strings, taken as customer
turns, or ``{"author", "text"}`` objects). Gold files may carry ``source``, ``sentiment``,
``escalate``, ``priority`` and ``frustrated``; null or missing labels are not scored.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from rapport_tools.evaluation.scoring import Classifier

# The readers and the scoring (which loads the classifier and the router) are imported inside
# the commands: `rapport --help` mounts this module and must not pay for them.


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
    rich_markup_mode=None,
)

FilesArg = Annotated[list[Path], typer.Argument(help="JSONL files.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")]
BootOpt = Annotated[
    int,
    typer.Option(
        "--boot",
        min=0,
        help="Add 95 % bootstrap intervals from this many resamples (e.g. 1000; seeded).",
    ),
]
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

    from rapport_sentiment.backends import OpenAIChatBackend
    from rapport_tools.evaluation.readers import EvalError

    if not model:
        raise EvalError("--chat-url needs --chat-model")
    with OpenAIChatBackend(
        url, model, api_key=os.environ.get("RAPPORT_CHAT_API_KEY"), timeout=timeout
    ) as backend:
        yield lambda text, context: backend(text, context)


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=2)


def _emit_report(report: dict[str, dict[str, Any]], as_json: bool) -> None:
    from rapport_tools.evaluation.scoring import format_report

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
    from rapport_tools.evaluation.readers import EvalError
    from rapport_tools.evaluation.scoring import predict_files

    try:
        out = sys.stdout
        with _chat_backend(chat_url, chat_model, chat_timeout) as classifier:
            for row in predict_files(files, classifier):
                out.write(json.dumps(row) + "\n")
    except EvalError as exc:
        raise _fail(exc) from None


def _pairs(paths: Sequence[Path]) -> Iterator[tuple[str, dict[str, Any]]]:
    from rapport_tools.evaluation.readers import read_jsonl

    for path in paths:
        for number, obj in read_jsonl(path):
            yield f"{path}:{number}", obj


@eval_app.command("score")
def score_command(
    predictions: Annotated[Path, typer.Argument(help="Predictions from `rapport eval predict`.")],
    gold: FilesArg,
    as_json: JsonOpt = False,
    boot: BootOpt = 0,
) -> None:
    """Compare predictions with gold labels: per-source metrics."""
    from rapport_tools.evaluation.readers import EvalError
    from rapport_tools.evaluation.scoring import score_predictions

    try:
        report = score_predictions(list(_pairs([predictions])), _pairs(gold), boot)
    except EvalError as exc:
        raise _fail(exc) from None
    _emit_report(report, as_json)


@eval_app.command("run")
def run_command(
    files: FilesArg,
    as_json: JsonOpt = False,
    boot: BootOpt = 0,
    chat_url: ChatUrlOpt = None,
    chat_model: ChatModelOpt = "",
    chat_timeout: ChatTimeoutOpt = 5.0,
) -> None:
    """Predict and score the given labelled files (same as bare `rapport eval FILE...`)."""
    from rapport_tools.evaluation.readers import EvalError
    from rapport_tools.evaluation.scoring import predict_files, score_predictions

    try:
        with _chat_backend(chat_url, chat_model, chat_timeout) as classifier:
            rows = list(predict_files(files, classifier))
        predictions = [(f"prediction {row['id']}", row) for row in rows]
        report = score_predictions(predictions, _pairs(files), boot)
    except EvalError as exc:
        raise _fail(exc) from None
    _emit_report(report, as_json)


if __name__ == "__main__":
    eval_app()
