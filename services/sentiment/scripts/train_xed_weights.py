"""Rebuild the learned word weights of es/de/fr/it/pt (``classifier/weights_xed.tsv``).

Trained on the XED projections (Helsinki-NLP, COLING 2020, **CC BY 4.0**):
``../shared/data/train/xed/{es,de,fr,it,pt}-projections.tsv`` (``text <TAB> labels``, Plutchik
labels 1 anger, 2 anticipation, 3 disgust, 4 fear, 5 joy, 6 sadness, 7 surprise, 8 trust), and on
nothing else. Per language, three L2-regularised logistic regressions over the classifier's own
tokens with negation marked (``_multi.features``, each distinct token once, exactly what
``_multi.scan`` sums at run time):

* ``neg``  - the line carries anger, disgust, fear or sadness (Plutchik's negative emotions),
* ``pos``  - joy or trust,
* ``frus`` - anger or disgust (the anger family, as "frustration").

Fixed by reasoning: tokens seen in >= MIN_DOC_COUNT lines; the fitted bias is not shipped (the
classifier's own shifts stand in for it: XED has no neutral lines, so its base rates say
nothing about support messages); weights rounded to two decimals, kept when >= MIN_WEIGHT in
absolute value for some head.

Chosen by 5-fold cross-validation on these training files only (``--cv``): the L2 of the
sentiment heads and ``_multi.LEARNED_XED`` (their weight in the sentiment score) by the mean over
the five languages of the out-of-fold macro-F1 of the classifier's whole sentiment reading
(``_multi.read``) against a 3-class label (negative: a negative emotion and no joy/trust;
positive: joy/trust and no negative emotion; neutral: the rest, i.e. anticipation/surprise only or
mixed); then, with those fixed, the L2 of the anger-family head and ``_multi.FRUS_XED`` by the
mean out-of-fold F1 of ``frustration >= 0.5`` against anger/disgust. The out-of-fold figures at
the chosen constants are printed with bootstrap 95 % intervals (1,000 resamples, seeded).

    uv run --with numpy python services/sentiment/scripts/train_xed_weights.py \
        ../shared/data/train [--cv | --oof]

``--oof`` prints only the out-of-fold figures at the shipped constants (no grid search).

numpy is needed only here, in the throwaway environment ``uv run --with`` provides; the
classifier stays pure Python. Deterministic: a rebuild gives the same file byte for byte. The
training files are read by path and never copied into the repository.
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from rapport_sentiment.classifier import _multi
from rapport_sentiment.classifier._langs import LANGUAGES

CODES = ("de", "es", "fr", "it", "pt")
NEGATIVE = frozenset((1, 3, 4, 6))
POSITIVE = frozenset((5, 8))
ANGER = frozenset((1, 3))
MIN_DOC_COUNT = 3
MIN_WEIGHT = 0.1
ITERATIONS = 300
STEP = 0.05
# Chosen by ``--cv`` (5-fold, train only; docs/classifier.md). The blend constants themselves
# live in ``_multi.py`` (LEARNED_XED, FRUS_XED).
L2_SENTIMENT = 1e-4
L2_FRUS = 1e-4
L2_GRID = (1e-4, 3e-4)
BLEND_GRID = (0.0, 1.0, 1.5, 2.0, 3.0)
FOLDS = 5
BOOT = 1000
OUT = Path(__file__).resolve().parents[1] / "src/rapport_sentiment/classifier/weights_xed.tsv"


class Row:
    __slots__ = ("feats", "folded", "frus", "label", "text", "y")

    def __init__(self, code: str, text: str, labels: frozenset[int]) -> None:
        self.text = text
        self.folded = _multi.fold(text)
        self.feats = sorted(set(_multi.features(LANGUAGES[code], self.folded)))
        neg, pos = bool(labels & NEGATIVE), bool(labels & POSITIVE)
        self.y = (int(neg), int(pos), int(bool(labels & ANGER)))
        self.label = "negative" if neg and not pos else "positive" if pos and not neg else "neutral"
        self.frus = self.y[2]


def load(train_dir: Path, code: str) -> tuple[list[Row], int]:
    """The rows of one language, and how many malformed lines were skipped."""
    rows: list[Row] = []
    skipped = 0
    path = train_dir / "xed" / f"{code}-projections.tsv"
    for line in path.read_text("utf-8").splitlines():
        parts = line.split("\t")
        try:
            labels = frozenset(int(x) for x in parts[1].split(","))
        except (IndexError, ValueError):
            labels = frozenset()
        if len(parts) != 2 or not labels or not labels <= set(range(1, 9)) or not parts[0]:
            skipped += 1
            continue
        rows.append(Row(code, parts[0], labels))
    return rows, skipped


def fit(rows: list[Row], l2: tuple[float, float, float]) -> dict[str, tuple[float, float, float]]:
    """Three heads by full-batch Adam to convergence; rounded and pruned as shipped."""
    import numpy as np

    counts = Counter(f for r in rows for f in r.feats)
    names = sorted(f for f, n in counts.items() if n >= MIN_DOC_COUNT)
    index = {f: j for j, f in enumerate(names)}
    cols: list[int] = []
    lengths: list[int] = []
    for r in rows:
        js = [index[f] for f in r.feats if f in index]
        cols.extend(js)
        lengths.append(len(js))
    n, v = len(rows), len(names)
    idx = np.array(cols, dtype=np.int64)
    row_of = np.repeat(np.arange(n), np.array(lengths, dtype=np.int64))
    heads: list[Any] = []
    for h in range(3):
        y = np.array([r.y[h] for r in rows], dtype=float)
        mean = float(y.mean())
        w = np.zeros(v)
        b = float(np.log(mean / (1 - mean)))
        m = np.zeros(v + 1)
        s = np.zeros(v + 1)
        for t in range(1, ITERATIONS + 1):
            z = b + np.bincount(row_of, weights=w[idx], minlength=n)
            err = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))) - y
            grad = np.append(
                np.bincount(idx, weights=err[row_of], minlength=v) / n + l2[h] * w, err.mean()
            )
            m = 0.9 * m + 0.1 * grad
            s = 0.999 * s + 0.001 * grad * grad
            step = STEP * (m / (1 - 0.9**t)) / (np.sqrt(s / (1 - 0.999**t)) + 1e-8)
            w -= step[:-1]
            b -= float(step[-1])
        heads.append(w)
    out: dict[str, tuple[float, float, float]] = {}
    for j, f in enumerate(names):
        ws = (
            round(float(heads[0][j]), 2),
            round(float(heads[1][j]), 2),
            round(float(heads[2][j]), 2),
        )
        if max(abs(x) for x in ws) >= MIN_WEIGHT:
            out[f] = ws
    return out


def folds(n: int) -> list[list[int]]:
    order = list(range(n))
    random.Random(7).shuffle(order)
    k = n // FOLDS
    return [order[i * k : (i + 1) * k] if i < FOLDS - 1 else order[i * k :] for i in range(FOLDS)]


def use(code: str, model: dict[str, tuple[float, float, float]]) -> None:
    _multi.WEIGHTS[code] = {f: _multi._Heads(*w) for f, w in model.items()}


def macro_f1(gold: list[str], pred: list[str]) -> float:
    total = 0.0
    for c in ("negative", "neutral", "positive"):
        tp = sum(g == c and p == c for g, p in zip(gold, pred, strict=True))
        fp = sum(g != c and p == c for g, p in zip(gold, pred, strict=True))
        fn = sum(g == c and p != c for g, p in zip(gold, pred, strict=True))
        total += 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return total / 3


def f1(gold: list[int], pred: list[int]) -> float:
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    fp = sum(p and not g for g, p in zip(gold, pred, strict=True))
    fn = sum(g and not p for g, p in zip(gold, pred, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def label(score: float) -> str:
    if score <= _multi.NEGATIVE_AT:
        return "negative"
    if score >= _multi.POSITIVE_AT:
        return "positive"
    return "neutral"


def boot(gold: list[Any], pred: list[Any], classes: tuple[Any, ...]) -> tuple[float, float]:
    """95 % bootstrap interval (BOOT resamples of the items, seeded) of the mean F1 over
    ``classes``: macro-F1 for the three sentiments, the F1 of 1 for ``(1,)``."""
    import numpy as np

    labels = sorted(set(gold) | set(pred) | set(classes), key=str)
    k = len(labels)
    pos = {c: i for i, c in enumerate(labels)}
    cell = np.array([pos[g] * k + pos[p] for g, p in zip(gold, pred, strict=True)])
    draws = np.random.default_rng(11).integers(0, len(gold), size=(BOOT, len(gold)))
    vals = []
    for row in draws:
        m = np.bincount(cell[row], minlength=k * k).reshape(k, k)
        total = 0.0
        for c in classes:
            j = pos[c]
            tp = float(m[j, j])
            denom = 2 * tp + float(m[:, j].sum() - tp) + float(m[j, :].sum() - tp)
            total += 2 * tp / denom if tp else 0.0
        vals.append(total / len(classes))
    vals.sort()
    return vals[int(0.025 * BOOT)], vals[int(0.975 * BOOT) - 1]


def cross_validate(data: dict[str, list[Row]], search: bool = True) -> None:
    out = sys.stdout.write
    saved = (_multi.LEARNED_XED, _multi.FRUS_XED)
    oof: dict[tuple[str, float], list[dict[str, tuple[float, float, float]]]] = {}
    for code, rows in data.items():
        for l2 in L2_GRID if search else sorted({L2_SENTIMENT, L2_FRUS}):
            models = []
            for fold in folds(len(rows)):
                held = set(fold)
                models.append(fit([r for i, r in enumerate(rows) if i not in held], (l2,) * 3))
            oof[code, l2] = models

    Model = dict[str, tuple[float, float, float]]
    zero = (0.0, 0.0, 0.0)

    def merged(code: str, l2s: float, l2f: float) -> list[Model]:
        """Fold models with the sentiment heads at L2 ``l2s`` and the anger head at ``l2f``."""
        return [
            {f: (s.get(f, zero)[0], s.get(f, zero)[1], fr.get(f, zero)[2]) for f in s.keys() | fr}
            for s, fr in zip(oof[code, l2s], oof[code, l2f], strict=True)
        ]

    def readings(code: str, models: list[Model]) -> list[_multi.Reading]:
        rows = data[code]
        got: list[_multi.Reading | None] = [None] * len(rows)
        for model, fold in zip(models, folds(len(rows)), strict=True):
            use(code, model)
            for i in fold:
                got[i] = _multi.read(code, rows[i].text, rows[i].folded)
        return [g for g in got if g is not None]

    if search:
        # 1. sentiment: L2 of neg/pos and LEARNED_XED
        best_s: tuple[float, float, float] = (-1.0, 0.0, 0.0)
        _multi.FRUS_XED = 0.0
        for l2 in L2_GRID:
            for blend in BLEND_GRID:
                _multi.LEARNED_XED = blend
                per = []
                for code, rows in data.items():
                    pred = [label(r.score) for r in readings(code, oof[code, l2])]
                    per.append(macro_f1([r.label for r in rows], pred))
                mean = sum(per) / len(per)
                out(
                    f"sentiment L2 {l2:g} LEARNED_XED {blend:g}: mean macro-F1 {mean:.4f} ("
                    + " ".join(f"{c} {x:.3f}" for c, x in zip(data, per, strict=True))
                    + ")\n"
                )
                if mean > best_s[0] + 1e-9:
                    best_s = (mean, l2, blend)
        out(f"-> sentiment: L2 {best_s[1]:g}, LEARNED_XED {best_s[2]:g}\n")
        _multi.LEARNED_XED = best_s[2]
        # 2. frustration: L2 of frus and FRUS_XED (sentiment heads at their chosen L2)
        best_f: tuple[float, float, float] = (-1.0, 0.0, 0.0)
        for l2 in L2_GRID:
            for blend in BLEND_GRID:
                _multi.FRUS_XED = blend
                per = []
                for code, rows in data.items():
                    got = readings(code, merged(code, best_s[1], l2))
                    hits = [int(r.frustration >= 0.5) for r in got]
                    per.append(f1([r.frus for r in rows], hits))
                mean = sum(per) / len(per)
                out(
                    f"frustration L2 {l2:g} FRUS_XED {blend:g}: mean F1 {mean:.4f} ("
                    + " ".join(f"{c} {x:.3f}" for c, x in zip(data, per, strict=True))
                    + ")\n"
                )
                if mean > best_f[0] + 1e-9:
                    best_f = (mean, l2, blend)
        out(f"-> frustration: L2 {best_f[1]:g}, FRUS_XED {best_f[2]:g}\n")
    # 3. the shipped constants, out of fold, with bootstrap intervals; lexicon only beside them
    out("\nout of fold, 5-fold, bootstrap 95 % (shipped constants | without XED weights):\n")
    for code, rows in data.items():
        gold = [r.label for r in rows]
        gold_f = [r.frus for r in rows]
        cells = []
        for blend, fblend in ((saved[0], saved[1]), (0.0, 0.0)):
            _multi.LEARNED_XED, _multi.FRUS_XED = blend, fblend
            got = readings(code, merged(code, L2_SENTIMENT, L2_FRUS))
            pred = [label(r.score) for r in got]
            pred_f = [int(r.frustration >= 0.5) for r in got]
            lo, hi = boot(gold, pred, ("negative", "neutral", "positive"))
            flo, fhi = boot(gold_f, pred_f, (1,))
            cells.append(
                f"sentiment macro-F1 {macro_f1(gold, pred):.3f} [{lo:.3f}, {hi:.3f}]"
                f"  frustrated F1 {f1(gold_f, pred_f):.3f} [{flo:.3f}, {fhi:.3f}]"
            )
        out(f"{code} (n={len(rows)}): " + " | ".join(cells) + "\n")
    _multi.LEARNED_XED, _multi.FRUS_XED = saved


def main(argv: list[str]) -> None:
    args = [a for a in argv if not a.startswith("--")]
    train_dir = Path(args[0] if args else "../shared/data/train")
    data: dict[str, list[Row]] = {}
    for code in CODES:
        rows, skipped = load(train_dir, code)
        data[code] = rows
        sys.stdout.write(f"{code}: {len(rows)} lines ({skipped} malformed skipped)\n")
    if "--cv" in argv or "--oof" in argv:
        cross_validate(data, search="--cv" in argv)
    lines = [
        "# lang\tword\tneg\tpos\tfrus  (trained on XED projections, CC BY 4.0;"
        " services/sentiment/scripts/train_xed_weights.py)"
    ]
    for code in CODES:
        model = fit(data[code], (L2_SENTIMENT, L2_SENTIMENT, L2_FRUS))
        for f in sorted(model):
            neg, pos, frus = model[f]
            lines.append(f"{code}\t{f}\t{neg:.2f}\t{pos:.2f}\t{frus:.2f}")
    OUT.write_text("\n".join(lines) + "\n", "utf-8")
    sys.stdout.write(f"{len(lines) - 1} rows -> {OUT}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
