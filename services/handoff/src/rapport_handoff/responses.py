"""What both webhook routes answer with, how they read a body without trusting its size or its
sender's speed, and how the edge says it is saturated.

Saturation is always a 429 with ``Retry-After`` (``{"error": "saturated"}``), counted in
``rapport_edge_saturated_total{reason}``: ``inflight`` (this process already works on
``RAPPORT_EDGE_MAX_INFLIGHT`` requests), ``body_reads`` (``RAPPORT_MAX_BODY_READS`` bodies
arriving at once), ``backlog`` (the sentiment stage is ``RAPPORT_EDGE_MAX_BACKLOG`` messages
behind) and ``pool`` (every Redis connection of the process stayed busy for the pool's wait).
A 503 means Redis itself cannot take the message, and says why.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter
from redis.exceptions import (
    BusyLoadingError,
    ClusterDownError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisClusterException,
    RedisError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match

if TYPE_CHECKING:
    from rapport_runtime.service import Runtime

from rapport_runtime.errors import ConnectionClosedError
from rapport_runtime.limits import RateLimiter, Slots
from rapport_runtime.redis import is_saturation
from rapport_runtime.signing import parse_digits

SATURATED = Counter(
    "rapport_edge_saturated_total",
    "Webhook requests refused with 429 because this edge or Rapport was saturated, by reason "
    "(inflight, body_reads, backlog, pool)",
    ["reason"],
)

Problem = Callable[[int, str, str], JSONResponse]

_SLOTS = "body_read_slots"
_INFLIGHT = "inflight_slots"
BACKLOG = "sentiment_backlog"  # runtime.extras: the sentiment group's lag, kept by watch_backlog
# The catch-all route's methods (Starlette gives a route without ``methods`` only GET/HEAD).
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]
_MAX_LENGTH_DIGITS = 19


def problem_response(status: int, error: str, message: str, **extra: Any) -> JSONResponse:
    """A refusal: ``{"error": <code>, "message": <what is wrong and what to do>}``."""
    headers = extra.pop("headers", None)
    return JSONResponse(
        {"error": error, "message": message, **extra}, status_code=status, headers=headers
    )


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit`` bytes (stops reading at once)."""
    declared = parse_digits(request.headers.get("content-length"), max_digits=_MAX_LENGTH_DIGITS)
    if declared is not None and declared > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _slots(request: Request) -> Slots | None:
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None:
        return None
    slots = runtime.extras.get(_SLOTS)
    if not isinstance(slots, Slots):
        slots = runtime.extras[_SLOTS] = Slots(runtime.settings.max_body_reads)
    return slots


async def read_body(request: Request, limit: int, problem: Problem) -> bytes | JSONResponse:
    """The raw body, or the refusal to send: 413 over ``limit``, 400 when cut short, 408 when
    it does not arrive within ``RAPPORT_BODY_TIMEOUT_S``, 429 (with ``Retry-After``) when this
    process is already reading ``RAPPORT_MAX_BODY_READS`` bodies (slow senders cannot hold
    every connection; health checks never read a body and keep answering)."""
    runtime = getattr(request.app.state, "runtime", None)
    timeout = runtime.settings.body_timeout_s if runtime is not None else None
    slots = _slots(request)
    if slots is not None and not slots.take():
        SATURATED.labels("body_reads").inc()
        response = problem(
            429,
            "saturated",
            "Too many requests are sending their body right now; nothing was accepted, retry "
            "after 1 s.",
        )
        response.headers["Retry-After"] = "1"
        return response
    try:
        async with asyncio.timeout(timeout):
            body = await read_limited(request, limit)
    except ClientDisconnect:
        return problem(400, "incomplete_body", "The client disconnected before the body ended.")
    except TimeoutError:
        return problem(
            408,
            "body_timeout",
            f"The body did not arrive within {timeout:g} s; send it in one go.",
        )
    finally:
        if slots is not None:
            slots.give_back()
    if body is None:
        return problem(413, "body_too_large", f"The body is over the {limit}-byte limit.")
    return body


async def no_route(request: Request) -> Response:
    """Every path no route serves: the documented JSON refusal, 405 (with ``Allow``) when the
    path exists for other methods, 404 otherwise. Registered last, for any method."""
    allowed: set[str] = set()
    for route in request.app.router.routes:
        if getattr(route, "endpoint", None) is no_route:
            continue
        match, _ = route.matches(request.scope)
        if match is Match.PARTIAL:
            allowed |= set(getattr(route, "methods", None) or ())
    if allowed:
        methods = ", ".join(sorted(allowed))
        return problem_response(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed on {request.url.path[:200]}; use {methods}.",
            headers={"Allow": methods},
        )
    return problem_response(
        404,
        "not_found",
        f"Nothing is served at {request.url.path[:200]}. Messages go to "
        "POST /v1/sites/{site}/messages; see the README's 'Sending from your own code'.",
    )


