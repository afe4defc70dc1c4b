"""Logging set-up shared by every process: one line per record, and personal data redacted.

Customer text reaches logs only by accident (an error message quoting a payload), so the
redaction runs on every record rather than relying on each call site to remember it.
"""

from __future__ import annotations

import logging
import os
import re

_PATTERNS = (
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
    (re.compile(r"\b\d(?:[ -]?\d){12,18}\b"), "[card]"),
    # Not dates (2026-11-26 10:00) nor addresses (127.0.0.1): those are not personal data.
    (re.compile(r"(?<![\w.-])(?!\d{4}-\d\d-\d\d)\+?\d[\d ()-]{7,}\d\b(?!\.\d)"), "[phone]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(service: str) -> None:
    level = os.environ.get("RAPPORT_LOG_LEVEL", "INFO").upper()
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter(f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's access log would print every webhook; our own lines say what matters.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
