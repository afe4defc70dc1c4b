"""Logging set-up shared by every process: one record per line, JSON (or text for a terminal),
with the context bound once per stream entry or request, personal data and credentials
redacted, ids kept.

Why the standard library and not structlog: every library Rapport uses (uvicorn, httpx, redis,
OpenTelemetry) logs through :mod:`logging`, so one handler on the root logger formats and
redacts all of it the same way; a JSON formatter is forty lines, ``contextvars`` carry the
context across ``await`` and into tasks, and no dependency is added. (docs/operations.md)

Context: :func:`bind` (a context manager) and :func:`bind_here` set fields every record logged
in the same task carries: the :class:`~rapport_runtime.consumer.StageRunner` binds the stage
(its consumer group) and the stream for its loops and the entry id, stages bind each entry's
ids (:func:`bind_event`: site, conversation, message, handoff, trace), the HTTP frame binds
what a request's path names. The current OpenTelemetry span's trace and span ids are added when
tracing is on. Call sites pass further fields with ``extra={...}``.

Longer than most modules: redaction, the bound context and the two formats are one design
(every field of every record passes the same filter), best read together.

Customer text reaches logs only by accident (an error message quoting a payload, a helpdesk's
error text, a dead letter's reason, a traceback), so redaction runs on every record rather than
relying on each call site to remember it: the message, its arguments, every ``extra=`` field,
exception text and tracebacks. What it redacts: e-mail addresses, card numbers (13-19 digits,
plain or grouped by spaces, dots or dashes, Luhn-checked), IBANs (mod-97 checked), phone
numbers (international, dashed, spaced, dotted ``202.555.0176``), URL query strings and
user:password parts of URLs, bearer tokens and ``secret=``/``token:``-style credentials.

Ids are never redacted, because redaction is told what an id is instead of guessing: a log
argument or ``extra=`` value wrapped in :class:`Id` is printed as it is, and so are bound
fields (bind ids only); every other argument, the format string, exception text, tracebacks
and stack traces are redacted::

    log.info("decision %s/%s: %s", Id(site), Id(conversation_id), detail)

(A numeric ticket id is indistinguishable from a phone or card number by shape, which is why
``decision intercom/[card]`` happened.) Numbers passed as ``int``/``float`` and stream entry ids
(``1700000000000-0``) are kept too: neither can carry a person's words.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from opentelemetry import trace
from pydantic import BaseModel


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


# Pydantic's validation errors quote the input, cut to its first and last characters
# ("jane.doe@exa...3704"): a cut e-mail or card number no longer looks like one, so the quote is
# dropped whole (the dead-letter payload keeps the input).
_PYDANTIC_INPUT = re.compile(r"input_value=.*?, input_type=")
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
    ``[iban]``, ``[phone]``, ``?[query]``, ``[credentials]@``, ``[token]`` and ``[secret]``; the
    input a pydantic validation error quotes by ``input_value=[input]``."""
    if not text:
        return text
    text = _PYDANTIC_INPUT.sub("input_value=[input], input_type=", text)
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


# --- context bound once per stream entry or HTTP request -----------------------------------

_EMPTY: Mapping[str, str] = MappingProxyType({})
_CONTEXT: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "rapport_log_context", default=_EMPTY
)
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


def _merged(fields: Mapping[str, object]) -> Mapping[str, str]:
    merged = dict(_CONTEXT.get())
    for key, value in fields.items():
        if value is None or value == "":
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return MappingProxyType(merged)


@contextlib.contextmanager
def bind(**fields: object) -> Iterator[None]:
    """Every record logged inside the block (in this task, and in tasks it starts) carries
    ``fields``; None removes a field. Bind ids and names only: bound values are never
    redacted (they are ids), and they are the JSON record's own fields::

        with bind(site=message.site, conversation_id=message.conversation_id):
            log.info("classified")   # {"site": "demo", "conversation_id": "c1", ...}
    """
    token = _CONTEXT.set(_merged(fields))
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def bind_here(**fields: object) -> None:
    """Like :func:`bind`, for the rest of the current task (a loop's own task)."""
    _CONTEXT.set(_merged(fields))


def bound() -> dict[str, str]:
    """The fields bound here, with the current span's trace and span ids when tracing."""
    fields = dict(_CONTEXT.get())
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        fields["trace_id"] = format(span.trace_id, "032x")
        fields["span_id"] = format(span.span_id, "016x")
    return fields


def trace_id_of(traceparent: object) -> str | None:
    """The trace id of a W3C ``traceparent``, or None."""
    match = _TRACEPARENT.match(traceparent) if isinstance(traceparent, str) else None
    return match.group(1) if match else None


def _attr(source: object, name: str) -> object:
    """``source.name``, or None when it has none. A pydantic model's fields are read from its
    ``__dict__``: ``getattr`` of a name the model lacks goes through pydantic's
    ``__getattr__`` and raises an AttributeError (several µs each, several per event: issue
    14, the stages bind every message's ids)."""
    values = getattr(source, "__dict__", None)
    if values is not None and name in values:
        return values[name]
    if isinstance(source, BaseModel) and not hasattr(type(source), name):
        return None  # neither a field it has nor a property of its class
    return getattr(source, name, None)


