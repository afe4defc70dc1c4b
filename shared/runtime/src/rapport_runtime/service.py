"""The frame every Rapport service runs in: one ASGI app holding the stream consumers and the
HTTP endpoints (``/healthz``, ``/readyz``, ``/metrics`` plus the service's own routes).

The app is built by a factory (``create_app(settings)``) so tests and ``rapport dev`` can run
several instances side by side with different settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from rapport_runtime import tracing
from rapport_runtime.consumer import Stage, StageRunner
from rapport_runtime.limits import uvicorn_options
from rapport_runtime.logs import configure_logging
from rapport_runtime.redis import connect, ensure_groups
from rapport_runtime.settings import RapportSettings

log = logging.getLogger("rapport_runtime.service")

STREAM_LENGTH = Gauge("rapport_stream_length", "Entries in a stream", ["stream"])
GROUP_LAG = Gauge("rapport_group_lag", "Entries not yet read by a group", ["stream", "group"])
GROUP_PENDING = Gauge("rapport_group_pending", "Entries read but not acked", ["stream", "group"])


@dataclass
class Runtime:
    """What a running service holds; available to routes as ``request.app.state.runtime``."""

    settings: RapportSettings
    redis: Redis
    stages: list[Stage[Any]] = field(default_factory=list)
    runners: list[StageRunner] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)


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


async def _metrics(request: Request) -> Response:
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is not None:
        streams = runtime.settings.streams
        with contextlib.suppress(Exception):  # metrics must render even when Redis is away
            for stream in streams.all():
                STREAM_LENGTH.labels(stream).set(await runtime.redis.xlen(stream))
            for stream, groups in streams.groups().items():
                for info in await runtime.redis.xinfo_groups(stream):
                    name = (
                        info["name"].decode() if isinstance(info["name"], bytes) else info["name"]
                    )
                    if name in groups:
                        GROUP_LAG.labels(stream, name).set(info.get("lag") or 0)
                        GROUP_PENDING.labels(stream, name).set(info.get("pending") or 0)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def build_app(
    service: str,
    settings: RapportSettings,
    stages: StageBuilder,
    routes: Sequence[BaseRoute] = (),
    on_start: Callable[[Runtime], Awaitable[None]] | None = None,
    on_stop: Callable[[Runtime], Awaitable[None]] | None = None,
    background: Callable[[Runtime], Coroutine[Any, Any, None]] | None = None,
) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        redis = connect(settings.redis_url, settings.redis_pool_size)
        runtime = Runtime(settings, redis)
        try:
            await ensure_groups(redis, settings.streams)
            if on_start is not None:
                await on_start(runtime)
            runtime.stages = list(await stages(runtime))
            runtime.runners = [StageRunner(stage, settings) for stage in runtime.stages]
            for runner in runtime.runners:
                await runner.start()
            if background is not None:
                task = asyncio.create_task(background(runtime), name=f"{service}-background")
                runtime.extras["background"] = task
            runtime.extras["started"] = True
            app.state.runtime = runtime
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
            await redis.aclose()
            log.info("%s stopped", service)

    app = Starlette(
        routes=[
            Route("/healthz", _healthz),
            Route("/readyz", _readyz),
            Route("/metrics", _metrics),
            *routes,
        ],
        lifespan=lifespan,
    )
    app.state.runtime = None
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
            await ensure_groups(redis, settings.streams)
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


def serve(service: str, factory: Callable[[RapportSettings], Starlette], default_port: int) -> None:
    """Entry point of a service process."""
    configure_logging(service)
    tracing.configure(service)
    try:
        settings = RapportSettings()
        app = factory(settings)
    except ValueError as exc:  # settings and configuration errors say what to fix
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
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port or default_port,
        log_config=None,
        timeout_graceful_shutdown=int(settings.graceful_timeout_s) + 1,
        **uvicorn_options(settings),  # a connection cap and a keep-alive bound
    )
