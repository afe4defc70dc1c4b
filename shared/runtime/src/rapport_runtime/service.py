"""The frame every Rapport service runs in: one ASGI app holding the stream consumers and the
HTTP endpoints (``/healthz``, ``/readyz`` plus the service's own routes), and ``/metrics`` on
an internal port of its own (``RAPPORT_METRICS_PORT``, by default the HTTP port + 1000), so the
public edge never serves it.

The app is built by a factory (``create_app(settings)``) so tests and ``rapport dev`` can run
several instances side by side with different settings.

Longer than most modules: the process's whole frame (start-up checks, the HTTP app and its
per-request log context, the metrics listener and the stream gauges it reads) in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from rapport_contracts.events import is_identifier, is_site_name
from rapport_contracts.streams import Streams
from rapport_runtime import tracing
from rapport_runtime.consumer import Stage, StageRunner
from rapport_runtime.gc_tuning import settle_after_start
from rapport_runtime.limits import uvicorn_options
from rapport_runtime.logs import bind, configure_logging
from rapport_runtime.partitions import all_partitions, partition_settings, tagged
from rapport_runtime.redis import connect, ensure_groups, use_stored_form
from rapport_runtime.settings import RapportSettings

log = logging.getLogger("rapport_runtime.service")

STREAM_LENGTH = Gauge("rapport_stream_length", "Entries in a stream", ["stream"])
GROUP_LAG = Gauge("rapport_group_lag", "Entries not yet read by a group", ["stream", "group"])
GROUP_PENDING = Gauge("rapport_group_pending", "Entries read but not acked", ["stream", "group"])
GROUP_CONSUMERS = Gauge(
    "rapport_group_consumers", "Consumer names in a group (XINFO CONSUMERS)", ["stream", "group"]
)
CONSUMERS_ALIVE = Gauge(
    "rapport_group_consumers_alive",
    "Consumers of a group idle less than CONSUMER_ALIVE_IDLE_MS (readers; reclaimers not counted)",
    ["stream", "group"],
)
# A reader polls every RAPPORT_POLL_MS; one idle longer than this is not reading. Redis 7.2+
# resets a consumer's idle time on every read attempt; Redis 7.0 only when entries are
# delivered, so there a live consumer of a quiet stream counts as not alive (docs/operations.md).
CONSUMER_ALIVE_IDLE_MS = 60_000
RECLAIMER_SUFFIX = "-reclaimer"


@dataclass
class Runtime:
    """What a running service holds; available to routes as ``request.app.state.runtime``."""

    settings: RapportSettings
    redis: Redis
    stages: list[Stage[Any]] = field(default_factory=list)
    runners: list[StageRunner] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    # One runtime per partition this process's stages read, each with that partition's
    # settings (rapport_runtime.partitions); unpartitioned, just this runtime itself.
    partitions: list[Runtime] = field(default_factory=list)

    def parts(self) -> list[Runtime]:
        return self.partitions or [self]


StageBuilder = Callable[[Runtime], Awaitable[Sequence[Stage[Any]]]]


def stop_if_cancelled() -> None:
    """For a background loop: leave once a cancel was requested, even if a library swallowed
    the CancelledError on the way (redis-py shields its commands from cancellation, and a
    cancel that lands in one can be lost), so a shutdown is never left waiting."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def stopped_parts(runtime: Runtime) -> list[str]:
    """What should be running in this process and is not: a stage's loop that died of an
    unexpected error, or the background task (the router's timers)."""
    stopped = [loop for runner in runtime.runners for loop in runner.stopped_loops()]
    task = runtime.extras.get("background")
    if isinstance(task, asyncio.Task) and task.done():
        stopped.append(f"background task {task.get_name()}")
    return stopped


async def _healthz(request: Request) -> Response:
    """Liveness: fails once a part of the process that must run has stopped, so that the
    orchestrator (Kubernetes, compose's restart policy) replaces the process instead of
    leaving it alive and idle. Redis being away is a readiness problem, not a liveness one."""
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is not None and runtime.extras.get("started"):
        stopped = stopped_parts(runtime)
        if stopped:
            return JSONResponse(
                {"status": "stopped", "problems": [f"{s} has stopped" for s in stopped]},
                status_code=503,
            )
    return JSONResponse({"status": "ok"})


