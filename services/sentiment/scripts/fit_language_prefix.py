"""Choose how many characters of a message the language model reads (``_language.PREFIX``), by
5-fold cross-validation on the permissive XED train lines (``{es,de,fr,it,pt}-projections.tsv``,
``en-annotated.tsv``; CC BY 4.0, read by path, nothing copied). Dev files are never read.

    uv run python services/sentiment/scripts/fit_language_prefix.py ../shared/data/train

The detected language (``classify(text).language``: fast path, function-word vote, then the
model) is compared with the file's language for every candidate bound, on the single lines (the
filter of check_language_vote.py: three letters or more) and on "long messages" made of three
consecutive lines of one file joined by a space (subtitle lines are short: median 30 characters;
support messages are often longer). Folds are line index mod 5. On each four folds the rule
picks the smallest candidate whose accuracy (single lines and long messages together, all six
languages) is no lower than the unbounded model's on those folds; the held-out fold reports
the pick. Prints the accuracies per candidate and per language, and the folds' picks.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xed_lines import FILES, xed_lines

from rapport_sentiment.classifier import _language as lang_id
from rapport_sentiment.classifier._core import classify

CANDIDATES = (24, 32, 40, 48, 64, 80, 100, 128, 200)
UNBOUNDED = 10**9
FOLDS = 5

Row = tuple[str, str, str, int]  # (language, kind "line"/"long", text, fold)


def _rows(train: Path) -> list[Row]:
    rows: list[Row] = []
    for code in FILES:
        lines = xed_lines(train, code)
        for i, text in enumerate(lines):
            rows.append((code, "line", text, i % FOLDS))
        for i in range(0, len(lines) - 2, 3):
            rows.append((code, "long", " ".join(lines[i : i + 3]), (i // 3) % FOLDS))
    return rows


def _right(rows: list[Row], bound: int, base: list[bool] | None) -> list[bool]:
    """Whether each row's language is detected right with the model reading ``bound``
    characters (rows no longer than the bound are taken from ``base``)."""
    lang_id.PREFIX = bound
    lang_id._SHORT_MEMO.clear()
    out = []
    for i, (code, _kind, text, _fold) in enumerate(rows):
        if base is not None and len(" ".join(text.split())) <= bound:
            out.append(base[i])
        else:
            out.append(classify(text).language == code)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train", type=Path, help="the shared train folder (holds xed/)")
    args = parser.parse_args()
    rows = _rows(args.train)
    base = _right(rows, UNBOUNDED, None)
    right = {UNBOUNDED: base}
    for bound in CANDIDATES:
        right[bound] = _right(rows, bound, base)
    lang_id.PREFIX = UNBOUNDED

    def acc(bound: int, keep: list[int]) -> float:
        return sum(right[bound][i] for i in keep) / max(1, len(keep))

    out = sys.stdout.write
    out("accuracy of the detected language (XED train), per bound\n")
    header = "".join(f" {c:>7s}" for c in FILES)
    for kind in ("line", "long"):
        out(f"{kind:5s} bound   all   {header}\n")
        for bound in (*CANDIDATES, UNBOUNDED):
            name = "none" if bound == UNBOUNDED else str(bound)
            every = [i for i, r in enumerate(rows) if r[1] == kind]
            cells = "".join(
                f" {acc(bound, [i for i in every if rows[i][0] == c]):7.2%}" for c in FILES
            )
            out(f"{kind:5s} {name:>5s} {acc(bound, every):7.2%}{cells}\n")
    picks = []
    for fold in range(FOLDS):
        fit = [i for i, r in enumerate(rows) if r[3] != fold]
        held = [i for i, r in enumerate(rows) if r[3] == fold]
        floor = acc(UNBOUNDED, fit)
        pick = next((b for b in CANDIDATES if acc(b, fit) >= floor), UNBOUNDED)
        picks.append(pick)
        out(
            f"fold {fold}: pick {pick} (fit {acc(pick, fit):.3%} vs unbounded {floor:.3%});"
            f" held out {acc(pick, held):.3%} vs unbounded {acc(UNBOUNDED, held):.3%}\n"
        )
    out(f"picks {picks}; the shipped bound is the largest pick: {max(picks)}\n")


if __name__ == "__main__":
    main()
