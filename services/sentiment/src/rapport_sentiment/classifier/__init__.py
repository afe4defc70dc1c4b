"""The default classifier: a pure function from a message and its earlier turns to a
Classification. No I/O at call time; safe to call from the eval tool, the benchmark and the
service. See ``docs/classifier.md``."""

from __future__ import annotations

from ._core import CLASSIFIER_VERSION, classify, is_bot_fallback

__all__ = ["CLASSIFIER_VERSION", "classify", "is_bot_fallback"]
