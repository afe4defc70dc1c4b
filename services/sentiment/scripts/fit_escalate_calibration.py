"""Fit the probability map of ``escalate_score``
(``rapport_tools/evaluation/escalate_calibration.tsv``) on permissive TRAIN files only, by
5-fold cross-validation, and report reliability.

    uv run python services/sentiment/scripts/fit_escalate_calibration.py ../shared/data \
        [--check] [--dev] [--lofo]

* Train: ``train/bitext_train.csv`` (CDLA-Sharing-1.0: ``contact_human_agent`` and ``complaint``
  escalate, the other intents do not), ``train/banking77_train.csv`` (CC BY 4.0: the intents the
  dev file's documented mapping escalates - fraud, lost card, missing money - escalate; their
  names are read from the dev file's ``meta``, no text), ``train/clinc150_train.jsonl`` (CC BY
  3.0: the in-scope queries, as negatives; the out-of-scope ones are left out - they need an
  intent model the classifier does not attempt, and a map fitted to them would only say that
  nothing is sure). Each message goes through the predictor of ``rapport eval`` (policy
  decision and the raw ``escalate_score``); each source weighs equally (their sizes and base
  rates differ). The files are read by path, nothing is copied.
* The map (Platt scaling with a step at the decision): P(escalate) = sigmoid(A * raw + B +
  C * escalated), escalated = the policy routed to a person (raw >= 0.5 exactly then). With
  A > 0 and C >= 0 it is strictly increasing in ``raw``, so every ranking figure (PR-AUC) and
  every decision stays as it was; only the scale becomes a probability. A fitted C < 0 is
  replaced by a refit with C = 0 (monotony first). Fitted by Newton's
  method on the weighted log-loss; constants rounded to 4 decimals.
* 5-fold CV (seeded folds within each source): out-of-fold expected calibration error (10 bins)
  and Brier score of the map, against the raw score. ``--dev`` also prints the reliability on
  the dev files (reporting only; every run with ``--dev`` is a dev look, record it in
  docs/classifier.md). ``--check`` compares with the shipped file instead of writing it.
  ``--lofo`` also prints leave-one-source-out reliability (train only).
"""

from __future__ import annotations

import csv
import json
import math
import random
import sys
from pathlib import Path

from rapport_tools.evaluation.readers import parse_context, read_jsonl
from rapport_tools.evaluation.scoring import make_predictor

Rows = list[tuple[float, int, int]]  # (raw score, escalated by the policy, label)
BITEXT_ESCALATE = frozenset(("complaint", "contact_human_agent"))
DEV_FILES = ("airline", "banking77", "bitext", "clinc150", "complaints")
FOLDS = 5
SEED = 7
BINS = 10
OUT = (
    Path(__file__).resolve().parents[3]
    / "shared/tools/src/rapport_tools/evaluation/escalate_calibration.tsv"
)


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
        (d["text"], 0) for d in (json.loads(x) for x in lines if x) if d["intent"] != "oos"
    ]
    return out


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def fit(rows: Rows, weights: list[float]) -> tuple[float, float, float]:
    """Weighted logistic regression of the label on (raw, 1, escalated), Newton's method with
    a tiny ridge (1e-6) for stability. C < 0 would break the monotony (an escalated item at
    raw 0.5 below one kept at 0.49): then C is fixed at 0 (plain Platt scaling)."""
    consts = _newton(rows, weights, free_c=True)
    if consts[2] < 0:
        consts = _newton(rows, weights, free_c=False)
    return consts


def _newton(rows: Rows, weights: list[float], *, free_c: bool) -> tuple[float, float, float]:
    a = b = c = 0.0
    for _ in range(50):
        g = [0.0, 0.0, 0.0]
        h = [[1e-6, 0.0, 0.0], [0.0, 1e-6, 0.0], [0.0, 0.0, 1e-6]]
        for (s, e, y), w in zip(rows, weights, strict=True):
            x = (s, 1.0, float(e))
            p = sigmoid(a * s + b + c * e)
            for i in range(3):
                g[i] += w * (p - y) * x[i]
                for j in range(3):
                    h[i][j] += w * p * (1 - p) * x[i] * x[j]
        if not free_c:  # C held at 0: its row and column drop out
            g[2] = 0.0
            h[2] = [0.0, 0.0, 1.0]
            h[0][2] = h[1][2] = 0.0
        step = _solve(h, g)
        a, b, c = a - step[0], b - step[1], c - step[2]
        if max(abs(v) for v in step) < 1e-9:
            break
    return round(a, 4), round(b, 4), round(c, 4)


def _solve(m: list[list[float]], v: list[float]) -> list[float]:
    """3x3 linear system by Gaussian elimination with partial pivoting."""
    a = [[*row, v[i]] for i, row in enumerate(m)]
    for col in range(3):
        piv = max(range(col, 3), key=lambda r: abs(a[r][col]))
        a[col], a[piv] = a[piv], a[col]
        for r in range(3):
            if r != col:
                f = a[r][col] / a[col][col]
                a[r] = [x - f * y for x, y in zip(a[r], a[col], strict=True)]
    return [a[i][3] / a[i][i] for i in range(3)]


def apply(k: tuple[float, float, float], s: float, e: int) -> float:
    return sigmoid(k[0] * s + k[1] + k[2] * e)


def reliability(pairs: list[tuple[float, int]]) -> list[tuple[int, float, float]]:
    bins: list[list[tuple[float, int]]] = [[] for _ in range(BINS)]
    for p, y in pairs:
        bins[min(BINS - 1, int(p * BINS))].append((p, y))
    return [
        (len(b), sum(p for p, _ in b) / len(b), sum(y for _, y in b) / len(b)) if b else (0, 0, 0)
        for b in bins
    ]


