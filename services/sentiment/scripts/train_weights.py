"""Rebuild the classifier's learned word weights (``classifier/weights.tsv``).

Trains three small logistic regressions in plain Python (no numpy) on the GoEmotions training
split (Apache-2.0, Demszky et al., ACL 2020), and on nothing else:

* ``neg``  - the comment carries a negative emotion (GoEmotions' "negative" group),
* ``pos``  - the comment carries a positive emotion (the "positive" group),
* ``frus`` - anger, annoyance, disappointment, disapproval or disgust.

Features are the classifier's own tokens with negation marked (``_text.features``), counted
once per comment. The shipped file keeps the weights that matter (|w| >= MIN_WEIGHT), rounded.

    uv run python services/sentiment/scripts/train_weights.py ../shared/data/train

The training files are read by path and never copied into the repository.
"""

from __future__ import annotations

import math
import random
import sys
from collections import Counter
from pathlib import Path

from rapport_sentiment.classifier._text import features, normalise

FRUSTRATION_LABELS = {"anger", "annoyance", "disappointment", "disapproval", "disgust"}
HEADS = ("neg", "pos", "frus")
MIN_DOC_COUNT = 10
MIN_WEIGHT = 0.2
EPOCHS = 2
LEARNING_RATE = 0.2
L2 = 2e-5
OUT = Path(__file__).resolve().parents[1] / "src/rapport_sentiment/classifier/weights.tsv"


def _load(train_dir: Path) -> list[tuple[list[str], tuple[int, int, int]]]:
    names = (train_dir / "goemotions_labels.txt").read_text("utf-8").split()
    groups = (train_dir / "goemotions_group_labels.txt").read_text("utf-8").split()
    fine: dict[str, set[str]] = {}
    texts: dict[str, str] = {}
    for line in (train_dir / "goemotions_train.tsv").read_text("utf-8").splitlines():
        text, labels, item_id = line.split("\t")
        fine[item_id] = {names[int(i)] for i in labels.split(",")}
        texts[item_id] = text
    rows: list[tuple[list[str], tuple[int, int, int]]] = []
    for line in (train_dir / "goemotions_group_train.tsv").read_text("utf-8").splitlines():
        text, labels, item_id = line.split("\t")
        group = {groups[int(i)] for i in labels.split(",")}
        feats = sorted(set(features(normalise(text))))
        y = (
            int("negative" in group),
            int("positive" in group),
            int(bool(fine.get(item_id, set()) & FRUSTRATION_LABELS)),
        )
        rows.append((feats, y))
    return rows


def _train(
    rows: list[tuple[list[str], tuple[int, int, int]]], head: int, vocab: set[str]
) -> dict[str, float]:
    w: dict[str, float] = dict.fromkeys(vocab, 0.0)
    g2: dict[str, float] = dict.fromkeys(vocab, 1e-8)
    bias, bias_g2 = 0.0, 1e-8
    rng = random.Random(13)
    order = list(range(len(rows)))
    for _ in range(EPOCHS):
        rng.shuffle(order)
        for i in order:
            feats, ys = rows[i]
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


def main() -> None:
    train_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/train")
    rows = _load(train_dir)
    counts = Counter(f for feats, _ in rows for f in feats)
    vocab = {f for f, n in counts.items() if n >= MIN_DOC_COUNT}
    models = [_train(rows, h, vocab) for h in range(len(HEADS))]
    lines = ["# word\t" + "\t".join(HEADS) + "  (trained on GoEmotions train, Apache-2.0)"]
    lines.append("__bias__\t" + "\t".join(f"{m['__bias__']:.2f}" for m in models))
    for f in sorted(vocab):
        ws = [m[f] for m in models]
        if max(abs(x) for x in ws) >= MIN_WEIGHT:
            lines.append(f + "\t" + "\t".join(f"{x:.2f}" for x in ws))
    OUT.write_text("\n".join(lines) + "\n", "utf-8")
    sys.stdout.write(
        f"{len(rows)} comments, {len(vocab)} features, {len(lines) - 2} kept -> {OUT}\n"
    )


if __name__ == "__main__":
    main()
