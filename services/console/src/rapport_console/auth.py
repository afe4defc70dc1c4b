"""Sign-in, the session cookie and CSRF.

The session is Starlette's signed cookie (itsdangerous), ``HttpOnly`` and ``SameSite=Strict``,
``Secure`` in production. Its signing key is derived from the admin token, so rotating the
token signs everyone out and several console replicas accept each other's cookies. Every form
carries the session's CSRF token; a POST without it is refused. A gate in front of every route
lets through only the health endpoints, the sign-in page and the static files; a signed-out
request for a page is redirected to the sign-in page, one for the JSON API gets 401.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import quote

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/login"})
PUBLIC_PREFIXES = ("/static/",)
SESSION_COOKIE = "rapport_console"

# Customer text is escaped by the templates; this header is the second wall: no inline script,
# nothing loaded from elsewhere, no framing.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


def session_secret(admin_token: str) -> str:
    return hmac.new(admin_token.encode(), b"rapport-console-session", hashlib.sha256).hexdigest()


def token_matches(given: str, admin_token: str) -> bool:
    return hmac.compare_digest(given.encode(), admin_token.encode())


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 20:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, given: str | None) -> bool:
    expected = request.session.get("csrf")
    return (
        isinstance(expected, str)
        and isinstance(given, str)
        and hmac.compare_digest(given.encode(), expected.encode())
    )


def signed_in(request: Request) -> bool:
    return request.session.get("user") == "admin"


def safe_next(value: str | None) -> str:
    """Only a path on this console (no scheme, no ``//host``) is a place to go after sign-in."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


class Gate:
    """Refuses every request without a signed-in session, except the public paths; adds the
    security headers to every response. Sits inside the session middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        path: str = scope["path"]
        public = path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
        if public or signed_in(Request(scope)):
            await self.app(scope, receive, send_with_headers)
            return
        response: Response
        if path.startswith("/api/"):
            response = JSONResponse(
                {"error": "unauthorised", "message": "Sign in to the console first."},
                status_code=401,
            )
        elif scope["method"] in {"GET", "HEAD"}:
            target = path + (
                ("?" + scope["query_string"].decode()) if scope["query_string"] else ""
            )
            response = RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        else:
            response = JSONResponse(
                {"error": "unauthorised", "message": "Sign in to the console first."},
                status_code=403,
            )
        await response(scope, receive, send_with_headers)