def event_fields(event: object, entry_id: str | None = None) -> dict[str, str]:
    """The ids an event carries (site, conversation, message, handoff, trace), to bind.

    A classified message is read through its message; every event has a site and a
    conversation, some a message or handoff id, the ones the edge stamped a traceparent."""
    inner = _attr(event, "message")
    sources = [inner, event] if _attr(inner, "conversation_id") is not None else [event]
    fields: dict[str, str] = {}
    for name in ("site", "conversation_id", "message_id", "handoff_id"):
        for source in sources:
            value = _attr(source, name)
            if isinstance(value, str) and value:
                fields[name] = value
                break
    for source in sources:
        trace_id = trace_id_of(_attr(source, "traceparent"))
        if trace_id:
            fields["trace_id"] = trace_id
            break
    if entry_id:
        fields["entry_id"] = entry_id
    return fields


def bind_event(event: object, entry_id: str | None = None) -> AbstractContextManager[None]:
    """:func:`bind` the ids of one stream entry's event (see :func:`event_fields`)."""
    return bind(**event_fields(event, entry_id))


# --- the records: redacted, then JSON or text -----------------------------------------------

_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    _DONE,
}
_CONTEXT_ATTR = "rapport_context"
_NOISE = frozenset({"color_message"})  # uvicorn's coloured copy of the message


def _protect_value(value: Any) -> Any:
    """An ``extra=`` field's value, redacted unless an id or a number; containers walked."""
    if isinstance(value, Mapping):
        return {str(k): _protect_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_protect_value(v) for v in value]
    protected = _protect(value)
    return str(protected) if isinstance(protected, _Redacted) else protected


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a call site passed with ``extra=``."""
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _STANDARD and key != _CONTEXT_ATTR and key not in _NOISE
    }


class ContextFilter(logging.Filter):
    """Attaches the bound context (see :func:`bind`) to each record as it is logged, and
    redacts its ``extra=`` fields like its arguments (ids marked :class:`Id` kept)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, _CONTEXT_ATTR):
            setattr(record, _CONTEXT_ATTR, bound())
            for key, value in extra_fields(record).items():
                setattr(record, key, _protect_value(value))
        return True


def _time(record: logging.LogRecord) -> str:
    stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def _exception_text(record: logging.LogRecord) -> str | None:
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(_EXCEPTION_FORMATTER.formatException(record.exc_info))
    return record.exc_text or None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, ``service``, ``logger``, ``message``,
    the bound context (``site``, ``conversation_id``, ``handoff_id``, ``trace_id``, ``stage``
    ...), the call's ``extra=`` fields, ``exception`` (the traceback) and ``stack``."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update(getattr(record, _CONTEXT_ATTR, None) or {})
        out.update(extra_fields(record))
        exception = _exception_text(record)
        if exception:
            out["exception"] = exception
        if record.stack_info:
            out["stack"] = record.stack_info
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time service LEVEL logger: message key=value ...`` (context and extra fields), for
    reading in a terminal; tracebacks on the following lines."""

    def __init__(self, service: str) -> None:
        super().__init__(f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        fields = {**(getattr(record, _CONTEXT_ATTR, None) or {}), **extra_fields(record)}
        if fields:
            line += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        return line


# Loggers that print request URLs (with their query strings: tokens, api keys) at INFO.
QUIET_LOGGERS = ("httpx", "httpcore", "uvicorn.access")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("json", "text")


def default_format(env: str | None) -> str:
    """Text for a developer's terminal, JSON everywhere else (what log shippers read)."""
    return "text" if (env or "development") == "development" else "json"


def configure_logging(service: str, level: str | None = None, fmt: str | None = None) -> None:
    """The root handler of a process: redacted, with the bound context, JSON or text.

    Without arguments, read ``RAPPORT_LOG_LEVEL`` and ``RAPPORT_LOG_FORMAT`` leniently (this
    runs before the settings are validated, so that their errors can be logged); the service
    calls it again with the validated settings."""
    if level is None:
        level = os.environ.get("RAPPORT_LOG_LEVEL", "INFO").strip().upper()
        level = level if level in LEVELS else "INFO"
    if fmt is None:
        fmt = os.environ.get("RAPPORT_LOG_FORMAT", "").strip().lower()
        fmt = fmt if fmt in FORMATS else default_format(os.environ.get("RAPPORT_ENV"))
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(service) if fmt == "json" else TextFormatter(service))
    # Redaction first (message, arguments, exception text), then the context and extras.
    handler.addFilter(RedactingFilter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request's full URL at INFO (a helpdesk's ``?token=`` with it), uvicorn's
    # access log every webhook; our own lines say what matters. Warnings still come through,
    # redacted like everything else.
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