async def _readyz(request: Request) -> Response:
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    problems = []
    if runtime is None:
        problems.append("starting")
    else:
        try:
            await runtime.redis.ping()
        except Exception as exc:
            problems.append(f"redis: {type(exc).__name__}")
        stopped = stopped_parts(runtime)
        if stopped:
            problems.append(f"not running: {', '.join(stopped)}")
    if problems:
        return JSONResponse({"status": "unavailable", "problems": problems}, status_code=503)
    return JSONResponse({"status": "ready"})


_REQUEST_PATH = re.compile(
    r"^(?:/v1)?/sites/(?P<site>[^/]+)(?:/(?:conversations/(?P<conversation_id>[^/]+)"
    r"|webhooks/(?P<provider>[^/]+)))?"
)


def request_fields(path: str) -> dict[str, str]:
    """The ids a request's path names (site, conversation, webhook provider), to bind; a
    segment that is not a valid id is left out (it could be anything a sender typed)."""
    match = _REQUEST_PATH.match(path)
    if match is None:
        return {}
    fields = {k: v for k, v in match.groupdict().items() if v is not None}
    site = fields.get("site")
    if site is not None and not is_site_name(site):
        del fields["site"]
    return {k: v for k, v in fields.items() if k == "site" or is_identifier(v)}


class LogContextMiddleware:
    """Binds, once per HTTP request, what its path names (see :func:`request_fields`), so
    every log line of the request carries it; the trace id comes with the request's span."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with bind(**request_fields(scope.get("path", ""))):
            await self.app(scope, receive, send)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def refresh_stream_gauges(runtime: Runtime) -> None:
    """Stream length, lag, pending and consumers per group, from XLEN and XINFO."""
    for part in all_partitions(runtime.settings):
        await _refresh_partition_gauges(runtime, part.streams)


async def _refresh_partition_gauges(runtime: Runtime, streams: Streams) -> None:
    for stream in streams.all():
        STREAM_LENGTH.labels(stream).set(await runtime.redis.xlen(stream))
    for stream, groups in streams.groups().items():
        infos: Any = await runtime.redis.xinfo_groups(stream)
        for info in infos:
            name = _text(info["name"])
            if name not in groups:
                continue
            GROUP_LAG.labels(stream, name).set(info.get("lag") or 0)
            GROUP_PENDING.labels(stream, name).set(info.get("pending") or 0)
            consumers: Any = await runtime.redis.xinfo_consumers(stream, name)
            readers = [c for c in consumers if not _text(c["name"]).endswith(RECLAIMER_SUFFIX)]
            GROUP_CONSUMERS.labels(stream, name).set(len(consumers))
            CONSUMERS_ALIVE.labels(stream, name).set(
                sum(1 for c in readers if int(c.get("idle") or 0) < CONSUMER_ALIVE_IDLE_MS)
            )


def metrics_app(runtime: Callable[[], Runtime | None]) -> Starlette:
    """The internal listener's app: ``/metrics`` only (the stream gauges read at each scrape)."""

    async def metrics(request: Request) -> Response:
        current = runtime()
        if current is not None:
            try:  # metrics must render even when Redis is away
                await refresh_stream_gauges(current)
            except Exception as exc:
                log.debug("stream gauges not refreshed: %s", type(exc).__name__)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    async def not_found(request: Request) -> Response:
        return JSONResponse({"error": "not found: this port serves /metrics"}, status_code=404)

    return Starlette(routes=[Route("/metrics", metrics), Route("/{path:path}", not_found)])


METRICS_TASK = "rapport-metrics"


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves the signals to the service's main server."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _not_the_metrics_servers_chatter(record: logging.LogRecord) -> bool:
    """uvicorn's INFO lines ("Started server process", "Shutting down") come from one shared
    logger: the metrics server's would read as the service starting twice."""
    if record.levelno >= logging.WARNING:
        return True
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running loop in this thread
        return True
    return task is None or task.get_name() != METRICS_TASK


class MetricsPortError(OSError):
    """The metrics port cannot be bound."""


def bind_metrics_socket(host: str, port: int) -> socket.socket:
    """The listening socket of the metrics port, or a :class:`MetricsPortError` saying so."""
    try:
        sock = socket.create_server((host, port))
    except OSError as exc:
        raise MetricsPortError(
            f"cannot serve /metrics on {host}:{port}: {exc.strerror or exc}; set "
            "RAPPORT_METRICS_PORT to a free port"
        ) from None
    sock.setblocking(False)
    return sock


