"""Dump the full Classification of a fixed sample of messages, to prove that a speed edit
changed no output (docs/classifier.md, "Speed").

    uv run python services/sentiment/scripts/dump_classifications.py ../shared/data OUT.jsonl
    uv run python services/sentiment/scripts/dump_classifications.py ../shared/data NEW.jsonl \
        --compare OUT.jsonl [--searches]

``--searches`` also checks, on every text of the sample, that each pattern searched through its
gated alternatives (``_signals.finder``) finds what its whole regex finds, from three start
positions.

The sample: XED train every 4th line of the six languages (language detected, and again with
the language given), a third of banking77 and bitext train, a fifth of clinc150 train, every
dev text, and the project's test phrase files (tests/sentiment/data, with their conversation
context where they have one). Only texts are read, never labels. Write OUT outside the repo
(it holds dataset text, which is never copied into the project).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from rapport_contracts import Turn
from rapport_sentiment.classifier import classify

REPO = Path(__file__).resolve().parents[3]
XED = ("en-annotated", "es-projections", "de-projections", "fr-projections", "pt-projections")
XED_ALL = (*XED, "it-projections")

Case = tuple[str, str, tuple[Turn, ...], str | None]  # (id, text, context, language given)


def _cases(data: Path) -> Iterator[Case]:
    for name in XED_ALL:
        lines = (data / "train/xed" / f"{name}.tsv").read_text("utf-8").splitlines()
        code = name[:2]
        for i, line in enumerate(lines[::4]):
            text = line.split("\t")[0]
            yield f"xed-{name}:{i}", text, (), None
            yield f"xed-{name}:{i}:given", text, (), code
    for name, column, step in (("banking77_train", "text", 3), ("bitext_train", "utterance", 3)):
        with (data / "train" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            for i, row in enumerate(list(csv.DictReader(f))[::step]):
                yield f"{name}:{i}", row[column], (), None
    lines = (data / "train/clinc150_train.jsonl").read_text("utf-8").splitlines()
    for i, line in enumerate(lines[::5]):
        yield f"clinc150_train:{i}", json.loads(line)["text"], (), None
    for path in sorted((data / "dev").glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            item = json.loads(line)
            context = tuple(Turn.model_validate(t) for t in item.get("context") or ())
            yield item["id"], item["text"], context, None
    tests = REPO / "tests/sentiment/data"
    for name in ("language_phrases.tsv", "hopelessness.tsv"):
        for i, line in enumerate((tests / name).read_text("utf-8").splitlines()):
            if line and not line.startswith("#"):
                code, text = line.split("\t")[:2]
                yield f"{name}:{i}", text, (), None
                yield f"{name}:{i}:given", text, (), code
    path = tests / "bot_failure_conversations.jsonl"
    for line in path.read_text("utf-8").splitlines():
        item = json.loads(line)
        context = tuple(Turn.model_validate(t) for t in item["context"])
        yield item["id"], item["text"], context, None
        # each conversation's turns again as messages of their own, context left out
        for j, turn in enumerate(context):
            yield f"{item['id']}:turn{j}", turn.text, (), None


def _check_searches(texts: set[str]) -> int:
    """Searches whose match differs between a split pattern's alternatives and its regex."""
    from rapport_sentiment.classifier import _core, _signals

    patterns = {p.bit: p for p in _signals.PATTERNS}
    for value in vars(_signals).values():
        if isinstance(value, _signals.Pattern):
            patterns.setdefault(value.bit, value)
    split = [p for bit, p in patterns.items() if bit in _signals._ALTERNATIVES]
    searches = differ = matches = 0
    for text in texts:
        low = _core._fold(text[: _core.MAX_TEXT])
        open_bits = _signals.alternatives_open(low)
        for p in split:
            find = _signals.finder(p)
            for pos in (0, 3, 17):
                want, got = p.regex.search(low, pos), find(low, open_bits, pos)
                searches += 1
                matches += want is not None
                differ += (want and want.span()) != (got and got.span())
    sys.stdout.write(
        f"{len(split)} split patterns, {len(texts)} texts: {searches} searches,"
        f" {matches} matches, {differ} differ\n"
    )
    return differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the shared data folder (../shared/data)")
    parser.add_argument("out", type=Path, help="where to write the dump (outside the repo)")
    parser.add_argument("--compare", type=Path, help="an earlier dump: report every difference")
    parser.add_argument("--searches", action="store_true", help="check the split patterns too")
    args = parser.parse_args()
    rows = []
    texts: set[str] = set()
    for case_id, text, context, language in _cases(args.data):
        texts.add(text)
        texts.update(turn.text for turn in context)
        result = classify(text, context, language=language)
        # the fields as set, too: a change in how the result is built shows there
        fields = result.model_dump(mode="json")
        as_set = result.model_dump(mode="json", exclude_unset=True)
        rows.append(json.dumps([case_id, fields, as_set], ensure_ascii=False))
    args.out.write_text("\n".join(rows) + "\n", "utf-8")
    sys.stdout.write(f"{len(rows)} classifications written to {args.out}\n")
    if args.searches and _check_searches(texts):
        sys.exit("DIFFERS: a split pattern's search")
    if args.compare is None:
        return
    before = args.compare.read_text("utf-8").splitlines()
    if len(before) != len(rows):
        sys.exit(f"DIFFERS: {len(before)} rows before, {len(rows)} now")
    differ = [i for i, (a, b) in enumerate(zip(before, rows, strict=True)) if a != b]
    for i in differ[:20]:
        sys.stdout.write(f"- {before[i][:300]}\n+ {rows[i][:300]}\n")
    if differ:
        sys.exit(f"DIFFERS: {len(differ)} of {len(rows)} classifications")
    sys.stdout.write(f"identical: {len(rows)} of {len(rows)} classifications\n")


if __name__ == "__main__":
    main()
