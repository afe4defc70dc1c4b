"""The console service: server-rendered pages for support leads, hosted in Rapport's service
frame (``/healthz``, ``/readyz``; ``/metrics`` on the internal metrics port) with no stream
stage of its own.

Pages: ``/`` (Now: who waits for a person, the live decision feed, the DLQ and helpdesk
failure banner), ``/sites/{site}/conversations/{id}`` (the timeline, the sentiment chart,
reasons, handoffs, feedback forms), ``/feedback`` (unneeded and missed escalation rates, threshold
suggestions), ``/lab`` (a candidate policy replayed over recorded history), ``/analytics``
(rates, reasons and latency over time, read from the archive at ``RAPPORT_ARCHIVE_URL``).
JSON for the live parts: ``/api/now``, ``/api/decisions?after=<entry id>``.

Slightly over the usual length: the routes and the sign-in gate, read together.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast, get_args
from urllib.parse import parse_qs, quote

import jinja2
from pydantic_settings import BaseSettings, SettingsConfigDict
from redis.asyncio import Redis
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from rapport_archive.analytics import archived_sites, read_analytics
from rapport_archive.history import archived_history
from rapport_archive.store import ArchiveURLError, make_engine, redact_url
from rapport_console import charts, data, lab, suggestions, views
from rapport_console.auth import (
    SESSION_COOKIE,
    Gate,
    csrf_ok,
    csrf_token,
    safe_next,
    session_secret,
    signed_in,
    token_matches,
)
from rapport_contracts import Decision
from rapport_contracts.events import FeedbackVerdict
from rapport_runtime.config import ConfigError
from rapport_runtime.consumer import Stage
from rapport_runtime.service import Runtime, build_app
from rapport_runtime.settings import RapportSettings

PACKAGE = Path(__file__).parent
MAX_FORM_BYTES = 16 * 1024
VERDICTS: tuple[str, ...] = get_args(FeedbackVerdict)
VERDICT_LABELS = {
    "unneeded-escalation": "unneeded escalation",
    "missed-escalation": "missed escalation",
    "correct": "right decision",
}


class ConsoleSettings(BaseSettings):
    """The console's own settings (``RAPPORT_CONSOLE_*``)."""

    model_config = SettingsConfigDict(env_prefix="RAPPORT_CONSOLE_", extra="ignore", frozen=True)

    secure_cookie: bool | None = None  # None: Secure in production, not in development
    session_hours: float = 8.0
    rates_window_days: float = 30.0
    lab_max_conversations: int = 500  # conversations one policy-lab run replays
    suggestions_max_conversations: int = 1000  # conversations the suggestions replay


def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE / "templates"),
        autoescape=True,  # every value, customer text above all, is escaped
        undefined=jinja2.StrictUndefined,
    )
    env.filters["duration"] = views.duration
    env.filters["pct"] = lambda v: "-" if v is None else f"{100 * v:.0f}%"
    env.filters["pct1"] = charts.pct
    env.filters["ms"] = lambda v: "-" if v is None else charts.ms(v)
    env.globals["conversation_url"] = conversation_url
    env.globals["verdict_labels"] = VERDICT_LABELS
    return env


def conversation_url(site: str, conversation_id: str) -> str:
    return f"/sites/{quote(site, safe='')}/conversations/{quote(conversation_id, safe='')}"


def _runtime(request: Request) -> Runtime:
    runtime: Runtime | None = request.app.state.runtime
    if runtime is None:
        raise RuntimeError("the console is starting")
    return runtime


def _redis(request: Request) -> Redis:
    return _runtime(request).redis


def _settings(request: Request) -> RapportSettings:
    return _runtime(request).settings


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    env: jinja2.Environment = request.app.state.templates
    context.setdefault("signed_in", signed_in(request))
    context["csrf"] = csrf_token(request)
    context["path"] = request.url.path
    return HTMLResponse(env.get_template(name).render(**context), status_code=status_code)


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form body, bounded; the first value of each field."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return {}
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def refused(request: Request, message: str) -> HTMLResponse:
    return render(request, "error.html", status_code=403, title="Refused", message=message)


