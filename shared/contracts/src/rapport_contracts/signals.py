"""The closed set of signal names a classifier may emit and a policy may name.

A policy's ``any_signal`` is checked against this set (with "did you mean" for a typo), so a
misspelled signal is refused when the policy is loaded instead of silently never firing. A
classifier that emits a name not listed here fails a test (``tests/cli/test_signal_names.py``).

To add a signal: add one line to :data:`SIGNALS` (name and what it means), document it with
examples in ``docs/classifier.md``, and regenerate ``docs/policy.schema.json``
(``uv run rapport policy schema > docs/policy.schema.json``). Names are lower-case
``snake_case`` and never change meaning once published: decisions on the streams record them.
"""

from __future__ import annotations

import difflib
from typing import Final

SIGNALS: Final[dict[str, str]] = {
    # Escalation signals: reasons for a person to look.
    "human_request": "The customer asks for a person, or refuses the bot.",
    "safety": "Self-harm or danger to someone (fire, gas, threats).",
    "legal_threat": "A lawyer, a lawsuit, or a report to a regulator or consumer body.",
    "churn_threat": "The customer threatens to leave or cancel.",
    "complaint": "A complaint: formal, or in the customer's own words about what failed them.",
    "billing_dispute": "Charged twice, a charge not recognised, a refund or money not arrived.",
    "security_fraud": "Fraud, a stolen card or phone, a hacked or locked account.",
    "service_failure": "The company failed the customer: lost, broke, cancelled, refused.",
    "repeated_contact": "The customer says they have written or called before about this.",
    "waiting_time": "The customer says they have been waiting (the longer, the higher).",
    "problem": "A failed, declined or pending operation.",
    "bot_failure": "The bot's fallback replies, or the customer repeats or says it is no help.",
    # Tone.
    "profanity": "Swearing.",
    "shouting": "Mostly capital letters, or '!!!'.",
    "sarcasm": "Positive words used to complain ('great, another delay').",
    "frustration_trend": "Frustration rose over the customer's recent messages.",
    # Complexity.
    "several_questions": "Several questions in one message.",
    "error_code": "An error code or a version number (a technical matter).",
    "account_action": "A change to the account (its e-mail, owner, closing it).",
}

SIGNAL_NAMES: Final[frozenset[str]] = frozenset(SIGNALS)


def suggest(name: str) -> str | None:
    """The known signal closest to ``name`` (for "did you mean"), if any is close."""
    close = difflib.get_close_matches(name, SIGNALS, n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_signal_message(name: str) -> str:
    """What to tell someone who wrote ``name`` where a signal name belongs."""
    hint = suggest(name)
    did_you_mean = f"did you mean {hint!r}? " if hint else ""
    return f"unknown signal {name!r}; {did_you_mean}known signals: {', '.join(SIGNALS)}"
