"""Optional classifier backends behind the default classifier's interface.

A backend is a callable ``(text, context=(), language="en") -> Classification`` with the
default classifier's signal names, so that the policy engine and ``rapport eval`` treat it like
``rapport_sentiment.classifier.classify``. None of them is used unless a site builds one; the
default install needs nothing more than the default classifier.
"""

from __future__ import annotations

from .openai_chat import OpenAIChatBackend

__all__ = ["OpenAIChatBackend"]