@dataclass
class MetricsListener:
    """``/metrics`` on its own port, in the service's event loop, for as long as it runs."""

    sock: socket.socket
    server: uvicorn.Server | None = None
    task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        port: int = self.sock.getsockname()[1]
        return port

    async def start(self, runtime: Callable[[], Runtime | None]) -> None:
        config = uvicorn.Config(
            metrics_app(runtime), log_config=None, lifespan="off", access_log=False
        )
        self.server = _QuietServer(config)
        uvicorn_log = logging.getLogger("uvicorn.error")
        if _not_the_metrics_servers_chatter not in uvicorn_log.filters:
            uvicorn_log.addFilter(_not_the_metrics_servers_chatter)
        self.task = asyncio.create_task(self.server.serve(sockets=[self.sock]), name=METRICS_TASK)
        # The socket listens already: a scrape arriving before uvicorn accepts waits in the
        # backlog.
        host, port = self.sock.getsockname()[:2]
        log.info("metrics on http://%s:%d/metrics", host, port)

    async def stop(self) -> None:
        if self.server is not None and self.task is not None:
            self.server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.task, 5)
        self.sock.close()


def build_app(
    service: str,
    settings: RapportSettings,
    stages: StageBuilder,
    routes: Sequence[BaseRoute] = (),
    on_start: Callable[[Runtime], Awaitable[None]] | None = None,
    on_stop: Callable[[Runtime], Awaitable[None]] | None = None,
    background: Callable[[Runtime], Coroutine[Any, Any, None]] | None = None,
) -> Starlette:
    """The service's ASGI app. Its ``/metrics`` listener starts with it on the socket
    :func:`serve` bound (``app.state.metrics_socket``), or on ``RAPPORT_METRICS_PORT`` when
    set; an app under a test client without the setting has none."""

    use_stored_form(settings.stored_form)  # before any stage writes

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        redis = connect(settings.redis_url, settings.redis_pool_size)
        runtime = Runtime(settings, redis)
        metrics: MetricsListener | None = None
        sock: socket.socket | None = getattr(app.state, "metrics_socket", None)
        if sock is None and settings.metrics_port is not None:
            sock = bind_metrics_socket(
                settings.metrics_host or settings.host, settings.metrics_port
            )
        try:
            if sock is not None:
                metrics = MetricsListener(sock)
                await metrics.start(lambda: getattr(app.state, "runtime", None))
                runtime.extras["metrics_port"] = metrics.port
            for part_settings in all_partitions(settings):
                await ensure_groups(redis, part_settings.streams)
            if on_start is not None:
                await on_start(runtime)
            if tagged(settings):
                # Each partition's stages see that partition's prefix; what on_start put in
                # extras (an HTTP client, the sites) is shared, what the builder adds is not.
                runtime.partitions = [
                    Runtime(partition_settings(settings, p), redis, extras=dict(runtime.extras))
                    for p in settings.owned_partitions
                ]
            runtime.stages = [s for part in runtime.parts() for s in await stages(part)]
            runtime.runners = [StageRunner(stage, stage.settings) for stage in runtime.stages]
            for runner in runtime.runners:
                await runner.start()
            if background is not None:
                task = asyncio.create_task(background(runtime), name=f"{service}-background")
                runtime.extras["background"] = task
            runtime.extras["started"] = True
            app.state.runtime = runtime
            if app.state.settle_gc:
                settle_after_start()  # what start-up loaded stays out of every collection
            log.info("%s ready (consumer %s)", service, settings.consumer_name)
            yield
        finally:
            app.state.runtime = None
            running = runtime.extras.get("background")
            if isinstance(running, asyncio.Task):
                running.cancel()
                # Bounded: a stop must never hang on a background loop.
                done, _ = await asyncio.wait({running}, timeout=settings.graceful_timeout_s + 1)
                if not done:
                    log.warning("%s: the background task did not stop; leaving it", service)
            # Stops reading, waits for in-flight batches (graceful_timeout), then disconnects.
            await asyncio.gather(
                *(runner.stop(settings.graceful_timeout_s) for runner in runtime.runners)
            )
            if on_stop is not None:
                await on_stop(runtime)
            if metrics is not None:
                await metrics.stop()
            await redis.aclose()
            log.info("%s stopped", service)

    app = Starlette(
        routes=[Route("/healthz", _healthz), Route("/readyz", _readyz), *routes],
        middleware=[Middleware(LogContextMiddleware)],
        lifespan=lifespan,
    )
    app.state.runtime = None
    app.state.metrics_socket = None  # serve() binds it before the app starts
    # Set by serve() from RAPPORT_GC_TUNED: only a service process tunes its collector, not a
    # test or tool that runs an app in its own process (frozen objects are never collected).
    app.state.settle_gc = False
    tracing.instrument_app(app)
    return app