def _rate_limiter(runtime: Runtime) -> RateLimiter:
    limiter = runtime.extras.get("rate_limiter")
    if not isinstance(limiter, RateLimiter):
        settings = runtime.settings
        limiter = RateLimiter(settings.rate_limit_per_site, settings.rate_limit_burst)
        runtime.extras["rate_limiter"] = limiter
    return limiter


def rate_limited(runtime: Runtime, site: str) -> JSONResponse | None:
    """The 429 to answer when ``site`` is over ``RAPPORT_RATE_LIMIT_PER_SITE``, else None."""
    wait = _rate_limiter(runtime).retry_after(site)
    if wait is None:
        return None
    seconds = max(1, math.ceil(wait))
    return problem_response(
        429,
        "rate_limited",
        f"Site {site!r} sends more than {runtime.settings.rate_limit_per_site:g} requests per "
        f"second; retry after {seconds} s.",
        headers={"Retry-After": str(seconds)},
    )


def saturated(reason: str, why: str, retry_after_s: int = 1) -> JSONResponse:
    """The 429 of a saturated edge: nothing was accepted, and the sender should come back."""
    SATURATED.labels(reason).inc()
    return problem_response(
        429,
        "saturated",
        f"Rapport is saturated: {why}. Nothing was accepted; retry after {retry_after_s} s.",
        headers={"Retry-After": str(retry_after_s)},
    )


def admit(runtime: Runtime) -> Slots | JSONResponse:
    """Take one of the edge's ``RAPPORT_EDGE_MAX_INFLIGHT`` request slots (give it back when
    the request is answered), or the 429 to answer at once: this process is already working
    on that many requests, or the pipeline is ``RAPPORT_EDGE_MAX_BACKLOG`` messages behind.
    Checked before the body is read, so a refused burst costs almost nothing."""
    settings = runtime.settings
    limit = settings.edge_max_backlog
    backlog = runtime.extras.get(BACKLOG)
    if limit and isinstance(backlog, int) and backlog >= limit:
        return saturated(
            "backlog",
            f"{backlog:,} accepted messages are waiting to be classified (limit {limit:,})",
            retry_after_s=5,
        )
    slots = runtime.extras.get(_INFLIGHT)
    if not isinstance(slots, Slots):
        slots = runtime.extras[_INFLIGHT] = Slots(settings.edge_max_inflight)
    if not slots.take():
        return saturated(
            "inflight", f"this edge is already working on {slots.size} requests at once"
        )
    return slots


# What a Redis Cluster client raises mid fail-over (no master for the slot yet) is not a
# RedisError subclass in redis-py; the edge refuses those with the same 503.
StorageError = RedisError | RedisClusterException


def storage_problem(exc: StorageError) -> tuple[str, str]:
    """(error code, why) for a message Redis would not store, so whoever reads the sender's
    logs knows whether to wait (Redis restarting) or to act (disk, memory, a replica). A pool
    with no free connection is this process's saturation, not Redis's failure."""
    if is_saturation(exc):
        return "saturated", "every Redis connection of this edge process is busy"
    if isinstance(exc, BusyLoadingError):
        return "unavailable", "Redis is loading its data after a restart"
    if isinstance(exc, ConnectionClosedError):
        return "unavailable", f"Redis is unreachable: {exc}"
    if isinstance(exc, RedisConnectionError | RedisTimeoutError):
        return "unavailable", "Redis is unreachable"
    if isinstance(exc, OutOfMemoryError):
        return "storage_full", "Redis is out of memory (maxmemory reached)"
    if isinstance(exc, ReadOnlyError):
        return "unavailable", "Redis is a read-only replica (a fail-over in progress?)"
    if isinstance(exc, RedisClusterException | ClusterDownError | TryAgainError):
        return "unavailable", "the Redis Cluster is failing over (no master for this slot yet)"
    if "MISCONF" in str(exc):
        return "not_durable", "Redis cannot write to its disk (MISCONF), so it refuses writes"
    return "unavailable", "Redis refused the write"


def storage_refusal(exc: StorageError) -> JSONResponse:
    """503 that says why Redis did not store the message, or the 429 of a saturated pool."""
    error, why = storage_problem(exc)
    if error == "saturated":
        return saturated("pool", why)
    return problem_response(
        503,
        error,
        f"Rapport cannot store messages right now: {why}. Nothing was accepted; retry.",
        headers={"Retry-After": "5"},
    )


def not_durable(reason: str) -> JSONResponse:
    return problem_response(
        503,
        "not_durable",
        f"Rapport will not accept messages it could lose: {reason}. Nothing was accepted; retry.",
        headers={"Retry-After": "5"},
    )