def ece(pairs: list[tuple[float, int]]) -> float:
    return sum(n * abs(m - r) for n, m, r in reliability(pairs)) / len(pairs)


def brier(pairs: list[tuple[float, int]]) -> float:
    return sum((p - y) ** 2 for p, y in pairs) / len(pairs)


def table(pairs: list[tuple[float, int]]) -> str:
    return " ".join(
        f"{i / BINS:.1f}:{n}/{m:.2f}/{r:.2f}" for i, (n, m, r) in enumerate(reliability(pairs)) if n
    )


def main(argv: list[str]) -> None:
    args = [a for a in argv if not a.startswith("--")]
    data = Path(args[0] if args else "../shared/data")
    out = sys.stdout.write
    predict = make_predictor(calibrated=False)
    sets: dict[str, Rows] = {}
    for src, items in train_sets(data).items():
        rows: Rows = []
        for text, y in items:
            p = predict(text, ())
            rows.append((float(p["escalate_score"]), int(p["escalate"]), y))
        sets[src] = rows
    # Folds within each source, each source weighing equally.
    rng = random.Random(SEED)
    folds: list[tuple[str, int]] = []  # (source, fold) per row, in source order
    for src, rows in sets.items():
        order = list(range(len(rows)))
        rng.shuffle(order)
        fold_of = [0] * len(rows)
        for rank, i in enumerate(order):
            fold_of[i] = rank % FOLDS
        folds.extend((src, f) for f in fold_of)
    every = [r for rows in sets.values() for r in rows]
    weight = [1.0 / len(sets[src]) for src, _ in folds]
    oof = [0.0] * len(every)
    for k in range(FOLDS):
        idx = [i for i, (_, f) in enumerate(folds) if f != k]
        consts = fit([every[i] for i in idx], [weight[i] for i in idx])
        for i, (_, f) in enumerate(folds):
            if f == k:
                oof[i] = apply(consts, every[i][0], every[i][1])
    shipped = fit(every, weight)
    out(f"map: P = sigmoid({shipped[0]} * raw + {shipped[1]} + {shipped[2]} * escalated)\n")
    out("train, 5-fold out of fold (the map fitted without the fold):\n")
    start = 0
    for src, rows in sets.items():
        raw = [(s, y) for s, _, y in rows]
        cal = [(oof[start + i], y) for i, (_, _, y) in enumerate(rows)]
        start += len(rows)
        out(
            f"  {src} (n={len(rows)}, rate {sum(y for *_, y in rows) / len(rows):.3f}):"
            f" ECE {ece(raw):.3f} -> {ece(cal):.3f}, Brier {brier(raw):.3f} -> {brier(cal):.3f}\n"
            f"    out-of-fold bins (lower edge:items/mean/rate) {table(cal)}\n"
        )
    if "--lofo" in argv:
        # Leave one train source out: the map fitted on the other sources (each weighing
        # equally), read on the one left out - how far a map carries to a source it has not
        # seen (the question complaints dev raises), on train files only.
        out("train, leave one source out (the map fitted on the other sources):\n")
        for src, rows in sets.items():
            rest = [(o, r) for o, r in sets.items() if o != src]
            fitted = fit(
                [x for _, r in rest for x in r],
                [1.0 / len(r) for _, r in rest for _ in r],
            )
            raw = [(sc, y) for sc, _, y in rows]
            cal = [(apply(fitted, sc, e), y) for sc, e, y in rows]
            out(
                f"  {src} left out: map {fitted}; ECE {ece(raw):.3f} -> {ece(cal):.3f},"
                f" Brier {brier(raw):.3f} -> {brier(cal):.3f}\n"
                f"    bins {table(cal)}\n"
            )
    if "--dev" in argv:
        out("dev (reporting only; a dev look):\n")
        every_dev: list[tuple[float, int, int]] = []
        for src in DEV_FILES:
            dev: list[tuple[float, int, int]] = []
            for i, row in read_jsonl(data / f"dev/{src}.jsonl"):
                if row.get("escalate") is None:
                    continue
                context = parse_context(row.get("context") or [], f"{src}:{i}")
                p = predict(row["text"], context)
                dev.append((float(p["escalate_score"]), int(p["escalate"]), int(row["escalate"])))
            every_dev.extend(dev)
            for name, part in ((src, dev), ("all dev", every_dev if src == DEV_FILES[-1] else [])):
                if not part:
                    continue
                raw = [(s, y) for s, _, y in part]
                cal = [(apply(shipped, s, e), y) for s, e, y in part]
                out(
                    f"  {name} (n={len(part)}): ECE {ece(raw):.3f} -> {ece(cal):.3f},"
                    f" Brier {brier(raw):.3f} -> {brier(cal):.3f}\n"
                    f"    calibrated bins {table(cal)}\n"
                )
    text = (
        "# escalate_score = sigmoid(A * raw + B + C * escalated); written by\n"
        "# services/sentiment/scripts/fit_escalate_calibration.py (train files only). A B C\n"
        f"{shipped[0]}\t{shipped[1]}\t{shipped[2]}\n"
    )
    if "--check" in argv:
        same = OUT.is_file() and OUT.read_text("utf-8") == text
        out(f"{OUT.name}: {'identical' if same else 'DIFFERS'}\n")
        sys.exit(0 if same else 1)
    OUT.write_text(text, "utf-8")
    out(f"wrote {OUT}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
