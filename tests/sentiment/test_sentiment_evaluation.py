"""`rapport eval`: metrics against hand-computed values, input handling, the Typer commands."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport_tools.evaluation import (
    EvalError,
    average_precision,
    bootstrap_interval,
    macro_f1,
    parse_context,
    per_class_f1,
    precision_recall_f1,
    score_predictions,
)
from rapport_tools.evaluation.command import eval_app

runner = CliRunner()


def test_precision_recall_f1_hand_computed() -> None:
    gold = [1, 1, 1, 0, 0, 0]
    pred = [1, 1, 0, 1, 0, 0]
    # tp=2, fp=1, fn=1 -> P=2/3, R=2/3, F1=2/3
    p, r, f = precision_recall_f1(gold, pred, 1)
    assert p == pytest.approx(2 / 3)
    assert r == pytest.approx(2 / 3)
    assert f == pytest.approx(2 / 3)


def test_f1_undefined_is_zero() -> None:
    assert precision_recall_f1([0, 0], [0, 0], 1) == (0.0, 0.0, 0.0)


def test_macro_f1_hand_computed() -> None:
    gold = ["negative", "negative", "neutral", "positive"]
    pred = ["negative", "neutral", "neutral", "negative"]
    # negative: tp1 fp1 fn1 -> F1 .5; neutral: tp1 fp1 fn0 -> P .5 R 1 F1 2/3; positive: 0
    per = per_class_f1(gold, pred, ("negative", "neutral", "positive"))
    assert per["negative"] == pytest.approx(0.5)
    assert per["neutral"] == pytest.approx(2 / 3)
    assert per["positive"] == 0.0
    assert macro_f1(gold, pred, ("negative", "neutral", "positive")) == pytest.approx(
        (0.5 + 2 / 3 + 0) / 3
    )


def test_average_precision_hand_computed() -> None:
    # ranked: 0.9(+) 0.8(-) 0.7(+) 0.1(-) -> AP = (1/2)*1 + (1/2)*(2/3) = 5/6
    assert average_precision([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]) == pytest.approx(5 / 6)
    # perfect ranking
    assert average_precision([0, 1, 1], [0.1, 0.8, 0.9]) == pytest.approx(1.0)
    # ties are one threshold: all tied, 1 of 4 positive -> precision 1/4
    assert average_precision([1, 0, 0, 0], [0.5, 0.5, 0.5, 0.5]) == pytest.approx(0.25)
    assert average_precision([0, 0], [0.3, 0.2]) is None


def test_parse_context_accepts_strings_and_objects() -> None:
    turns = parse_context(["hi", {"author": "bot", "text": "hello"}], "x")
    assert [(t.author, t.text) for t in turns] == [("customer", "hi"), ("bot", "hello")]
    with pytest.raises(EvalError):
        parse_context([{"author": "alien", "text": "x"}], "x")
    with pytest.raises(EvalError):
        parse_context("nope", "x")


def test_score_predictions_per_source() -> None:
    gold = [
        ("g:1", {"id": "a:1", "source": "a", "sentiment": "negative", "escalate": 1}),
        ("g:2", {"id": "a:2", "source": "a", "sentiment": "positive", "escalate": 0}),
        ("g:3", {"id": "b:1", "source": "b", "frustrated": 1, "priority": "high"}),
    ]
    preds = [
        ("p:1", {"id": "a:1", "sentiment": "negative", "escalate": 1, "escalate_score": 0.9}),
        ("p:2", {"id": "a:2", "sentiment": "negative", "escalate": 1, "escalate_score": 0.6}),
        ("p:3", {"id": "b:1", "frustrated": 1, "frustration": 0.7, "priority": "medium"}),
    ]
    report = score_predictions(preds, gold)
    assert report["a"]["escalate"]["precision"] == pytest.approx(0.5)
    assert report["a"]["escalate"]["recall"] == pytest.approx(1.0)
    assert report["a"]["escalate"]["pr_auc"] == pytest.approx(1.0)
    assert report["a"]["sentiment"]["per_class_f1"]["negative"] == pytest.approx(2 / 3)
    assert report["b"]["frustrated"]["f1"] == pytest.approx(1.0)
    assert report["b"]["priority"]["high_recall"] == 0.0


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


GOLD_ROWS: list[dict[str, object]] = [
    {"id": "t:1", "source": "t", "text": "I want to speak to a human now", "context": [],
     "escalate": 1, "sentiment": "negative"},
    {"id": "t:2", "source": "t", "text": "Thanks, that was perfect!", "context": ["hi"],
     "escalate": 0, "sentiment": "positive"},
    {"id": "t:3", "source": "t", "text": "Where is my order?",
     "context": [{"author": "bot", "text": "Sorry, I didn't understand."}],
     "escalate": 0, "sentiment": "neutral"},
]  # fmt: skip


def test_predict_writes_one_line_per_item(tmp_path: Path) -> None:
    gold = _write(tmp_path / "gold.jsonl", GOLD_ROWS)
    result = runner.invoke(eval_app, ["predict", str(gold)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["t:1", "t:2", "t:3"]
    for r in rows:
        assert r["sentiment"] in ("negative", "neutral", "positive")
        assert r["escalate"] in (0, 1)
        assert r["frustrated"] in (0, 1)
        assert r["priority"] in ("low", "medium", "high")
        assert 0.0 <= r["escalate_score"] <= 1.0
        assert 0.0 <= r["complexity"] <= 1.0
        assert 0.0 <= r["escalate_score_raw"] <= 1.0
        assert (r["escalate_score_raw"] >= 0.5) == bool(r["escalate"])
    assert rows[0]["escalate"] == 1
    assert rows[0]["priority"] == "high"


def test_score_and_bare_form_agree(tmp_path: Path) -> None:
    gold = _write(tmp_path / "gold.jsonl", GOLD_ROWS)
    predicted = runner.invoke(eval_app, ["predict", str(gold)])
    preds = tmp_path / "pred.jsonl"
    preds.write_text(predicted.stdout, "utf-8")
    scored = runner.invoke(eval_app, ["score", str(preds), str(gold), "--json"])
    assert scored.exit_code == 0, scored.output
    bare = runner.invoke(eval_app, [str(gold), "--json"])
    assert bare.exit_code == 0, bare.output
    assert json.loads(scored.stdout) == json.loads(bare.stdout)
    report = json.loads(bare.stdout)
    assert report["t"]["escalate"]["recall"] == 1.0
    text = runner.invoke(eval_app, [str(gold)])
    assert "escalate" in text.stdout


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(eval_app, ["predict", str(tmp_path / "nope.jsonl")])
    assert result.exit_code != 0
    assert "no such file" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": "x", "text": "hi"}\n{not json\n', ":2: not valid JSON"),
        ('["a list"]\n', "expected a JSON object"),
        ('{"text": "no id"}\n', "missing 'id'"),
        ('{"id": "x", "text": "hi", "context": [3]}\n', "context items"),
    ],
)
def test_malformed_input_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content, "utf-8")
    result = runner.invoke(eval_app, [str(bad)])
    assert result.exit_code != 0
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_bootstrap_interval_brackets_the_statistic_and_is_reproducible() -> None:
    gold = [1] * 30 + [0] * 70
    pred = [1] * 20 + [0] * 10 + [1] * 10 + [0] * 60

    def f1(idx: Sequence[int]) -> float:
        return precision_recall_f1([gold[i] for i in idx], [pred[i] for i in idx], 1)[2]

    low, high = bootstrap_interval(len(gold), f1, 300)
    point = f1(range(len(gold)))
    assert low < point < high
    assert high - low < 0.4
    assert bootstrap_interval(len(gold), f1, 300) == (low, high)


def test_eval_boot_adds_intervals(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        "\n".join(
            json.dumps({"id": f"s:{i}", "text": t, "sentiment": s})
            for i, (t, s) in enumerate(
                [("I love it, thank you", "positive"), ("This is terrible", "negative")] * 10
            )
        )
    )
    result = runner.invoke(eval_app, [str(gold), "--boot", "50", "--json"])
    assert result.exit_code == 0, result.output
    ci = json.loads(result.output)["s"]["sentiment"]["ci95"]
    assert 0.0 <= ci[0] <= ci[1] <= 1.0


def test_the_escalate_calibration_keeps_every_ranking() -> None:
    """escalate_score is a probability (Platt map fitted on train files, lexicon-3.2) that is
    strictly increasing in the raw score, the step at the decision included."""
    import itertools

    from rapport_tools.evaluation.scoring import CALIBRATION, calibrate

    assert CALIBRATION is not None and CALIBRATION[0] > 0 and CALIBRATION[2] >= 0
    raws = [i / 1000 for i in range(1001)]
    probs = [calibrate(r, r >= 0.5) for r in raws]
    assert all(a < b for a, b in itertools.pairwise(probs))
    assert all(0.0 < p < 1.0 for p in probs)
