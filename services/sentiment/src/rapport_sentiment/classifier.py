"""The default classifier: a pure function from a message and its earlier turns to a
Classification. No I/O; safe to call from the eval tool, the benchmark and the service.

This is the foundation's first version (a tiny lexicon); the classifier issue replaces the
internals while keeping ``classify`` and ``CLASSIFIER_VERSION`` as the interface.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapport.contracts import Classification, ComplexityLevel, SentimentLabel, Signal, Turn

CLASSIFIER_VERSION = "lexicon-0.1"

_HUMAN_REQUEST = re.compile(
    r"\b(?:real|actual|live)\s+(?:person|human|agent)\b|\b(?:talk|speak|chat)\s+(?:to|with)\s+"
    r"(?:a|an|some)?\s*(?:person|human|agent|someone|representative|manager)\b",
    re.IGNORECASE,
)
_NEGATIVE = re.compile(
    r"\b(?:terrible|awful|horrible|worst|useless|angry|furious|ridiculous|unacceptable|hate|"
    r"disgusted|broken|scam|never again|waste)\b",
    re.IGNORECASE,
)
_POSITIVE = re.compile(r"\b(?:thanks|thank you|great|love|perfect|awesome|excellent)\b", re.I)
_REPEATED = re.compile(r"\b(?:third|3rd|fourth|again|still)\b", re.IGNORECASE)


def _signal(name: str, match: re.Match[str], score: float) -> Signal:
    return Signal(
        name=name, score=score, evidence=match.group(0), start=match.start(), end=match.end()
    )


def classify(text: str, context: Sequence[Turn] = (), language: str = "en") -> Classification:
    """Classify one customer message given the earlier turns of its conversation."""
    signals: list[Signal] = []
    if m := _HUMAN_REQUEST.search(text):
        signals.append(_signal("human_request", m, 0.95))
    if m := _REPEATED.search(text):
        signals.append(_signal("repeated_contact", m, 0.6))
    negatives = len(_NEGATIVE.findall(text))
    positives = len(_POSITIVE.findall(text))
    score = max(-1.0, min(1.0, 0.4 * positives - 0.45 * negatives))
    label: SentimentLabel = "negative" if score <= -0.2 else "positive" if score >= 0.2 else "neutral"
    complexity = min(1.0, len(text) / 600 + 0.15 * text.count("?"))
    level: ComplexityLevel = "high" if complexity >= 0.66 else "medium" if complexity >= 0.33 else "low"
    return Classification(
        sentiment=label,
        sentiment_score=score,
        frustration=max(0.0, -score),
        complexity=complexity,
        complexity_level=level,
        signals=tuple(signals),
        language=language,
        classifier_version=CLASSIFIER_VERSION,
    )