async def login_page(request: Request) -> Response:
    if signed_in(request):
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return render(request, "login.html", next=safe_next(request.query_params.get("next")), error="")


async def login(request: Request) -> Response:
    form = await read_form(request)
    target = safe_next(form.get("next"))
    if not csrf_ok(request, form.get("csrf")):
        return render(
            request,
            "login.html",
            status_code=403,
            next=target,
            error="The form expired; please sign in again.",
        )
    if not token_matches(form.get("token", ""), _settings(request).admin_token_value()):
        await asyncio.sleep(0.3)  # slows guessing a little; the token is long anyway
        return render(
            request, "login.html", status_code=401, next=target, error="That token is not right."
        )
    request.session.clear()  # a fresh session (and CSRF token) after signing in
    request.session["user"] = "admin"
    request.session["since"] = datetime.now(UTC).isoformat()
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    form = await read_form(request)
    if not csrf_ok(request, form.get("csrf")):
        return refused(request, "The form expired; reload the page and try again.")
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _waiting_json(items: list[data.Waiting]) -> list[dict[str, Any]]:
    return [
        {
            "site": w.site,
            "conversation_id": w.conversation_id,
            "url": conversation_url(w.site, w.conversation_id),
            "queue": w.queue,
            "priority": w.priority,
            "escalated_at": w.escalated_at.isoformat() if w.escalated_at else None,
            "waiting_s": round(w.waiting_s, 1),
            "waiting": views.duration(w.waiting_s),
            "ladder_step": w.ladder_step,
            "handoff_confirmed": w.handoff_confirmed,
        }
        for w in items
    ]


async def _parts(request: Request) -> list[data.Part]:
    """Every partition (RAPPORT_PARTITIONS), each on a client that reaches its slot."""
    return await data.parts(_redis(request), _settings(request))


async def now_page(request: Request) -> Response:
    parts = await _parts(request)
    items = await data.waiting(parts)
    decisions, cursor = await data.recent_decisions(parts, count=30)
    return render(
        request,
        "now.html",
        waiting=items,
        groups=data.waiting_groups(items),
        banner=await data.banner(parts),
        decisions=decisions,
        last_id=cursor,
    )


async def api_now(request: Request) -> Response:
    parts = await _parts(request)
    items = await data.waiting(parts)
    banner = await data.banner(parts)
    return JSONResponse(
        {
            "waiting": _waiting_json(items),
            "groups": data.waiting_groups(items),
            "banner": {
                "dlq_depth": banner.dlq_depth,
                "helpdesk_failures": banner.helpdesk_failures,
                "window_h": banner.window_h,
            },
        }
    )


async def api_decisions(request: Request) -> Response:
    after = request.query_params.get("after") or None
    try:
        rows, cursor = await data.recent_decisions(await _parts(request), after=after)
    except data.CursorError as exc:
        return JSONResponse({"error": "invalid_after", "message": str(exc)}, status_code=422)
    for row in rows:
        row["url"] = conversation_url(row["site"], row["conversation_id"])
    # With several partitions ``cursor`` (each partition's position) is what the feed sends
    # back as ``after``; with one, the newest row's id is, as it always was.
    extra = {"cursor": cursor} if _settings(request).partitions > 1 else {}
    return JSONResponse({"decisions": rows, **extra})


async def open_conversation(request: Request) -> Response:
    site = request.query_params.get("site", "").strip()
    conversation_id = request.query_params.get("conversation_id", "").strip()
    if not csrf_ok(request, request.query_params.get("csrf")):
        return refused(request, "The form expired; reload the page and try again.")
    if not site or not conversation_id:
        return RedirectResponse("/", status_code=303)
    return RedirectResponse(conversation_url(site, conversation_id), status_code=303)


