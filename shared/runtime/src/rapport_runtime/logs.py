"""Logging set-up shared by every process: one line per record, personal data and credentials
redacted, ids kept.

Customer text reaches logs only by accident (an error message quoting a payload, a helpdesk's
error text, a dead letter's reason, a traceback), so redaction runs on every record rather than
relying on each call site to remember it. What it redacts: e-mail addresses, card numbers
(13-19 digits, plain or grouped by spaces, dots or dashes, Luhn-checked), IBANs (mod-97
checked), phone numbers (international, dashed, spaced, dotted ``202.555.0176``), URL query
strings and user:password parts of URLs, and bearer tokens.

Ids are never redacted, because redaction is told what an id is instead of guessing: a log
argument wrapped in :class:`Id` is printed as it is, every other argument, the format string,
exception text, tracebacks and stack traces are redacted::

    log.info("decision %s/%s: %s", Id(site), Id(conversation_id), detail)

(A numeric ticket id is indistinguishable from a phone or card number by shape, which is why
``decision intercom/[card]`` happened.) Numbers passed as ``int``/``float`` and stream entry ids
(``1700000000000-0``) are kept too: neither can carry a person's words.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import Any


class Id(str):
    """Marks a log argument as an id (site, conversation, message, ticket, entry id): kept
    verbatim by the redacting filter. Use it only for values that are ids."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str.__repr__(str(self))


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


_URL_QUERY = re.compile(r"(?i)\b((?:https?|wss?)://[^\s?#'\"<>]*)\?[^\s#'\"<>]*")
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@:]*:[^/\s@]*@")
_BEARER = re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/-]{8,}=*")
_SECRET = re.compile(
    r"(?i)\b((?:api[_-]?key|access[_-]?token|token|secret|password)[\"']?\s*[:=]\s*[\"']?)"
    r"[^\s\"',&;]{4,}"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IBAN = re.compile(r"(?i)\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_CARD = re.compile(r"(?<![\w.])\d(?:[ .-]?\d){12,18}(?![\w]|[.-]\d)")
# A phone candidate: an optional +, digits with spaces, dots, dashes, slashes or parentheses.
_PHONE = re.compile(r"(?<![\w.+-])(?:\+|\(\+?)?\d[\d .()/-]{6,}\d(?![\w]|[.-]\d)")
_DATE = re.compile(r"\d{4}-\d\d-\d\d|\d\d?[./]\d\d?[./]\d{4}|\d{4}[./]\d\d?[./]\d\d?")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_ENTRY_ID = re.compile(r"\d{10,}-\d+")


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[card]" if _luhn(digits) else match.group()


def _iban(match: re.Match[str]) -> str:
    return "[iban]" if _iban_valid(match.group()) else match.group()


def _phone(match: re.Match[str]) -> str:
    text = match.group()
    digits = re.sub(r"\D", "", text)
    if not 9 <= len(digits) <= 15 or _DATE.match(text) or _IPV4.fullmatch(text):
        return text
    if _ENTRY_ID.fullmatch(text):
        return text
    separators = set(re.sub(r"[\d+]", "", text))
    if separators == {"."} and text.count(".") < 2:
        return text  # a decimal number, not a dotted phone number
    if not separators and not text.startswith("+") and len(digits) < 10:
        return text  # a short bare number (an amount, an order number)
    return "[phone]"


def redact(text: str) -> str:
    """``text`` with personal data and credentials replaced by ``[email]``, ``[card]``,
    ``[iban]``, ``[phone]``, ``?[query]``, ``[credentials]@``, ``[token]`` and ``[secret]``."""
    if not text:
        return text
    text = _URL_QUERY.sub(r"\1?[query]", text)
    text = _URL_CREDENTIALS.sub(r"\1[credentials]@", text)
    text = _BEARER.sub(r"\1\2[token]", text)
    text = _SECRET.sub(r"\1[secret]", text)
    text = _EMAIL.sub("[email]", text)
    text = _IBAN.sub(_iban, text)
    text = _CARD.sub(_card, text)
    return _PHONE.sub(_phone, text)


class _Redacted:
    """An argument rendered redacted, whether the format asks for ``%s`` or ``%r``."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __str__(self) -> str:
        return redact(str(self.value))

    def __repr__(self) -> str:
        return redact(repr(self.value))


def _protect(value: Any) -> Any:
    if isinstance(value, Id) or value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if _ENTRY_ID.fullmatch(value) else redact(value)
    return _Redacted(value)


_EXCEPTION_FORMATTER = logging.Formatter()
_DONE = "_rapport_redacted"  # a record reaching a second handler is not redacted twice


class RedactingFilter(logging.Filter):
    """Redacts every part of a record that can carry free text, except :class:`Id` arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _DONE, False):
            return True
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        else:
            record.msg = _Redacted(record.msg)
        args = record.args
        if isinstance(args, Mapping):
            record.args = {k: _protect(v) for k, v in args.items()}
        elif args:
            record.args = tuple(_protect(a) for a in args)
        if record.exc_info and not record.exc_text:
            record.exc_text = _EXCEPTION_FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        setattr(record, _DONE, True)
        return True


# Loggers that print request URLs (with their query strings: tokens, api keys) at INFO.
QUIET_LOGGERS = ("httpx", "httpcore", "uvicorn.access")


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
    # httpx logs every request's full URL at INFO (a helpdesk's ``?token=`` with it), uvicorn's
    # access log every webhook; our own lines say what matters. Warnings still come through,
    # redacted like everything else.
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
