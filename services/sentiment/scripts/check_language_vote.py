"""How the function-word vote and the detector read the language of the permissive XED train
files (``{es,de,fr,it,pt}-projections.tsv``, ``en-annotated.tsv``; CC BY 4.0, read by path,
nothing copied) and of the project's own phrases (``tests/sentiment/data/language_phrases.tsv``).

    uv run python services/sentiment/scripts/check_language_vote.py ../shared/data/train

Prints, per language: lines, the share the vote decides, the vote's precision, and the
accuracy of the whole detection (vote, then model) against the file's language.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xed_lines import FILES, xed_lines

from rapport_sentiment.classifier import _language as lang_id
from rapport_sentiment.classifier import _multi
from rapport_sentiment.classifier._core import classify


def _report(name: str, rows: list[tuple[str, str]]) -> None:
    decided = right = whole = 0
    for code, text in rows:
        voted = lang_id.vote(_multi.fold(text))
        if voted is not None:
            decided += 1
            right += voted == code
        whole += classify(text).language == code
    n = len(rows)
    sys.stdout.write(
        f"{name:10s} n={n:6d}  vote decides {decided / n:6.1%}  vote precision "
        f"{right / max(1, decided):6.1%}  detection accuracy {whole / n:6.1%}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train", type=Path, help="the shared train folder (holds xed/)")
    args = parser.parse_args()
    for code in FILES:
        _report(f"xed {code}", [(code, text) for text in xed_lines(args.train, code)])
    phrases = Path(__file__).parents[3] / "tests/sentiment/data/language_phrases.tsv"
    own = [
        (line.split("\t")[0], line.split("\t")[1])
        for line in phrases.read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    _report("phrases", own)


if __name__ == "__main__":
    main()