async def conversation_page(request: Request) -> Response:
    site = request.path_params["site"]
    conversation_id = request.path_params["conversation_id"]
    part = await data.part_of(_redis(request), _settings(request), site, conversation_id)
    record = await data.conversation(part, site, conversation_id)
    if record is None:
        return render(
            request,
            "error.html",
            status_code=404,
            title="No such conversation",
            message=f"Rapport has no record of conversation {conversation_id!r} on site "
            f"{site!r} (never seen, not processed yet, or expired).",
        )
    escalated = views.escalating_messages(record)
    waiting_s = None
    if record.state and record.state.owner == "escalated" and record.state.escalated_at:
        waiting_s = (datetime.now(UTC) - record.state.escalated_at).total_seconds()
    return render(
        request,
        "conversation.html",
        record=record,
        items=views.timeline(record),
        chart=views.chart(record.messages, escalated),
        waiting_s=waiting_s,
        ticket_url=views.ticket_url,
        rule_of=data.rule_of,
        packets=sorted(record.packets.values(), key=lambda p: p.decision.decided_at),
        results={h.handoff_id: h for h in record.handoffs},
    )


async def post_feedback(request: Request) -> Response:
    form = await read_form(request)
    if not csrf_ok(request, form.get("csrf")):
        return refused(request, "The form expired; reload the page and try again.")
    site, conversation_id = form.get("site", ""), form.get("conversation_id", "")
    decision_id, verdict = form.get("decision_id", ""), form.get("verdict", "")
    if verdict not in VERDICTS:
        return render(
            request, "error.html", status_code=422, title="Unknown verdict", message=verdict
        )
    settings = _settings(request)
    part = await data.part_of(_redis(request), settings, site, conversation_id)
    record = await data.conversation(part, site, conversation_id)
    decision: Decision | None = None
    if record is not None:
        decision = next((d for d in record.decisions if d.decision_id == decision_id), None)
    if record is None or decision is None:
        return render(
            request,
            "error.html",
            status_code=404,
            title="No such decision",
            message=f"Conversation {conversation_id!r} on site {site!r} has no decision "
            f"{decision_id!r}.",
        )
    await data.record_feedback(
        _redis(request),
        part.streams,  # the conversation's partition, where the archive and the rates read it
        decision=decision,
        verdict=cast("FeedbackVerdict", verdict),
        language=views.language_of(record, decision.message_id),
        author="console:admin",
        note=form.get("note", "")[:2000],
        maxlen=settings.stream_maxlen,
    )
    return RedirectResponse(
        conversation_url(site, conversation_id) + f"#decision-{quote(decision_id, safe='')}",
        status_code=303,
    )


async def feedback_page(request: Request) -> Response:
    console: ConsoleSettings = request.app.state.console
    settings, parts = _settings(request), await _parts(request)
    window = console.rates_window_days
    result = await data.rates(parts, window_days=window)
    judged = await data.judged_history(parts, window, console.suggestions_max_conversations)
    problem, found = "", {}
    try:
        policies = {name: p.live for name, p in lab.site_policies(settings).items()}
        found = suggestions.suggest_all(
            policies, judged.classified, judged.decisions, judged.feedback
        )
    except ConfigError as exc:
        problem = str(exc).splitlines()[0]
    return render(
        request, "feedback.html", rates=result, suggestions=found, judged=judged, problem=problem
    )


async def lab_page(request: Request) -> Response:
    return await _lab(request, {}, None, [])


async def post_lab(request: Request) -> Response:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > lab.MAX_BODY_BYTES:
            break
    try:
        form, upload = lab.parse_form(request.headers.get("content-type", ""), body)
    except lab.FormError as exc:
        return await _lab(request, {}, None, [str(exc)], status_code=422)
    if not csrf_ok(request, form.get("csrf")):
        return refused(request, "The form expired; reload the page and try again.")
    return await _lab(request, form, upload, [])


