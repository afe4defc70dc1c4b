"""How much of the detection's cost in the benchmark's worst case (es/de/fr/pt/it benchmark
messages, the function-word vote off, the model asked for every message) is fastText's own call,
measured where it runs: inside the classifier's loop, where the model's rows are evicted from the
cache between two messages (a call in a tight loop costs several times less).

    uv run python benchmarks/detection_share.py [--seconds 0.6] [--rounds 8]

Three rates per round, interleaved: the language given; detected with the model asked every
time; the same with the model's answers memoised (a dict lookup instead of the call, the same
answers). Prints the medians of each over the given rate's (given / rate - 1).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from classifier_bench import FOREIGN, rate
from worst_case import model_only

from rapport_sentiment.classifier import _language


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.6, help="CPU time per rate")
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    texts = tuple(text for _, text in FOREIGN)
    given = {text: code for code, text in FOREIGN}
    real = _language._predict
    answers: dict[tuple[str, int], list[tuple[float, str]]] = {}

    def memoised(model: Any, line: str, k: int) -> list[tuple[float, str]]:
        found = answers.get((line, k))
        if found is None:
            found = answers[(line, k)] = real(model, line, k)
        return found

    def model_memoised(text: str) -> object:
        _language._predict = memoised
        try:
            return model_only(text)
        finally:
            _language._predict = real

    measures = {
        "given": lambda text: model_only(text, given[text]),
        "model asked every time": model_only,
        "model's answers memoised": model_memoised,
    }
    rounds = [
        {name: rate(fn, args.seconds, texts) for name, fn in measures.items()}
        for _ in range(max(1, args.rounds))
    ]
    for name in measures:
        costs = [r["given"] / r[name] - 1 for r in rounds]
        print(
            f"{name:26s} {statistics.median(r[name] for r in rounds):8,.0f} msgs/s;"
            f" cost over given {statistics.median(costs):+.1%}"
            f" (rounds: {', '.join(f'{c:+.0%}' for c in costs)})"
        )


if __name__ == "__main__":
    main()
