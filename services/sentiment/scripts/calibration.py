"""Reliability of ``escalate_score`` (as ``rapport eval`` computes it) and of the escalating
signals' scores, and a monotone map fitted on TRAIN data only (issue 11, item 6).

    uv run python services/sentiment/scripts/calibration.py ../shared/data [--signals] [--fit=a,b]

* Train (fit): ``train/bitext_train.csv`` (``complaint`` and ``contact_human_agent`` escalate),
  ``train/banking77_train.csv`` (the intents that escalate in the dev file's documented mapping:
  fraud, lost card, missing money; the intent names are taken from the dev file's ``meta``, no
  text), ``train/clinc150_train.jsonl`` (``oos`` escalates), each message through the same
  predictor as ``rapport eval`` (policy decision and ``escalate_score``).
* The map: isotonic regression (pool-adjacent-violators) of the label on ``escalate_score``
  over the ``--fit`` sources (default bitext and banking77), each source weighted equally
  (their base rates differ), as a step function.
* Dev (report only): reliability tables (10 equal-width bins: items, mean score, observed rate),
  expected calibration error and Brier score per source, before and after the map.
  ``--signals``: per escalating signal and score, how often the item is labelled escalate.

Nothing is written: the figures go to docs/classifier.md by hand. The data files are read by
path and never copied into the repository.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from rapport_sentiment.classifier import classify
from rapport_tools.evaluation.readers import parse_context, read_jsonl
from rapport_tools.evaluation.scoring import make_predictor

Pairs = list[tuple[float, int]]
BINS = 10
DEV_FILES = ("airline", "banking77", "bitext", "clinc150", "complaints")
BITEXT_ESCALATE = frozenset(("complaint", "contact_human_agent"))
# The train sources the map is fitted on (``--fit=a,b``): by default the two whose labels are
# what the policy escalates (a person asked for, a complaint; fraud, a lost card, missing
# money). clinc150's out-of-scope queries are no escalation the classifier attempts.
FIT = "bitext,banking77"


def train_sets(data: Path) -> dict[str, list[tuple[str, int]]]:
    bank_escalate = {
        row["meta"]["intent"]
        for _, row in read_jsonl(data / "dev/banking77.jsonl")
        if row.get("escalate") == 1 and isinstance(row.get("meta"), dict)
    }
    out: dict[str, list[tuple[str, int]]] = {}
    with (data / "train/bitext_train.csv").open(encoding="utf-8", newline="") as f:
        out["bitext"] = [
            (r["utterance"], int(r["intent"] in BITEXT_ESCALATE)) for r in csv.DictReader(f)
        ]
    with (data / "train/banking77_train.csv").open(encoding="utf-8", newline="") as f:
        out["banking77"] = [
            (r["text"], int(r["category"] in bank_escalate)) for r in csv.DictReader(f)
        ]
    lines = (data / "train/clinc150_train.jsonl").read_text("utf-8").splitlines()
    out["clinc150"] = [
        (d["text"], int(d["intent"] == "oos")) for d in (json.loads(x) for x in lines if x)
    ]
    return out


def reliability(pairs: Pairs) -> list[tuple[int, float, float]]:
    bins: list[list[tuple[float, int]]] = [[] for _ in range(BINS)]
    for p, y in pairs:
        bins[min(BINS - 1, int(p * BINS))].append((p, y))
    return [
        (len(b), sum(p for p, _ in b) / len(b), sum(y for _, y in b) / len(b)) if b else (0, 0, 0)
        for b in bins
    ]


def ece(pairs: Pairs) -> float:
    return sum(n * abs(m - r) for n, m, r in reliability(pairs)) / len(pairs)


def brier(pairs: Pairs) -> float:
    return sum((p - y) ** 2 for p, y in pairs) / len(pairs)


def pav(points: Sequence[tuple[float, int, float]]) -> list[tuple[float, float]]:
    """Isotonic fit of (score, label, weight): [(upper score of the block, value)]."""
    blocks: list[list[float]] = []  # [sum w*y, sum w, last x]
    for x, y, w in sorted(points):
        if blocks and blocks[-1][2] == x:
            blocks[-1][0] += w * y
            blocks[-1][1] += w
        else:
            blocks.append([w * y, w, x])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            blocks[-1][0] += last[0]
            blocks[-1][1] += last[1]
            blocks[-1][2] = last[2]
    return [(b[2], b[0] / b[1]) for b in blocks]


def apply(steps: list[tuple[float, float]], x: float) -> float:
    for upper, value in steps:
        if x <= upper:
            return value
    return steps[-1][1]


def show(name: str, pairs: Pairs, steps: list[tuple[float, float]]) -> None:
    mapped = [(apply(steps, p), y) for p, y in pairs]
    table = " ".join(
        f"{i / BINS:.1f}:{n}/{m:.2f}/{r:.2f}" for i, (n, m, r) in enumerate(reliability(pairs)) if n
    )
    sys.stdout.write(
        f"{name} (n={len(pairs)}): ECE {ece(pairs):.3f} -> {ece(mapped):.3f},"
        f" Brier {brier(pairs):.3f} -> {brier(mapped):.3f}\n"
        f"  bins (lower edge:items/mean/rate) {table}\n"
    )


def main(argv: list[str]) -> None:
    args = [a for a in argv if not a.startswith("--")]
    data = Path(args[0] if args else "../shared/data")
    predict = make_predictor()
    train: dict[str, Pairs] = {
        src: [(float(predict(t, ())["escalate_score"]), y) for t, y in rows]
        for src, rows in train_sets(data).items()
    }
    fit = next((a.split("=", 1)[1] for a in argv if a.startswith("--fit=")), FIT)
    points = [(p, y, 1.0 / len(train[src])) for src in fit.split(",") for p, y in train[src]]
    steps = pav(points)
    sys.stdout.write(
        "map (escalate_score <= x -> probability): "
        + " ".join(f"{x:.3f}->{v:.3f}" for x, v in steps)
        + "\n\non train (fitted here):\n"
    )
    for src, pairs in train.items():
        show(src, pairs, steps)
    sys.stdout.write("\non dev (not fitted):\n")
    signal_counts: dict[tuple[str, float], list[int]] = defaultdict(lambda: [0, 0])
    dev_all: Pairs = []
    for src in DEV_FILES:
        dev: Pairs = []
        for i, row in read_jsonl(data / f"dev/{src}.jsonl"):
            if row.get("escalate") is None:
                continue
            context = parse_context(row.get("context") or [], f"{src}:{i}")
            dev.append((float(predict(row["text"], context)["escalate_score"]), row["escalate"]))
            if "--signals" in argv:
                for s in classify(row["text"], context).signals:
                    c = signal_counts[s.name, round(s.score, 2)]
                    c[0] += 1
                    c[1] += row["escalate"]
        show(src, dev, steps)
        dev_all.extend(dev)
    show("all dev", dev_all, steps)
    if "--signals" in argv:
        sys.stdout.write("\nsignal score -> share of dev items labelled escalate (fires):\n")
        for (name, score), (n, pos) in sorted(signal_counts.items()):
            if n >= 10:
                sys.stdout.write(f"  {name} {score:.2f}: {pos / n:.2f} ({n})\n")


if __name__ == "__main__":
    main(sys.argv[1:])
