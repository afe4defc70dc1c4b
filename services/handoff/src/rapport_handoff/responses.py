"""What both webhook routes answer with, and how they read a body without trusting its size."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

Problem = Callable[[int, str, str], JSONResponse]


def problem_response(status: int, error: str, message: str, **extra: Any) -> JSONResponse:
    """A refusal: ``{"error": <code>, "message": <what is wrong and what to do>}``."""
    return JSONResponse({"error": error, "message": message, **extra}, status_code=status)


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit`` bytes (stops reading at once)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def read_body(request: Request, limit: int, problem: Problem) -> bytes | JSONResponse:
    """The raw body, or the refusal to send: 413 over ``limit``, 400 when cut short."""
    try:
        body = await read_limited(request, limit)
    except ClientDisconnect:
        return problem(400, "incomplete_body", "The client disconnected before the body ended.")
    if body is None:
        return problem(413, "body_too_large", f"The body is over the {limit}-byte limit.")
    return body
