"""``rapport status``: streams, lag, consumers, dead letters, handoff failures, decisions."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from rapport_tools.commands._common import JsonOpt, redis_settings, run_redis


def status_command(
    as_json: JsonOpt = False,
    watch: Annotated[
        float | None, typer.Option("--watch", help="Refresh every this many seconds.", min=0.5)
    ] = None,
    sample: Annotated[
        float, typer.Option("--sample", help="Seconds to watch the lag grow.", min=0)
    ] = 1.0,
) -> None:
    """Streams, lag and pending per group, consumers, dead letters, handoff failures, the last
    decisions; exit code 1 when something needs attention (for a cron check)."""
    from rapport_tools.status import collect_everywhere, render

    settings = redis_settings(quiet=as_json)
    label = settings.redis_url.split("@")[-1]

    async def work(redis: Any) -> Any:
        return await collect_everywhere(redis, settings, label, sample)

    while True:
        status = run_redis(settings, work)
        typer.echo(status.as_json() if as_json else render(status))
        if watch is None:
            raise typer.Exit(1 if status.attention else 0)
        time.sleep(watch)
        typer.echo("")


def register(app: typer.Typer) -> None:
    app.command("status")(status_command)