class DurabilityError(ValueError):
    """Redis cannot keep the promise ``RAPPORT_DURABILITY`` asks for."""


async def check_durability(redis: Redis, settings: RapportSettings) -> None:
    """With ``durability=always``, refuse a Redis that could lose an acknowledged write."""
    if settings.durability != "always":
        return
    config: Any = await redis.config_get("append*")
    values = {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in config.items()
    }
    if values.get("appendonly") != "yes" or values.get("appendfsync") != "always":
        raise DurabilityError(
            "RAPPORT_DURABILITY=always needs Redis with `appendonly yes` and `appendfsync "
            f"always`; this one has appendonly={values.get('appendonly')} "
            f"appendfsync={values.get('appendfsync')}. Set them in redis.conf (or CONFIG SET), "
            "or use RAPPORT_DURABILITY=everysec and accept losing up to a second on a host crash."
        )


async def wait_for_redis(settings: RapportSettings, timeout_s: float) -> str | None:
    """Ping Redis until it answers and create the consumer groups; the last error, or None."""
    deadline = time.monotonic() + timeout_s
    problem = "not tried"
    while True:
        redis = connect(settings.redis_url)
        try:
            await redis.ping()
            await check_durability(redis, settings)
            for part_settings in all_partitions(settings):
                await ensure_groups(redis, part_settings.streams)
            return None
        except DurabilityError:
            raise
        except RedisError as exc:
            problem = f"{type(exc).__name__}: {exc}"
        finally:
            await redis.aclose()
        if time.monotonic() > deadline:
            return problem
        log.warning("waiting for Redis at %s (%s)", redact_url(settings.redis_url), problem[:200])
        await asyncio.sleep(1.0)


def redact_url(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", url)


def settings_problems(exc: ValidationError) -> str:
    """A settings validation error on one line, naming the variables (never their values,
    which can be secrets)."""
    problems = []
    for error in exc.errors():
        field_name = str(error["loc"][0]) if error["loc"] else ""
        variable = {"redis_url": "REDIS_URL"}.get(field_name, f"RAPPORT_{field_name.upper()}")
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{variable}: {message}" if field_name else message)
    return "; ".join(problems)


def serve(service: str, factory: Callable[[RapportSettings], Starlette], default_port: int) -> None:
    """Entry point of a service process: logging, tracing, the settings, Redis, the metrics
    port (``RAPPORT_METRICS_PORT``, default the HTTP port + 1000), then the HTTP server."""
    configure_logging(service)
    tracing.configure(service)
    try:
        settings = RapportSettings()
    except ValidationError as exc:
        log.error("cannot start %s: %s", service, settings_problems(exc))
        raise SystemExit(2) from None
    configure_logging(service, settings.log_level, settings.resolved_log_format)
    try:
        app = factory(settings)
    except ValueError as exc:  # configuration errors say what to fix
        log.error("cannot start %s: %s", service, exc)
        raise SystemExit(2) from None
    try:
        problem = asyncio.run(wait_for_redis(settings, timeout_s=settings.startup_timeout_s))
    except DurabilityError as exc:
        log.error("cannot start %s: %s", service, exc)
        raise SystemExit(2) from None
    if problem is not None:
        log.error(
            "cannot start %s: Redis at %s did not answer within %.0f s (%s). Check REDIS_URL.",
            service,
            redact_url(settings.redis_url),
            settings.startup_timeout_s,
            problem,
        )
        raise SystemExit(3)
    metrics_port = settings.resolved_metrics_port(default_port)
    if metrics_port is None:
        log.warning(
            "%s runs without /metrics: its HTTP port + 1000 is beyond 65535; set "
            "RAPPORT_METRICS_PORT",
            service,
        )
    else:
        try:
            app.state.metrics_socket = bind_metrics_socket(
                settings.metrics_host or settings.host, metrics_port
            )
        except MetricsPortError as exc:
            if settings.metrics_port is not None or settings.metrics_host is not None:
                # Asked for: a configuration error.
                log.error("cannot start %s: %s", service, exc)
                raise SystemExit(2) from None
            # The default port is taken (another process on this host): messages matter more
            # than metrics. Prometheus sees the target down, and RapportNotReady says so.
            log.warning("%s runs without /metrics: %s", service, exc)
    app.state.settle_gc = settings.gc_tuned
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port or default_port,
        log_config=None,
        timeout_graceful_shutdown=int(settings.graceful_timeout_s) + 1,
        **uvicorn_options(settings),  # a connection cap and a keep-alive bound
    )
