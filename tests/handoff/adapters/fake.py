"""A fake helpdesk API, served over real HTTP: it records every request, refuses the wrong
credentials with 401, answers scripted failures (429, 5xx, 4xx with the vendor's text, or a
hang longer than the client's timeout) and otherwise 200 with a canned JSON answer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@dataclass
class Scripted:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay_s: float = 0.0


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class FakeVendor:
    # Whether a request (headers, path, body) carries the right credentials.
    authorised: Callable[[dict[str, str], str, bytes], bool] = lambda headers, path, body: True
    # (METHOD, path) -> answers to give first, in order.
    script: dict[tuple[str, str], list[Scripted]] = field(default_factory=dict)
    # (METHOD, path) -> JSON answered on success.
    answers: dict[tuple[str, str], Any] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)

    @property
    def succeeded(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests if 200 <= r.status < 300]

    def fail(self, method: str, path: str, *answers: Scripted) -> None:
        self.script.setdefault((method, path), []).extend(answers)

    def app(self) -> Starlette:
        async def handle(request: Request) -> Response:
            body = await request.body()
            headers = dict(request.headers)
            key = (request.method, request.url.path)
            status, answer, extra, delay = 200, self.answers.get(key, {"ok": True}), {}, 0.0
            if not self.authorised(headers, request.url.path, body):
                status, answer = 401, {"error": "Couldn't authenticate you"}
            elif self.script.get(key):
                scripted = self.script[key].pop(0)
                status, extra, delay = scripted.status, scripted.headers, scripted.delay_s
                answer = (
                    scripted.body if scripted.body is not None else {"error": f"scripted {status}"}
                )
            record = Recorded(request.method, request.url.path, headers, body, status)
            self.requests.append(record)
            if delay:
                await asyncio.sleep(delay)
            return JSONResponse(answer, status_code=status, headers=extra)

        return Starlette(routes=[Route("/{path:path}", handle, methods=METHODS)])
