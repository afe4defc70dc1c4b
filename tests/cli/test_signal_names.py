"""The signal names are a closed set (``rapport_contracts.signals``): a policy can only name
signals the classifier can emit, and the classifier can only emit names a policy may use.

The classifier's names are found three ways, so that a new signal (the multilingual tables
are growing) fails here until it is added to the set: by reading its source (every call that
emits a named signal, every ``(name, score, ...)`` pattern table entry), from its compiled
tables at run time, and by running it on phrases in every language it supports."""

from __future__ import annotations

import ast
import csv
import re
from pathlib import Path

import pytest

from rapport_contracts import Turn
from rapport_contracts.signals import SIGNAL_NAMES, SIGNALS, suggest

ROOT = Path(__file__).resolve().parents[2]
CLASSIFIER = ROOT / "services/sentiment/src/rapport_sentiment/classifier"
SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
EMITTERS = {"_p", "add", "_span", "Signal"}
# Names in the multilingual pattern tables that are cues for the classifier itself, filtered
# out before the signals are returned (``_multi.py``: ``h.name != "sarcasm_weak"``). A cue
# listed here must be filtered in the source (checked below), or it is a signal.
INTERNAL_CUES = {"sarcasm_weak", "complaint_cue"}


def _literal_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
        return node.value
    return None


def names_in_source(path: Path) -> dict[str, int]:
    """Signal names a classifier module emits, with a line where each appears."""
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            candidates: list[ast.expr] = [kw.value for kw in node.keywords if kw.arg == "name"]
            if called in EMITTERS and node.args:
                candidates.append(node.args[0])
            for candidate in candidates:
                if (name := _literal_name(candidate)) is not None:
                    found.setdefault(name, node.lineno)
        elif isinstance(node, ast.Tuple) and len(node.elts) >= 3:
            # Pattern tables: ("safety", 1.0, r"...", False)
            name, score = _literal_name(node.elts[0]), node.elts[1]
            value = score.value if isinstance(score, ast.Constant) else None
            if name and SNAKE.match(name) and isinstance(value, float) and 0.0 <= value <= 1.0:
                found.setdefault(name, node.lineno)
    return found


def classifier_source_names() -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted(CLASSIFIER.glob("*.py")):
        for name, line in names_in_source(path).items():
            out.setdefault(name, f"{path.relative_to(ROOT)}:{line}")
    return out


def test_every_signal_the_classifier_source_emits_is_in_the_closed_set() -> None:
    found = classifier_source_names()
    # The scan must see the classifier at all: the English signals are all emitted in its code.
    assert {"human_request", "safety", "bot_failure", "frustration_trend", "error_code"} <= set(
        found
    ), f"the source scan found only {sorted(found)}; has the classifier's layout changed?"
    source = "".join(p.read_text("utf-8") for p in CLASSIFIER.glob("*.py"))
    for cue in INTERNAL_CUES & set(found):
        assert f'!= "{cue}"' in source, f"{found[cue]}: {cue!r} is no longer filtered out"
    unknown = {
        name: where
        for name, where in found.items()
        if name not in SIGNAL_NAMES and name not in INTERNAL_CUES
    }
    assert not unknown, "\n".join(
        f"{where}: the classifier emits {name!r}, which is not in rapport_contracts.signals"
        f".SIGNALS{f' (did you mean {s!r}?)' if (s := suggest(name)) else ''}; add it there "
        "with a one-line meaning, and to docs/classifier.md"
        for name, where in sorted(unknown.items())
    )


def test_the_compiled_tables_use_only_known_names() -> None:
    from rapport_sentiment.classifier import _signals

    names = {p.name for p in _signals.PATTERNS if p.name}
    try:
        from rapport_sentiment.classifier import _langs
    except ImportError:  # the multilingual tables are optional
        languages: dict[str, object] = {}
    else:
        languages = dict(getattr(_langs, "LANGUAGES", {}))
        if (common := getattr(_langs, "COMMON", None)) is not None:
            languages["common"] = common
    for language in languages.values():
        for entry in getattr(language, "patterns", ()):
            names.add(entry[0])
    names -= INTERNAL_CUES
    assert names, "no pattern tables found"
    assert names <= SIGNAL_NAMES, f"not in the closed set: {sorted(names - SIGNAL_NAMES)}"


FALLBACK = "Sorry, I didn't understand that. Could you rephrase?"


def _phrases() -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    tsv = ROOT / "tests/sentiment/data/language_phrases.tsv"
    if tsv.exists():
        with tsv.open(encoding="utf-8") as f:
            for row in csv.reader((line for line in f if not line.startswith("#")), delimiter="\t"):
                if len(row) >= 2:
                    rows.append((row[0], row[1]))
    # The examples of docs/classifier.md's signal table ("..." quotes in its rows).
    doc = (ROOT / "docs/classifier.md").read_text("utf-8")
    for line in doc.splitlines():
        if line.startswith("| `"):
            rows += [("en", quote) for quote in re.findall(r'"([^"]{3,200})"', line)]
    rows += [
        ("en", "I was charged twice, my card was stolen and I'm going to sue. WHY?!!!"),
        ("en", "Error E-2043 in v4.2.1. How do I change the email on my account? And why?"),
        ("en", "Great, another delay. Third time I write, waiting 3 weeks, damn it"),
    ]
    return rows


def test_running_the_classifier_emits_only_known_names() -> None:
    from rapport_sentiment.classifier import classify

    emitted: dict[str, str] = {}
    context = [
        Turn(author="customer", text="My order has not arrived"),
        Turn(author="bot", text=FALLBACK),
        Turn(author="customer", text="My order has not arrived"),
        Turn(author="bot", text=FALLBACK),
    ]
    phrases = _phrases()
    assert len(phrases) > 30
    for language, text in phrases:
        for ctx in ((), context):
            for signal in classify(text, ctx, language).signals:
                emitted.setdefault(signal.name, f"{language}: {text!r}")
    unknown = {name: where for name, where in emitted.items() if name not in SIGNAL_NAMES}
    assert not unknown, f"emitted but not in the closed set: {unknown}"
    assert {"bot_failure", "human_request"} <= set(emitted)


def test_the_chat_backend_knows_the_same_names() -> None:
    from rapport_sentiment.backends.openai_chat import SIGNAL_NAMES as BACKEND_NAMES

    assert set(BACKEND_NAMES) == SIGNAL_NAMES


def test_every_name_is_snake_case_with_a_meaning() -> None:
    for name, meaning in SIGNALS.items():
        assert SNAKE.match(name), name
        assert meaning.strip() and len(meaning) < 100, name


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("human_requets", "human_request"), ("bot_failures", "bot_failure"), ("saftey", "safety")],
)
def test_a_typo_gets_the_closest_name(typo: str, meant: str) -> None:
    assert suggest(typo) == meant


def test_an_unrelated_word_gets_no_suggestion() -> None:
    assert suggest("zzzz") is None
