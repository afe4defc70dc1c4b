"""Bounds on what a caller can make an HTTP edge do: JSON parsed with a nesting and number-size
limit, a per-key token bucket, a cap on bodies read at once, and the HTTP server's own limits.

Everything here refuses with an exception or a return value the edge turns into a 4xx (or a
503 for overload); nothing raises an unexpected error on hostile input.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from typing import Any

from rapport_runtime.settings import RapportSettings

# Rapport's own messages nest three levels (body, customer, attributes); vendor payloads a few
# more. Numbers longer than this are not counts or ids anyone sends; Python would refuse ints
# of 4,301+ digits with a ValueError anyway, and a JavaScript reader loses precision far
# earlier.
JSON_MAX_DEPTH = 32
JSON_MAX_NUMBER_CHARS = 64


class JSONLimitError(ValueError):
    """The body is JSON but breaks a limit; the text says which, and is safe to show."""


def _number_too_long(text: str) -> JSONLimitError:
    return JSONLimitError(
        f"a number in the body has {len(text)} characters; numbers are limited to "
        f"{JSON_MAX_NUMBER_CHARS} (send long ids as strings)"
    )


def _parse_int(text: str) -> int:
    if len(text) > JSON_MAX_NUMBER_CHARS:
        raise _number_too_long(text)
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > JSON_MAX_NUMBER_CHARS:
        raise _number_too_long(text)
    value = float(text)
    if not math.isfinite(value):
        raise JSONLimitError(f"the number {text} is out of range")
    return value


def _parse_constant(name: str) -> Any:
    raise JSONLimitError(f"{name} is not a JSON value")


def _too_deep(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def loads_bounded(body: bytes | str, *, max_depth: int = JSON_MAX_DEPTH) -> Any:
    """``json.loads`` that refuses, with :class:`JSONLimitError`, nesting deeper than
    ``max_depth``, numbers longer than :data:`JSON_MAX_NUMBER_CHARS` characters, and
    ``NaN``/``Infinity``. Malformed JSON raises ``json.JSONDecodeError`` (a ``ValueError``) and
    undecodable bytes ``UnicodeDecodeError``, as ``json.loads`` does.

    The number limit applies while parsing (the hooks see each literal before it is converted);
    nesting is bounded while parsing by the decoder's recursion guard, which stops a body of
    100,000 nested arrays after about a thousand levels, and exactly afterwards by an iterative
    walk (no recursion, so it cannot overflow either)."""
    if not isinstance(body, str | bytes | bytearray):
        raise TypeError("loads_bounded takes the raw body")
    try:
        value = json.loads(
            body,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except RecursionError:
        raise JSONLimitError(
            f"the body nests deeper than {max_depth} levels of arrays and objects"
        ) from None
    if isinstance(value, dict | list) and _too_deep(value, max_depth):
        raise JSONLimitError(f"the body nests deeper than {max_depth} levels of arrays and objects")
    return value


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class RateLimiter:
    """A token bucket per key (a site): ``rate`` requests per second on average, bursts of up
    to ``burst``. In-process: each edge replica counts its own requests. ``rate <= 0`` turns
    it off."""

    rate: float
    burst: int
    buckets: dict[str, _Bucket] = field(default_factory=dict)

    def retry_after(self, key: str, now: float | None = None) -> float | None:
        """Take one token for ``key``: None when allowed, else the seconds until one is free."""
        if self.rate <= 0:
            return None
        now = time.monotonic() if now is None else now
        capacity = float(max(1, self.burst))
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = _Bucket(capacity, now)
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) / self.rate


@dataclass
class Slots:
    """At most ``size`` holders at once; ``take`` never waits (an edge answers 503 instead of
    queueing, so slow senders cannot pile up behind each other)."""

    size: int
    used: int = 0

    def take(self) -> bool:
        if self.used >= self.size:
            return False
        self.used += 1
        return True

    def give_back(self) -> None:
        self.used = max(0, self.used - 1)


_OVER_CAP_BODY = json.dumps(
    {
        "error": "saturated",
        "message": "Rapport is saturated: this process has RAPPORT_HTTP_MAX_CONNECTIONS "
        "connections and requests open. Nothing was accepted; retry after 1 s.",
    }
).encode()


async def over_connection_cap(scope: Any, receive: Any, send: Any) -> None:
    """What uvicorn answers beyond ``limit_concurrency``: the process is saturated, so a 429
    with Retry-After like the edge's own caps, not uvicorn's bare 503 (which says "Rapport is
    down" and failed the burst test with Redis healthy). The connection is closed, as
    uvicorn's own answer does."""
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_OVER_CAP_BODY)).encode()),
                (b"retry-after", b"1"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _OVER_CAP_BODY, "more_body": False})


def answer_429_over_the_connection_cap() -> None:
    """uvicorn has no option for the answer beyond its cap: both HTTP protocols look up
    ``service_unavailable`` in their module when the cap is hit, so that name is pointed at
    :func:`over_connection_cap` (tests/integration/test_edge_limits.py checks it)."""
    from uvicorn.protocols.http import h11_impl, httptools_impl

    for module in (h11_impl, httptools_impl):
        setattr(module, "service_unavailable", over_connection_cap)  # noqa: B010 - a module name swap


def uvicorn_options(settings: RapportSettings) -> dict[str, Any]:
    """The HTTP server's own limits, for ``uvicorn.run(app, ..., **uvicorn_options(settings))``:
    a cap on open connections plus in-flight requests (beyond it a 429 with Retry-After at
    once, and the connection closed), and how long an idle keep-alive connection is kept."""
    answer_429_over_the_connection_cap()
    return {
        "limit_concurrency": settings.http_max_connections,
        "timeout_keep_alive": settings.http_keepalive_s,
    }
