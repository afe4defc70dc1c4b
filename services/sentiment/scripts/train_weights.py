"""Rebuild the classifier's learned word weights (``classifier/weights.tsv``).

Trains three logistic regressions on the GoEmotions training split (Apache-2.0, Demszky et
al., ACL 2020), and on nothing else:

* ``neg``  - the comment carries a negative emotion (GoEmotions' "negative" group),
* ``pos``  - the comment carries a positive emotion (the "positive" group),
* ``frus`` - anger, annoyance, disappointment, disapproval or disgust.

``neg`` and ``pos`` are trained in plain Python (AdaGrad, 2 epochs) on the classifier's tokens
with negation marked (``_text.features``), counted once per comment, as since ``lexicon-2.0``.

``frus`` is an L2-regularised logistic regression fitted to convergence (full-batch Adam) on
the classifier's own per-message keys plus their 4-letter stems (``_text.frustration_features``:
exactly what ``_core._scan`` sums at run time), with the regularisation and the feature cut
chosen by 5-fold cross-validation on the TRAIN split. It needs numpy at training time only
(the classifier itself stays pure Python):

    uv run --with numpy python services/sentiment/scripts/train_weights.py ../shared/data/train

``--cv`` also reports the 5-fold out-of-fold F1 of the whole frustration score (``frustrated``
= frustration >= 0.5, as in ``rapport eval``) on the train split, for a grid of ``FRUS_LEX``
and ``FRUS_SHIFT`` (the two constants in ``_core.py`` were chosen from it, not on dev).

The shipped file keeps the weights that matter (|neg| or |pos| >= 0.2, |frus| >= 0.1),
rounded. The training files are read by path and never copied into the repository.
"""

from __future__ import annotations

import math
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from rapport_sentiment.classifier import _core, classify
from rapport_sentiment.classifier._text import features, frustration_features, normalise

FRUSTRATION_LABELS = {"anger", "annoyance", "disappointment", "disapproval", "disgust"}
HEADS = ("neg", "pos", "frus")
MIN_DOC_COUNT = 10  # neg / pos
MIN_WEIGHT = 0.2
EPOCHS = 2
LEARNING_RATE = 0.2
L2 = 2e-5
FRUS_MIN_DOC_COUNT = 3  # frus: chosen by 5-fold CV on train (3 / 5 / 10)
FRUS_L2 = 1e-4  # chosen by 5-fold CV on train (5e-5 .. 3e-4)
FRUS_MIN_WEIGHT = 0.1
FRUS_ITERATIONS = 300
FRUS_STEP = 0.05
OUT = Path(__file__).resolve().parents[1] / "src/rapport_sentiment/classifier/weights.tsv"

Row = tuple[list[str], list[str], tuple[int, int, int], str]


def _load(train_dir: Path) -> list[Row]:
    names = (train_dir / "goemotions_labels.txt").read_text("utf-8").split()
    groups = (train_dir / "goemotions_group_labels.txt").read_text("utf-8").split()
    fine: dict[str, set[str]] = {}
    for line in (train_dir / "goemotions_train.tsv").read_text("utf-8").splitlines():
        _, labels, item_id = line.split("\t")
        fine[item_id] = {names[int(i)] for i in labels.split(",")}
    rows: list[Row] = []
    for line in (train_dir / "goemotions_group_train.tsv").read_text("utf-8").splitlines():
        text, labels, item_id = line.split("\t")
        group = {groups[int(i)] for i in labels.split(",")}
        feats = sorted(set(features(normalise(text))))
        keys = _core._scan(normalise(_core._fold(text[: _core.MAX_TEXT]))).keys
        y = (
            int("negative" in group),
            int("positive" in group),
            int(bool(fine.get(item_id, set()) & FRUSTRATION_LABELS)),
        )
        rows.append((feats, frustration_features(keys), y, text))
    return rows


def _train(rows: list[Row], head: int, vocab: set[str]) -> dict[str, float]:
    """neg / pos: AdaGrad over the comments, plain Python."""
    w: dict[str, float] = dict.fromkeys(vocab, 0.0)
    g2: dict[str, float] = dict.fromkeys(vocab, 1e-8)
    bias, bias_g2 = 0.0, 1e-8
    rng = random.Random(13)
    order = list(range(len(rows)))
    for _ in range(EPOCHS):
        rng.shuffle(order)
        for i in order:
            feats, _, ys, _ = rows[i]
            fs = [f for f in feats if f in w]
            z = bias + sum(w[f] for f in fs)
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            err = p - ys[head]
            bias_g2 += err * err
            bias -= LEARNING_RATE * err / math.sqrt(bias_g2)
            for f in fs:
                grad = err + L2 * w[f]
                g2[f] += grad * grad
                w[f] -= LEARNING_RATE * grad / math.sqrt(g2[f])
    w["__bias__"] = bias
    return w