async def _lab(
    request: Request,
    form: dict[str, str],
    upload: tuple[str, bytes] | None,
    errors: list[str],
    status_code: int = 200,
) -> Response:
    console: ConsoleSettings = request.app.state.console
    settings = _settings(request)
    now = datetime.now(UTC)
    context: dict[str, Any] = {
        "form": form,
        "errors": errors,
        "warnings": [],
        "result": None,
        "cap": console.lab_max_conversations,
        "default_since": (now - lab.DEFAULT_RANGE).strftime("%Y-%m-%dT%H:%M"),
        "default_until": now.strftime("%Y-%m-%dT%H:%M"),
        "source_choices": LAB_SOURCES,
        "source_used": "redis",
        "skipped": 0,
    }
    try:
        sites = lab.site_policies(settings)
    except ConfigError as exc:
        sites = {}
        errors.append(str(exc).splitlines()[0])
    context["sites"] = sites
    if not form or errors:
        return render(request, "lab.html", status_code=status_code, **context)
    site = sites.get(form.get("site", ""))
    text, name = form.get("policy", ""), lab.PASTED
    if upload is not None:
        name = upload[0]
        try:
            text = upload[1].decode("utf-8")
        except UnicodeDecodeError:
            text = ""
            errors.append(f"{name}: not a UTF-8 text file")
    since, until = now - lab.DEFAULT_RANGE, now
    try:
        since, until = lab.time_range(form, now)
    except lab.FormError as exc:
        errors.append(str(exc))
    if site is None:
        errors.append(f"no site named {form.get('site', '')!r} is configured")
    checked = lab.check_candidate(text, name) if not errors else None
    if checked is not None:
        errors += checked.errors
        context["warnings"] = checked.warnings
    if errors or site is None or checked is None or checked.policy is None:
        return render(request, "lab.html", status_code=422, **context)
    source = form.get("source", "auto")
    if source == "auto":
        # Older than Redis keeps a conversation: the archive, when there is one.
        older = since < now - timedelta(seconds=settings.conversation_ttl_s)
        source = "archive" if older and settings.archive_url else "redis"
    if source not in ("redis", "archive"):
        errors.append(f"unknown source {source!r}: auto, redis or archive")
        return render(request, "lab.html", status_code=422, **context)
    if source == "archive":
        try:
            engine = _archive(request)
            if engine is None:
                raise ArchiveURLError("no archive is configured (RAPPORT_ARCHIVE_URL)")
            archived = await asyncio.to_thread(
                archived_history, engine, site.site, since, until, console.lab_max_conversations
            )
        except (ArchiveURLError, SQLAlchemyError) as exc:
            cause = getattr(exc, "orig", None) or exc
            errors.append(f"the archive could not be read: {str(cause).strip().splitlines()[0]}")
            return render(request, "lab.html", status_code=422, **context)
        history = data.History(
            site=site.site,
            conversations=archived.conversations,
            decisions=archived.decisions,
            found=archived.found,
            scanned=archived.found,
            scan_capped=False,
        )
        context["skipped"] = archived.skipped
    else:
        history = await data.site_history(
            await _parts(request), site.site, since, until, console.lab_max_conversations
        )
    context["source_used"] = source
    context["result"] = lab.replay(site, checked.policy, history, since, until)
    context["candidate"] = checked.policy
    context["rule_of"] = data.rule_of
    context["site"] = site
    return render(request, "lab.html", **context)


ANALYTICS_DAYS = (1, 7, 30, 90, 365)
LAB_SOURCES = (
    ("auto", "Redis, or the archive when the range is older than Redis keeps"),
    ("redis", "Redis (recent conversations, with their text)"),
    ("archive", "the archive (RAPPORT_ARCHIVE_URL)"),
)


def _archive(request: Request) -> Engine | None:
    """The archive's engine, made once per app (``RAPPORT_ARCHIVE_URL``); None when unset.
    Raises ArchiveURLError for a URL that cannot be used."""
    url = _settings(request).archive_url
    if not url:
        return None
    extras = _runtime(request).extras
    engine = extras.get("archive_engine")
    if not isinstance(engine, Engine):
        engine = make_engine(url)
        extras["archive_engine"] = engine
    return engine


async def _close_archive(runtime: Runtime) -> None:
    engine = runtime.extras.pop("archive_engine", None)
    if isinstance(engine, Engine):
        engine.dispose()  # PostgreSQL connections closed, not left to the garbage collector


