"""A fixed amount of classifier work, for counting its instructions under valgrind (a count the
other processes on a shared machine do not move, unlike time).

    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \\
        .venv/bin/python benchmarks/classifier_instructions.py MODE LOOPS

MODE: en (English, language detected), en-given, model (es/de/fr/pt/it benchmark messages, the
model asked every time, as in classifier_bench.py), model-given. Instructions per message:
(count at LOOPS - count at 0 loops of mode ``en``) / (LOOPS x messages); run with
PYTHONHASHSEED=0 so that the counts repeat.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from classifier_bench import FOREIGN, MESSAGES
from worst_case import model_only

from rapport_sentiment.classifier import _language, classify


def main() -> None:
    mode, loops = sys.argv[1], int(sys.argv[2])
    _language._load()  # the model's load is startup, in every mode
    given = {text: code for code, text in FOREIGN}
    modes: dict[str, tuple[Callable[[str], object], tuple[str, ...]]] = {
        "en": (classify, MESSAGES),
        "en-given": (lambda text: classify(text, language="en"), MESSAGES),
        "model": (model_only, tuple(given)),
        "model-given": (lambda text: model_only(text, given[text]), tuple(given)),
    }
    fn, messages = modes[mode]
    for _ in range(2 + loops):  # two warm-up passes
        for text in messages:
            fn(text)


if __name__ == "__main__":
    main()