def _train_frus(rows: list[Row]) -> dict[str, float]:
    """frus: L2-regularised logistic regression, full-batch Adam to convergence (numpy).
    Returns the kept weights, rounded as shipped, and ``__bias__``."""
    import numpy as np

    counts = Counter(f for _, ff, _, _ in rows for f in set(ff))
    names = sorted(f for f, n in counts.items() if n >= FRUS_MIN_DOC_COUNT)
    index = {f: j for j, f in enumerate(names)}
    cols: list[int] = []
    lengths: list[int] = []
    for _, ff, _, _ in rows:
        js = [index[f] for f in ff if f in index]
        cols.extend(js)
        lengths.append(len(js))
    n, v = len(rows), len(names)
    idx = np.array(cols, dtype=np.int64)
    row_of = np.repeat(np.arange(n), np.array(lengths, dtype=np.int64))
    y = np.array([r[2][2] for r in rows], dtype=float)
    w = np.zeros(v)
    b = -1.6
    m = np.zeros(v + 1)
    s = np.zeros(v + 1)
    for t in range(1, FRUS_ITERATIONS + 1):
        z = b + np.bincount(row_of, weights=w[idx], minlength=n)
        err = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))) - y
        grad = np.append(
            np.bincount(idx, weights=err[row_of], minlength=v) / n + FRUS_L2 * w, err.mean()
        )
        m = 0.9 * m + 0.1 * grad
        s = 0.999 * s + 0.001 * grad * grad
        step = FRUS_STEP * (m / (1 - 0.9**t)) / (np.sqrt(s / (1 - 0.999**t)) + 1e-8)
        w -= step[:-1]
        b -= float(step[-1])
    out = {f: round(float(x), 2) for f, x in zip(names, w, strict=True)}
    out = {f: x for f, x in out.items() if abs(x) >= FRUS_MIN_WEIGHT}
    out["__bias__"] = round(b, 2)
    return out


def _cross_validate(rows: list[Row]) -> None:
    """5-fold out-of-fold F1 of the frustration score on the train split, for a grid of
    FRUS_LEX and FRUS_SHIFT; the other parts of the score come from the classifier itself."""
    rng = random.Random(7)
    order = list(range(len(rows)))
    rng.shuffle(order)
    k = len(rows) // 5
    folds = [order[i * k : (i + 1) * k] if i < 4 else order[i * k :] for i in range(5)]
    logit = [0.0] * len(rows)
    for fold in folds:
        held = set(fold)
        model = _train_frus([r for i, r in enumerate(rows) if i not in held])
        for i in fold:
            logit[i] = model["__bias__"] + sum(model.get(f, 0.0) for f in rows[i][1])
    parts: list[tuple[float, float, bool, int]] = []
    for _, _, ys, text in rows:
        c = classify(text)
        scan = _core._scan(normalise(_core._fold(text[: _core.MAX_TEXT])))
        best = {s.name: s.score for s in c.signals}
        damped = c.sentiment_score >= _core.POSITIVE_AT and "sarcasm" not in best
        parts.append((scan.negative, _core._evidence(best), damped, ys[2]))

    def f1(lex: float, shift: float) -> float:
        tp = fp = fn = 0
        for z, (neg, strong, damped, y) in zip(logit, parts, strict=True):
            p = _core._sigmoid(z + lex * neg + shift)
            f = 1 - (1 - p) * math.exp(-_core.FRUS_EVIDENCE * strong)
            hit = (f * 0.5 if damped else f) >= 0.5
            tp += hit and y == 1
            fp += hit and y == 0
            fn += (not hit) and y == 1
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0

    for lex in (0.0, 0.1, 0.25):
        scores = {s / 100: f1(lex, s / 100) for s in range(50, 160, 2)}
        shift = max(scores, key=lambda x: scores[x])
        sys.stdout.write(
            f"FRUS_LEX {lex}: best FRUS_SHIFT {shift:.2f}, out-of-fold F1 {scores[shift]:.4f}"
            f" (at the shipped FRUS_SHIFT {_core.FRUS_SHIFT}:"
            f" {f1(lex, _core.FRUS_SHIFT):.4f})\n"
        )


def main(argv: list[str]) -> None:
    args = [a for a in argv if not a.startswith("--")]
    train_dir = Path(args[0] if args else "../shared/data/train")
    rows = _load(train_dir)
    if "--cv" in argv:
        _cross_validate(rows)
    counts = Counter(f for feats, _, _, _ in rows for f in feats)
    vocab = {f for f, n in counts.items() if n >= MIN_DOC_COUNT}
    models: list[Any] = [_train(rows, h, vocab) for h in range(2)]
    frus = _train_frus(rows)
    lines = ["# word\t" + "\t".join(HEADS) + "  (trained on GoEmotions train, Apache-2.0)"]
    lines.append(
        "__bias__\t"
        + "\t".join(f"{x:.2f}" for x in (*(m["__bias__"] for m in models), frus["__bias__"]))
    )
    for f in sorted((vocab | frus.keys()) - {"__bias__"}):
        neg, pos = (m.get(f, 0.0) for m in models)
        fr = frus.get(f, 0.0)
        if max(abs(neg), abs(pos)) >= MIN_WEIGHT or abs(fr) >= FRUS_MIN_WEIGHT:
            lines.append(f"{f}\t{neg:.2f}\t{pos:.2f}\t{fr:.2f}")
    OUT.write_text("\n".join(lines) + "\n", "utf-8")
    sys.stdout.write(
        f"{len(rows)} comments, {len(vocab)} neg/pos features, {len(frus) - 1} frus weights,"
        f" {len(lines) - 2} rows -> {OUT}\n"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