async def analytics_page(request: Request) -> Response:
    settings = _settings(request)
    try:
        days = int(request.query_params.get("days", "30"))
    except ValueError:
        days = 30
    if days not in ANALYTICS_DAYS:
        days = 30
    site = request.query_params.get("site", "").strip() or None
    until = datetime.now(UTC)
    since = until - timedelta(days=days)
    context: dict[str, Any] = {"configured": bool(settings.archive_url), "problem": ""}
    try:
        engine = _archive(request)
    except ArchiveURLError as exc:
        return render(request, "analytics.html", problem=str(exc), configured=True)
    if engine is None:
        return render(request, "analytics.html", **context)
    url = redact_url(settings.archive_url or "")
    try:
        a = await asyncio.to_thread(read_analytics, engine, since, until, site=site)
        sites = await asyncio.to_thread(archived_sites, engine)
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        first = (str(cause).strip().splitlines() or [type(exc).__name__])[0]
        context["problem"] = (
            f"The archive at {url} could not be read ({first[:300]}). Is rapport-archive running "
            "with the same RAPPORT_ARCHIVE_URL? It creates the tables when it starts "
            "(or run rapport-archive migrate)."
        )
        return render(request, "analytics.html", status_code=503, **context)
    escalation = [
        charts.rate_chart(
            "escalation-all", "All decisions", a.escalation["all"], a.buckets, "decisions"
        ),
        *(
            charts.rate_chart(
                f"escalation-{dim}", f"By {dim}", a.escalation[dim], a.buckets, "decisions"
            )
            for dim in ("site", "rule", "language", "channel")
        ),
    ]
    containment = [
        charts.rate_chart(
            f"containment-{dim}",
            "All conversations" if dim == "all" else f"By {dim}",
            a.containment[dim],
            a.buckets,
            "conversations",
        )
        for dim in ("all", "site", "language", "channel")
    ]
    return render(
        request,
        "analytics.html",
        configured=True,
        problem="",
        a=a,
        archive=url,
        days=days,
        day_choices=ANALYTICS_DAYS,
        site=site or "",
        site_choices=sites,
        since=since,
        until=until,
        escalation_charts=escalation,
        containment_charts=containment,
        reasons_chart=charts.reasons_chart("reasons-chart", a.reasons),
        latency_chart=charts.latency_chart(
            "latency-chart", "Median and 90th percentile", a.latency, a.buckets
        ),
    )


def create_app(
    settings: RapportSettings | None = None, console: ConsoleSettings | None = None
) -> Starlette:
    settings = settings or RapportSettings()
    console = console or ConsoleSettings()

    async def no_stages(runtime: Runtime) -> list[Stage[Any]]:
        return []  # the console reads; it consumes no stream

    routes = [
        Route("/", now_page, methods=["GET"]),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/open", open_conversation, methods=["GET"]),
        Route("/feedback", feedback_page, methods=["GET"]),
        Route("/feedback", post_feedback, methods=["POST"]),
        Route("/analytics", analytics_page, methods=["GET"]),
        Route("/lab", lab_page, methods=["GET"]),
        Route("/lab", post_lab, methods=["POST"]),
        Route(
            "/sites/{site}/conversations/{conversation_id:path}",
            conversation_page,
            methods=["GET"],
        ),
        Route("/api/now", api_now, methods=["GET"]),
        Route("/api/decisions", api_decisions, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=PACKAGE / "static"), name="static"),
    ]
    app = build_app("console", settings, no_stages, routes=routes, on_stop=_close_archive)
    app.state.templates = templates()
    app.state.console = console
    secure = console.secure_cookie
    if secure is None:
        secure = settings.env == "production"
    # Added last = outermost: the session is decoded before the gate looks at it.
    app.add_middleware(Gate)
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings.admin_token_value()),
        session_cookie=SESSION_COOKIE,
        max_age=int(console.session_hours * 3600),
        same_site="strict",
        https_only=secure,
    )
    return app
