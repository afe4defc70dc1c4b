"""The detection's worst case, shared by the benchmarks that measure it (classifier_bench.py,
detection_share.py, classifier_instructions.py): the function-word vote never decides and the
short-message memo is cleared, so that fastText is asked for every message.

Imported after the classifier is (classifier_bench.py measures the classifier's import first).
"""

from __future__ import annotations

from rapport_sentiment.classifier import _language, classify


def model_only(text: str, language: str | None = None) -> object:
    """``classify(text, language=language)`` with the vote off and the memo cleared; with a
    language given, the same call overhead, as the detected case's floor."""
    vote = _language.vote
    _language.vote = lambda folded: None
    try:
        _language._SHORT_MEMO.clear()
        return classify(text, language=language)
    finally:
        _language.vote = vote
